import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Headers for every response: a strict Content-Security-Policy (no inline
 * script, sockets only to ourselves) and the usual hardening. WebAssembly
 * may be compiled ('wasm-unsafe-eval', which allows no JavaScript eval): the
 * effects (noise suppression) run wasm files served from our own origin.
 */
export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  const host = req.headers.host ?? '';
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "media-src 'self' blob:",
      `connect-src 'self' ws://${host} wss://${host}`,
      "worker-src 'self'",
      "manifest-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ].join('; '),
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(self), microphone=(self), display-capture=(self), geolocation=()');
}
