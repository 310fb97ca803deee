/**
 * Page weight: the JS and CSS the first page loads, gzipped (level 9), against
 * the `peerjs` client alone compressed the same way. The first page's assets
 * are found by reading the built index.html (packages/web/dist, from `npm run
 * build`): every `<script src>`, `<link rel=stylesheet>` and `<link
 * rel=modulepreload>`, and every file those scripts import statically. For
 * PeerJS two forms are measured: the published minified browser build
 * (peerjs.min.js, what a page loads from a CDN) and `import { Peer } from
 * 'peerjs'` bundled and minified by esbuild as an app would ship it; the
 * smaller is the comparison.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const webDist = join(root, 'packages/web/dist');

export interface PageWeight {
  files: { path: string; bytes: number; gzipBytes: number }[];
  firstPageGzip: number;
  peerJsMinGzip: number;
  peerJsBundledGzip: number;
}

const gz = (data: Buffer | string) => gzipSync(data, { level: 9 }).length;

function firstPageAssets(): string[] {
  const indexPath = join(webDist, 'index.html');
  if (!existsSync(indexPath)) throw new Error('packages/web/dist/index.html is missing: run `npm run build` first');
  const html = readFileSync(indexPath, 'utf8');
  const refs = [
    ...[...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!),
    ...[...html.matchAll(/<link[^>]*rel="(?:stylesheet|modulepreload)"[^>]*href="([^"]+)"/g)].map((m) => m[1]!),
    ...[...html.matchAll(/<link[^>]*href="([^"]+)"[^>]*rel="(?:stylesheet|modulepreload)"/g)].map((m) => m[1]!),
  ];
  const seen = new Set<string>();
  const visit = (ref: string) => {
    if (seen.has(ref)) return;
    seen.add(ref);
    if (!ref.endsWith('.js')) return;
    const text = readFileSync(join(webDist, ref), 'utf8');
    // Static imports of other chunks, if the build ever splits.
    for (const m of text.matchAll(/(?:^|[;}\s])import\s*(?:[^'"();]*?from\s*)?["']([^"']+\.js)["']/g)) visit(new URL(m[1]!, `http://x${ref}`).pathname);
  };
  refs.forEach(visit);
  return [...seen];
}

export async function measurePageWeight(): Promise<PageWeight> {
  const files = firstPageAssets().map((path) => {
    const body = readFileSync(join(webDist, path));
    return { path, bytes: body.length, gzipBytes: gz(body) };
  });
  const require = createRequire(import.meta.url);
  const peerJsDist = dirname(require.resolve('peerjs/package.json'));
  const peerJsMin = readFileSync(join(peerJsDist, 'dist/peerjs.min.js'));
  const bundled = await build({
    stdin: { contents: "import { Peer } from 'peerjs'; (window as any).Peer = Peer;", loader: 'ts', resolveDir: root },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    write: false,
    logLevel: 'warning',
  });
  return {
    files,
    firstPageGzip: files.reduce((sum, f) => sum + f.gzipBytes, 0),
    peerJsMinGzip: gz(peerJsMin),
    peerJsBundledGzip: gz(bundled.outputFiles[0]!.contents as Buffer),
  };
}
