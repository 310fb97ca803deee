// The service worker: keeps the app shell (page, script, style, icons, manifest) so the app opens
// without a network and can be installed, and keeps each lazily loaded file (an effect's code,
// worklet or wasm) once it has been used. It never touches signaling, the API or media.

// A module, so that `self` can be declared as the service-worker scope it is.
export {};

declare const self: ServiceWorkerGlobalScope;
/** Filled in by scripts/build.mjs: the shell's URLs and a version that changes whenever any of them does. */
declare const SHELL_FILES: string[];
declare const SHELL_VERSION: string;
/** Filled in by scripts/build.mjs: files fetched only when a feature needs them, so not installed with the shell. */
declare const LAZY_FILES: string[];

const CACHE_PREFIX = 'videoapp-shell-';
const CACHE = CACHE_PREFIX + SHELL_VERSION;
/** The page every app route draws from: a room link opened offline gets the shell, which then says it is offline. */
const SHELL_PAGE = '/';
/** Paths that must always reach the server: signaling, the API, health and metrics. */
const NEVER_FROM_CACHE = /^\/(ws|api|healthz|readyz|metrics)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL_FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || NEVER_FROM_CACHE.test(url.pathname)) return;
  if (request.mode === 'navigate') {
    // Network first, so a new version shows at once; the cached shell only when the server cannot be reached.
    event.respondWith(
      fetch(request).catch(() =>
        caches
          .open(CACHE)
          .then((cache) => cache.match(SHELL_PAGE))
          .then((hit) => hit ?? Response.error()),
      ),
    );
    return;
  }
  if (LAZY_FILES.includes(url.pathname)) {
    // Fetched the first time a feature is used, then kept beside the shell (named by content, so never stale).
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request).then(
          (hit) =>
            hit ??
            fetch(request).then((response) => {
              if (response.ok) void cache.put(request, response.clone());
              return response;
            }),
        ),
      ),
    );
    return;
  }
  if (!SHELL_FILES.includes(url.pathname)) return;
  // Shell files are named by content (or tied to SHELL_VERSION), so a cached copy is never stale.
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(request))
      .then((hit) => hit ?? fetch(request)),
  );
});
