// The files that audio and video effects load at run time (AudioWorklet modules, wasm, models), copied
// from their npm packages into the built app under /effects/, named by content so a cached copy is
// never stale. Our own server serves them: no effect ever fetches from anyone else's.
//
// To add an effect's files, add entries to EFFECT_FILES; the app reads their URLs from the global
// EFFECT_FILES that scripts/build.mjs defines from copyEffectFiles' result.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** name the app uses → the package file (as the package exports it). */
const EFFECT_FILES = {
  rnnoiseWorklet: '@sapphi-red/web-noise-suppressor/rnnoiseWorklet.js',
  rnnoiseWasm: '@sapphi-red/web-noise-suppressor/rnnoise.wasm',
  rnnoiseSimdWasm: '@sapphi-red/web-noise-suppressor/rnnoise_simd.wasm',
  // Background blur: a TensorFlow Lite runtime (XNNPACK, wasm SIMD; see packages/web/src/blur/segmenter.ts) and
  // MediaPipe's landscape selfie segmentation model (256×144, made for video calls), both as Twilio's package ships them.
  tfliteLoader: '@twilio/video-processors/dist/build/tflite-simd-1-0-0.js',
  tfliteWasm: '@twilio/video-processors/dist/build/tflite-simd-1-0-0.wasm',
  selfieSegmentationModel: '@twilio/video-processors/dist/build/selfie_segmentation_landscape.tflite',
};

/** Copies every effect file into `out`/effects and returns name → URL path. */
export function copyEffectFiles(out) {
  const folder = join(out, 'effects');
  mkdirSync(folder, { recursive: true });
  const urls = {};
  for (const [name, specifier] of Object.entries(EFFECT_FILES)) {
    const source = require.resolve(specifier);
    let body = readFileSync(source);
    // A source-map comment would point at a file we do not copy: the browser's devtools would ask our server for it in vain.
    if (extname(source) === '.js') body = Buffer.from(body.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
    const file = `${name}.${hash}${extname(source)}`;
    writeFileSync(join(folder, file), body);
    urls[name] = `/effects/${file}`;
  }
  return urls;
}
