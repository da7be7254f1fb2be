import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free port of 127.0.0.1; `maxHeaderSize` as Node's option (default 16 KB). */

// biome-ignore lint/suspicious/noExplicitAny: a JSON answer of any shape, read by assertions
type JsonBody = Record<string, any>;
export async function listen(
  handler: RequestListener,
  maxHeaderSize?: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(maxHeaderSize ? { maxHeaderSize } : {}, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One parsed Set-Cookie line. */
export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased → value ('' for flags). */
  attributes: Map<string, string>;
  /** The whole line, for byte counts. */
  line: string;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const at = part.indexOf('=');
    if (at === -1) attributes.set(part.trim().toLowerCase(), '');
    else attributes.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes, line };
}

/** True for a line that removes its cookie (Max-Age=0 or an Expires in the past). */
export function isClearing(cookie: SetCookie): boolean {
  const maxAge = cookie.attributes.get('max-age');
  const expires = cookie.attributes.get('expires');
  return (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
}

/** A browser stand-in: fetch with a cookie jar that honours clearing lines; no redirects followed. */
export class Client {
  readonly cookies = new Map<string, string>();
  /** The Set-Cookie lines of the last response, parsed. */
  lastSetCookie: SetCookie[] = [];
  /** The Cookie header of the last request. */
  lastCookieHeader = '';

  constructor(readonly baseUrl: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = init.cookie ?? this.cookieHeader;
    if (cookie) headers.set('cookie', cookie);
    this.lastCookieHeader = cookie;
    const response = await fetch(this.baseUrl + path, { ...init, headers, redirect: 'manual' });
    this.lastSetCookie = response.headers.getSetCookie().map(parseSetCookie);
    for (const set of this.lastSetCookie) {
      if (isClearing(set)) this.cookies.delete(set.name);
      else this.cookies.set(set.name, set.value);
    }
    return response;
  }

  async json(path: string, init: RequestInit & { cookie?: string } = {}): Promise<JsonBody> {
    const response = await this.request(path, init);
    const body = await response.text();
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${body}`);
    return JSON.parse(body) as JsonBody;
  }

  post(path: string, body?: unknown): Promise<JsonBody> {
    return this.json(path, {
      method: 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  }

  /** Names of the cookies the last response set (not cleared). */
  setNames(): string[] {
    return this.lastSetCookie.filter((c) => !isClearing(c)).map((c) => c.name);
  }

  clearedNames(): string[] {
    return this.lastSetCookie.filter(isClearing).map((c) => c.name);
  }
}

export const SECRET_A = 'a-test-secret-that-is-at-least-32-chars-long';
export const SECRET_B = 'b-test-secret-that-is-at-least-32-chars-long';
