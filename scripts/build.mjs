// Builds the web app (hashed, minified JS and CSS, index.html, icons, service worker) and bundles the server for `npm start`.

import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { copyEffectFiles } from './effect-files.mjs';
import { drawAppIcons } from './icons.mjs';

const root = new URL('..', import.meta.url).pathname;
const web = join(root, 'packages/web');
const out = join(web, 'dist');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const effectFiles = copyEffectFiles(out);

/** Bundles one worker as a classic script of its own, under `dir` of the assets; returns its URL. */
async function buildWorker(name, entry, dir) {
  const worker = await build({
    entryPoints: { [name]: entry },
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    outdir: join(out, dir),
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  return `/${dir}/${basename(Object.keys(worker.metafile.outputs)[0])}`;
}

// The worker that encrypts media frames end to end in group calls: its own file, loaded when a call starts, so the first page does not carry it.
const frameWorkerUrl = await buildWorker('frame-crypto-worker', join(root, 'packages/client/src/frame-crypto-worker.ts'), 'assets');
// The worker that keeps stale frames out of the mesh links' video receivers (packages/client/src/stale-frames.ts).
const staleFrameWorkerUrl = await buildWorker('stale-frame-worker', join(root, 'packages/client/src/stale-frame-worker.ts'), 'assets');
// Background blur's worker: a classic script of its own (MediaPipe's runtime loads its loader with importScripts),
// fetched only when blur is switched on; its runtime and model are effect files (scripts/effect-files.mjs).
const blurWorkerUrl = await buildWorker('blur-worker', join(web, 'src/blur/blur-worker.ts'), 'assets/lazy');

// Code behind a dynamic import() (an effect's processing, say) becomes a chunk of its own, fetched only when used.
const result = await build({
  entryPoints: { app: join(web, 'src/main.ts') },
  bundle: true,
  splitting: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: 'lazy/[name]-[hash]',
  // One define per file (EFFECT_FILES.name): esbuild inlines strings, while a defined object would become a chunk of its own.
  define: {
    FRAME_WORKER_URL: JSON.stringify(frameWorkerUrl),
    STALE_FRAME_WORKER_URL: JSON.stringify(staleFrameWorkerUrl),
    BLUR_WORKER_URL: JSON.stringify(blurWorkerUrl),
    ...Object.fromEntries(Object.entries(effectFiles).map(([name, url]) => [`EFFECT_FILES.${name}`, JSON.stringify(url)])),
  },
  metafile: true,
  sourcemap: false,
  logLevel: 'warning',
});
// The first page loads the entry's script and style; chunks load when the code that needs them runs.
const firstPage = Object.entries(result.metafile.outputs).filter(([, meta]) => meta.entryPoint || meta.cssBundle !== undefined);
const entry = firstPage.find(([, meta]) => meta.entryPoint);
if (entry[1].imports.some((i) => i.kind === 'import-statement')) throw new Error('the first page imports a chunk statically: the code it shares with a lazy chunk would escape the first-page budget');
const outputs = [entry[0], entry[1].cssBundle].filter(Boolean).map((p) => basename(p));
const lazyFiles = [
  ...Object.keys(result.metafile.outputs)
    .filter((p) => p.includes('/lazy/'))
    .map((p) => `/assets/lazy/${basename(p)}`),
  ...Object.values(effectFiles),
  blurWorkerUrl,
];
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
const html = readFileSync(join(web, 'index.html'), 'utf8').replace('%SCRIPT%', `/assets/${script}`).replace('%STYLE%', `/assets/${style}`);
writeFileSync(join(out, 'index.html'), html);
cpSync(join(web, 'public'), out, { recursive: true });
for (const [name, png] of Object.entries(drawAppIcons())) writeFileSync(join(out, name), png);

// The service worker caches exactly what the first page needs; its version is a hash of those files, so any change installs afresh.
const shellFiles = [
  '/',
  ...outputs.map((f) => `/assets/${f}`),
  ...readdirSync(out)
    .filter((f) => f !== 'assets' && f !== 'effects' && f !== 'index.html')
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
  define: { SHELL_FILES: JSON.stringify(shellFiles), SHELL_VERSION: JSON.stringify(shellVersion), LAZY_FILES: JSON.stringify(lazyFiles) },
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
