import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The built app is about 130 KB in ten files; a folder far past this is a mistake (the wrong WEB_ROOT), not an app. */
export const MAX_STATIC_BYTES = 64 * 1024 * 1024;

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Files whose names carry a content hash never change, so browsers may keep them. */
  immutable: boolean;
}

/**
 * The built web app, read into memory once at start. Requests are answered
 * from this fixed map, so an unknown path costs a lookup and nothing is kept
 * for it, and no request ever reaches the file system (no path can step
 * outside the folder, because none is ever opened).
 */
export class StaticFiles {
  private constructor(private readonly files: ReadonlyMap<string, StaticFile>) {}

  /** Reads every file under `root`; a missing folder serves nothing (the server still answers its API). */
  static async load(root: string): Promise<StaticFiles> {
    const files = new Map<string, StaticFile>();
    let total = 0;
    for (const path of await filesUnder(root)) {
      const body = await readFile(path);
      total += body.length;
      if (total > MAX_STATIC_BYTES) throw new Error(`the web app in ${root} is over ${MAX_STATIC_BYTES} bytes`);
      const urlPath = `/${relative(root, path).split(sep).join('/')}`;
      files.set(urlPath, { body, contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', immutable: isContentHashed(path) });
    }
    return new StaticFiles(files);
  }

  get(urlPath: string): StaticFile | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    return this.files.get(decoded);
  }

  get count(): number {
    return this.files.size;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(path);
      return entry.isFile() ? [path] : [];
    }),
  );
  return nested.flat();
}

function isContentHashed(path: string): boolean {
  return /\.[0-9a-f]{8,}\./i.test(path) || /-[A-Z0-9]{8}\.(js|css)$/.test(path);
}
