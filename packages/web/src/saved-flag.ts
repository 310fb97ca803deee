/**
 * A yes/no choice remembered in localStorage (hide my IP, blur, noise
 * suppression…), stored as '1' or '0'. Storage may be refused (private
 * browsing): reading then gives the fallback, and saving does nothing, so the
 * choice simply starts from its default next time.
 */
export function savedFlag(key: string, fallback: boolean): boolean {
  try {
    const value = localStorage.getItem(key);
    return value === null ? fallback : value === '1';
  } catch {
    return fallback;
  }
}

export function saveFlag(key: string, on: boolean): void {
  try {
    localStorage.setItem(key, on ? '1' : '0');
  } catch {
    // See above: the choice starts from its default next time.
  }
}
