/**
 * Registers the service worker that keeps the app shell for offline start and installation.
 * Browsers allow service workers only in secure contexts (HTTPS or localhost), so plain-HTTP LAN use simply goes without.
 */
export function registerShellWorker(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  // After load, so installing the cache never competes with the first screen for bandwidth.
  const register = () => void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
