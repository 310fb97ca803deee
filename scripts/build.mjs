// Builds the web app (hashed, minified JS and CSS, index.html, icons, service worker) and bundles the server for `npm start`.

import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { drawAppIcons } from './icons.mjs';

const root = new URL('..', import.meta.url).pathname;
const web = join(root, 'packages/web');
const out = join(web, 'dist');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// Background blur: the segmentation model's files are served from the installed package (never fetched from elsewhere),
// and the worker that runs it is a classic script of its own (MediaPipe loads its parts with importScripts).
const segmentationPath = '/assets/selfie-segmentation/';
cpSync(join(root, 'node_modules/@mediapipe/selfie_segmentation'), join(out, segmentationPath), {
  recursive: true,
  filter: (path) => !/\.(md|d\.ts|json)$/.test(path),
});
const blurWorker = await build({
  entryPoints: { 'blur-worker': join(web, 'src/blur/blur-worker.ts') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const blurWorkerFile = basename(Object.keys(blurWorker.metafile.outputs)[0]);

const result = await build({
  entryPoints: { app: join(web, 'src/main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  // Code behind import() (background blur) becomes chunks of its own, fetched only when used.
  splitting: true,
  chunkNames: '[name]-[hash]',
  define: { BLUR_WORKER_URL: JSON.stringify(`/assets/${blurWorkerFile}`), SEGMENTATION_ASSETS_PATH: JSON.stringify(segmentationPath) },
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  sourcemap: false,
  logLevel: 'warning',
});
const outputs = [...Object.keys(result.metafile.outputs).map((p) => basename(p)), blurWorkerFile];
const [entryPath, entry] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint);
const script = basename(entryPath);
const style = basename(entry.cssBundle);
// Chunks the entry imports statically are part of the first page: preloaded, and so counted by the first-page size test.
const firstPageChunks = entry.imports.filter((i) => i.kind === 'import-statement').map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}">`);
const html = readFileSync(join(web, 'index.html'), 'utf8')
  .replace('%SCRIPT%', `/assets/${script}`)
  .replace('%STYLE%', `/assets/${style}`)
  .replace('</head>', `${firstPageChunks.join('')}</head>`);
writeFileSync(join(out, 'index.html'), html);
cpSync(join(web, 'public'), out, { recursive: true });
for (const [name, png] of Object.entries(drawAppIcons())) writeFileSync(join(out, name), png);

// The service worker caches exactly what the first page needs; its version is a hash of those files, so any change installs afresh.
const shellFiles = [
  '/',
  ...outputs.map((f) => `/assets/${f}`),
  ...readdirSync(out)
    .filter((f) => f !== 'assets' && f !== 'index.html')
    .map((f) => `/${f}`),
];
const shellHash = createHash('sha256').update(html);
for (const f of shellFiles) if (f !== '/') shellHash.update(readFileSync(join(out, f)));
const shellVersion = shellHash.digest('hex').slice(0, 16);
await build({
  entryPoints: [join(web, 'service-worker/sw.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outfile: join(out, 'sw.js'),
  define: { SHELL_FILES: JSON.stringify(shellFiles), SHELL_VERSION: JSON.stringify(shellVersion) },
  logLevel: 'warning',
});

// Our workspace packages are bundled (they are TypeScript); npm dependencies are loaded from node_modules as Node packages.
const serverDependencies = Object.keys(JSON.parse(readFileSync(join(root, 'packages/server/package.json'), 'utf8')).dependencies ?? {});
await build({
  entryPoints: [join(root, 'packages/server/src/main.ts')],
  bundle: true,
  external: serverDependencies,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(root, 'packages/server/dist/main.js'),
  logLevel: 'warning',
});
