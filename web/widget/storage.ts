/**
 * The widget's corner of localStorage, one key per item: `helpline:<siteKey>:<name>`.
 * Every access is guarded: storage throws in some private modes and sandboxed frames, and the
 * chat must still work there (it only forgets more on reload).
 */
export interface SiteStorage {
  get(name: string): string | null;
  set(name: string, value: string | null): void;
  json<T>(name: string, fallback: T): T;
}

export function siteStorage(siteKey: string): SiteStorage {
  const key = (name: string) => `helpline:${siteKey}:${name}`;
  const get = (name: string) => {
    try {
      return localStorage.getItem(key(name));
    } catch {
      return null;
    }
  };
  return {
    get,
    set(name, value) {
      try {
        if (value == null) localStorage.removeItem(key(name));
        else localStorage.setItem(key(name), value);
      } catch {
        /* full or forbidden: keep going in memory */
      }
    },
    json(name, fallback) {
      try {
        return JSON.parse(get(name) || 'null') ?? fallback;
      } catch {
        return fallback;
      }
    },
  };
}
