// `node --import tsx bench/effects/run-blur.ts` (after `npm run build`): prints background blur's figures.
import { measureBlur } from './blur.ts';

const f = await measureBlur();
console.log(`background blur: browser CPU ${f.cpuOff.toFixed(2)} s/s off, ${f.cpuOn.toFixed(2)} s/s on (ratio ${f.cpuRatio.toFixed(2)})`);
console.log(`  blurred preview ${f.previewFps.toFixed(1)} fps; first blurred frame ${f.startMs} ms after the switch`);
console.log(`  first page bytes for blur: ${f.firstPageBlurBytes}; loaded lazily when switched on: ${(f.lazyBytes / 1024 / 1024).toFixed(2)} MB`);
