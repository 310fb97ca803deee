// The first page's JS and CSS, gzipped, stay within the budget a phone on a slow link can fetch quickly.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

/** Gzipped bytes of script and style the first page may load. */
const FIRST_PAGE_BUDGET_BYTES = 80 * 1024;
const dist = new URL('../../packages/web/dist/', import.meta.url).pathname;

test(`the first page loads at most ${FIRST_PAGE_BUDGET_BYTES / 1024} KB of gzipped JS and CSS`, () => {
  assert.ok(existsSync(join(dist, 'index.html')), 'no build: run `npm run build` first');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const referenced = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"|<link[^>]*rel="(?:stylesheet|modulepreload)"[^>]*href="([^"]+)"/g)].map((m) => (m[1] ?? m[2])!);
  assert.ok(referenced.some((f) => f.endsWith('.js')) && referenced.some((f) => f.endsWith('.css')), `found ${referenced.join(', ')}`);
  let raw = 0;
  let gzipped = 0;
  for (const path of referenced) {
    const body = readFileSync(join(dist, path));
    const size = gzipSync(body).length;
    console.log(`  ${path}: ${(body.length / 1024).toFixed(1)} KB raw, ${(size / 1024).toFixed(1)} KB gzipped`);
    raw += body.length;
    gzipped += size;
  }
  console.log(`first page JS+CSS: ${(raw / 1024).toFixed(1)} KB raw, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${FIRST_PAGE_BUDGET_BYTES / 1024} KB)`);
  assert.ok(gzipped <= FIRST_PAGE_BUDGET_BYTES, `${gzipped} bytes gzipped is over the budget`);
});
