import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

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
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Files whose names carry a content hash never change, so browsers may keep them. */
  immutable: boolean;
}

/** Serves the built web app from one folder, refusing any path that would step outside it. */
export class StaticFiles {
  private readonly cache = new Map<string, StaticFile | undefined>();

  constructor(private readonly root: string) {}

  async get(urlPath: string): Promise<StaticFile | undefined> {
    if (this.cache.has(urlPath)) return this.cache.get(urlPath);
    const file = await this.load(urlPath);
    this.cache.set(urlPath, file);
    return file;
  }

  private async load(urlPath: string): Promise<StaticFile | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    const path = normalize(join(this.root, decoded));
    if (!path.startsWith(this.root + sep)) return undefined;
    try {
      const body = await readFile(path);
      const contentType = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
      return { body, contentType, immutable: /\.[0-9a-f]{8,}\./i.test(path) || /-[A-Z0-9]{8}\.(js|css)$/.test(path) };
    } catch {
      return undefined;
    }
  }
}
