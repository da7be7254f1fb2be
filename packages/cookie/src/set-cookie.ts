import { StoreConfigError } from '@sessionkit/core';

/** Attributes of the session cookie, as express-session's `cookie` option names them. */
export interface CookieAttributes {
  path: string;
  domain: string | undefined;
  httpOnly: boolean;
  /** `'auto'`: Secure when the request came over HTTPS (`req.secure` / an encrypted socket). */
  secure: boolean | 'auto';
  sameSite: 'lax' | 'strict' | 'none' | undefined;
  partitioned: boolean;
  priority: 'low' | 'medium' | 'high' | undefined;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ATTRIBUTE_VALUE = /^[\x21-\x3a\x3c-\x7e]*$/;
const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';

/** @throws StoreConfigError when `name` is not a valid cookie name (RFC 6265 token). */
export function checkCookieName(name: unknown): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new StoreConfigError(
      `cookie name must be a token of letters, digits and !#$%&'*+-.^_\`|~, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** @throws StoreConfigError for a path or domain with characters a Set-Cookie attribute cannot hold. */
export function checkAttributeValue(value: string | undefined, what: string): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || !ATTRIBUTE_VALUE.test(value) || value.length > 1024)) {
    throw new StoreConfigError(
      `cookie.${what} must be at most 1024 visible ASCII characters without ';', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The attribute part of a Set-Cookie line (everything after `name=value`), in the order and
 * spelling the `cookie` package uses. `expires` null: a browser-session cookie.
 */
export function serializeAttributes(attributes: CookieAttributes, expires: Date | null, secure: boolean): string {
  let text = `; Path=${attributes.path}`;
  if (expires) text += `; Expires=${expires.toUTCString()}`;
  if (attributes.domain) text += `; Domain=${attributes.domain}`;
  if (attributes.httpOnly) text += '; HttpOnly';
  if (secure) text += '; Secure';
  if (attributes.partitioned) text += '; Partitioned';
  if (attributes.priority) text += `; Priority=${capitalize(attributes.priority)}`;
  if (attributes.sameSite) text += `; SameSite=${capitalize(attributes.sameSite)}`;
  return text;
}

/** A Set-Cookie line that removes cookie `name` (Max-Age=0, and an Expires in the past for old clients). */
export function clearingLine(name: string, attributes: CookieAttributes, secure: boolean): string {
  return `${name}=${serializeAttributes(attributes, null, secure)}; Expires=${EPOCH}; Max-Age=0`;
}

/**
 * The values of cookie `name` and of its chunks `name.1`, `name.2`, … from a Cookie header,
 * parsed without allocating anything for the other cookies. Names of every chunk present are
 * listed (also past `maxChunks`), so stale ones can be cleared. The first occurrence of a name wins,
 * as in the `cookie` package.
 */
export function readSessionCookies(
  header: string | undefined,
  name: string,
): { values: Map<string, string>; bytes: number } {
  const values = new Map<string, string>();
  let bytes = 0;
  if (!header) return { values, bytes };
  let at = header.indexOf(name);
  while (at !== -1) {
    // A match must start a pair: at the header's start or after "; " (or ";").
    const before = at === 0 ? ';' : header[at - 1]!;
    const end = header.indexOf(';', at);
    const pairEnd = end === -1 ? header.length : end;
    if (before === ';' || before === ' ') {
      const eq = header.indexOf('=', at);
      if (eq !== -1 && eq < pairEnd) {
        const key = header.slice(at, eq).trim();
        if (key === name || isChunkName(key, name)) {
          if (!values.has(key)) {
            const value = header.slice(eq + 1, pairEnd).trim();
            values.set(key, value);
            bytes += key.length + 1 + value.length;
          }
        }
      }
    }
    at = header.indexOf(name, at + name.length);
  }
  return { values, bytes };
}

/** `name.N` with N a positive decimal without leading zeros. */
export function isChunkName(key: string, name: string): boolean {
  if (key.length <= name.length + 1 || !key.startsWith(name) || key[name.length] !== '.') return false;
  const digits = key.slice(name.length + 1);
  return /^[1-9][0-9]{0,3}$/.test(digits);
}

function capitalize(text: string): string {
  return text[0]!.toUpperCase() + text.slice(1);
}
