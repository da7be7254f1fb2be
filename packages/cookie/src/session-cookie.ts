import type { CookieOverrides } from './claims.js';
import type { CookieAttributes } from './set-cookie.js';

/**
 * `req.session.cookie`, with express-session's `Cookie` surface: `maxAge` (ms left, settable),
 * `expires`, `originalMaxAge`, `path`, `domain`, `httpOnly`, `secure`, `sameSite`, `partitioned`,
 * `priority`. Changes made to it in a request (a longer `maxAge` for "remember me") travel inside
 * the seal, so later requests keep them.
 *
 * @example
 * if (req.body.remember) req.session.cookie.maxAge = 30 * 24 * 3600 * 1000; // 30 days, in ms
 */
export class SessionCookie {
  path: string;
  domain: string | undefined;
  httpOnly: boolean;
  secure: boolean | 'auto';
  sameSite: 'lax' | 'strict' | 'none' | boolean | undefined;
  partitioned: boolean;
  priority: 'low' | 'medium' | 'high' | undefined;
  /** The lifetime this cookie was given, in ms; `null` for a browser-session cookie. */
  originalMaxAge: number | null;
  #expires: Date | null;

  constructor(attributes: CookieAttributes, originalMaxAge: number | null, expires: Date | null) {
    this.path = attributes.path;
    this.domain = attributes.domain;
    this.httpOnly = attributes.httpOnly;
    this.secure = attributes.secure;
    this.sameSite = attributes.sameSite;
    this.partitioned = attributes.partitioned;
    this.priority = attributes.priority;
    this.originalMaxAge = originalMaxAge;
    this.#expires = expires;
  }

  /** When the cookie expires; `null` for a browser-session cookie. Setting it sets `originalMaxAge` too. */
  get expires(): Date | null {
    return this.#expires;
  }

  set expires(date: Date | null) {
    this.#expires = date;
    this.originalMaxAge = date ? date.getTime() - Date.now() : null;
  }

  /** Milliseconds left; setting it moves `expires` and `originalMaxAge` (`null`: browser-session cookie). */
  get maxAge(): number | null {
    return this.#expires ? this.#expires.getTime() - Date.now() : null;
  }

  set maxAge(ms: number | null) {
    if (ms === null || ms === undefined) {
      this.#expires = null;
      this.originalMaxAge = null;
      return;
    }
    this.#expires = new Date(Date.now() + ms);
    this.originalMaxAge = ms;
  }

  /** Everything a seal carries about this cookie, as one string: equal strings, nothing to re-seal. */
  fingerprint(): string {
    return `${this.originalMaxAge}|${this.path}|${this.domain}|${this.httpOnly}|${this.secure}|${this.sameSite}|${this.partitioned}|${this.priority}`;
  }

  /** The attributes as the Set-Cookie line uses them. */
  get attributes(): CookieAttributes {
    return {
      path: this.path,
      domain: this.domain,
      httpOnly: this.httpOnly,
      secure: this.secure,
      sameSite: this.sameSite === true ? 'strict' : this.sameSite === false ? undefined : this.sameSite,
      partitioned: this.partitioned,
      priority: this.priority,
    };
  }

  /** What this session changed from the configured cookie, for the seal's `c` claim; `undefined` when nothing. */
  overrides(configured: CookieAttributes, configuredMaxAge: number | null): CookieOverrides | undefined {
    const own = this.attributes;
    let overrides: CookieOverrides | undefined;
    const note = <K extends keyof CookieOverrides>(key: K, value: CookieOverrides[K]) =>
      ((overrides ??= {})[key] = value);
    if (this.originalMaxAge !== configuredMaxAge) note('originalMaxAge', this.originalMaxAge);
    if (own.path !== configured.path) note('path', own.path);
    if (own.domain !== configured.domain) note('domain', own.domain);
    if (own.httpOnly !== configured.httpOnly) note('httpOnly', own.httpOnly);
    if (own.secure !== configured.secure && typeof own.secure === 'boolean') note('secure', own.secure);
    if (own.sameSite !== configured.sameSite) note('sameSite', own.sameSite ?? false);
    if (own.partitioned !== configured.partitioned) note('partitioned', own.partitioned);
    if (own.priority !== configured.priority && own.priority) note('priority', own.priority);
    return overrides;
  }

  /** Applies a seal's `c` claim over the configured attributes (unknown or ill-typed entries ignored). */
  static fromOverrides(
    configured: CookieAttributes,
    configuredMaxAge: number | null,
    overrides: CookieOverrides | undefined,
    expires: Date | null,
  ): SessionCookie {
    const c = overrides ?? {};
    const attributes: CookieAttributes = {
      path: typeof c.path === 'string' ? c.path : configured.path,
      domain: typeof c.domain === 'string' ? c.domain : configured.domain,
      httpOnly: typeof c.httpOnly === 'boolean' ? c.httpOnly : configured.httpOnly,
      secure: typeof c.secure === 'boolean' ? c.secure : configured.secure,
      sameSite:
        c.sameSite === false
          ? undefined
          : typeof c.sameSite === 'string' && ['lax', 'strict', 'none'].includes(c.sameSite)
            ? (c.sameSite as CookieAttributes['sameSite'])
            : configured.sameSite,
      partitioned: typeof c.partitioned === 'boolean' ? c.partitioned : configured.partitioned,
      priority:
        typeof c.priority === 'string' && ['low', 'medium', 'high'].includes(c.priority)
          ? (c.priority as CookieAttributes['priority'])
          : configured.priority,
    };
    const originalMaxAge =
      c.originalMaxAge === null || (typeof c.originalMaxAge === 'number' && c.originalMaxAge > 0)
        ? c.originalMaxAge
        : configuredMaxAge;
    return new SessionCookie(attributes, originalMaxAge, originalMaxAge === null ? null : expires);
  }

  /** As express-session's Cookie serializes into the session (`JSON.stringify(req.session)`). */
  toJSON(): Record<string, unknown> {
    return {
      originalMaxAge: this.originalMaxAge,
      expires: this.#expires,
      secure: this.secure,
      httpOnly: this.httpOnly,
      domain: this.domain,
      path: this.path,
      sameSite: this.sameSite,
    };
  }
}
