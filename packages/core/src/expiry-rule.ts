import type { KeyTexts } from './delta.js';
import type { SessionChange, SessionData } from './types.js';

/**
 * Where a framework keeps a session's expiry inside the session itself, so the session tracker
 * can tell a save that only moved the expiry (a refresh, throttled by `touchAfterMs`) from a real
 * change, and can read from the stored form when the expiry was last written.
 */
export interface ExpiryRule {
  /** Top-level keys that hold the expiry, e.g. `['cookie']` for express-session; `[]` when none. */
  readonly keys: readonly string[];
  /**
   * When the expiry held by `session` (as stored, or as the framework holds it) was last
   * refreshed, epoch ms; `undefined` when it holds none (a browser-session cookie). The tracker
   * then remembers per process when it last refreshed that sid.
   */
  refreshedAt(session: object): number | undefined;
  /** True when `change` (against `loaded`, the stored form) only moves the expiry. */
  onlyExpiry(change: SessionChange, loaded: KeyTexts): boolean;
}

/** No expiry inside the session (React Router, plain stores): only an empty change is a refresh. */
export const NO_EXPIRY: ExpiryRule = {
  keys: [],
  refreshedAt: () => undefined,
  onlyExpiry: (change) => Object.keys(change.set).length === 0 && change.unset.length === 0,
};

/**
 * express-session's layout, which @fastify/session copies: a `cookie` key holding `expires` (a
 * `Date`, stored as an ISO string) and `originalMaxAge` (ms). The framework sets
 * `expires = refreshedAt + originalMaxAge` on every request, so a change of only `movingFields`
 * of the cookie is a refresh.
 *
 * @param movingFields cookie fields that move on every request: `['expires']` (express-session),
 *   `['expires', 'originalExpires']` (@fastify/session).
 * @example
 * const tracker = new SessionTracker(store, { expiry: cookieExpiry(['expires']) });
 */
export function cookieExpiry(movingFields: readonly string[] = ['expires']): ExpiryRule {
  const moving = new Set(movingFields);
  return {
    keys: ['cookie'],
    refreshedAt: (session) => cookieRefreshedAt((session as { cookie?: unknown }).cookie),
    onlyExpiry(change, loaded) {
      const keys = Object.keys(change.set);
      if (change.unset.length > 0 || keys.length > 1) return false;
      if (keys.length === 0) return true;
      if (keys[0] !== 'cookie') return false;
      const before = parseObject(loaded.get('cookie'));
      const after = change.set['cookie'];
      if (!before || typeof after !== 'object' || after === null) return false;
      // Field by field: a database may store the cookie's fields in another order.
      for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (!moving.has(field) && JSON.stringify(before[field]) !== JSON.stringify((after as SessionData)[field]))
          return false;
      }
      return true;
    },
  };
}

/**
 * When an express-session style cookie's expiry was last refreshed (epoch ms), as stored
 * (`expires` an ISO string) or as the framework holds it (a `Date`): `expires - originalMaxAge`.
 * `undefined` for a browser-session cookie (no expiry).
 */
export function cookieRefreshedAt(cookie: unknown): number | undefined {
  if (typeof cookie !== 'object' || cookie === null) return undefined;
  const { expires, originalMaxAge } = cookie as { expires?: unknown; originalMaxAge?: unknown };
  if ((typeof expires !== 'string' && !(expires instanceof Date)) || typeof originalMaxAge !== 'number')
    return undefined;
  const at = (typeof expires === 'string' ? Date.parse(expires) : expires.getTime()) - originalMaxAge;
  return Number.isFinite(at) ? at : undefined;
}

function parseObject(text: string | undefined): SessionData | undefined {
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SessionData) : undefined;
}
