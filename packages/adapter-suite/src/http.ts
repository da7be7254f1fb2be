import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Bytes of request headers the test servers accept (Node's default is 16 KiB; the bad-input set sends 20 KB). */
export const MAX_HEADER_SIZE = 64 * 1024;

/** Listens on a free port of 127.0.0.1 and returns the base URL and a close function. */
export async function listen(handler: RequestListener | Server): Promise<{ url: string; close: () => Promise<void> }> {
  const server = typeof handler === 'function' ? createServer({ maxHeaderSize: MAX_HEADER_SIZE }, handler) : handler;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

/** Closes `server` and every connection it holds. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * A browser stand-in: fetch with one cookie jar (name → value), no redirects followed.
 *
 * @example
 * const browser = new Client(app.url);
 * await browser.post('/login');
 * expect(await browser.json('/me')).toMatchObject({ user: 'alice' });
 */
export class Client {
  readonly cookies = new Map<string, string>();
  /** The Set-Cookie headers of the last response. */
  lastSetCookie: string[] = [];
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('cookie'))
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(this.baseUrl + path, { ...init, headers, redirect: 'manual' });
    this.lastSetCookie = response.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      const expired = /;\s*max-age=0/i.test(line) || /;\s*expires=Thu, 01 Jan 1970/i.test(line);
      if (expired || value === '') this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
    return response;
  }

  async json(path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
    const response = await this.request(path, init);
    if (!response.ok)
      throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  post(path: string): Promise<Record<string, unknown>> {
    return this.json(path, { method: 'POST' });
  }
}

/** Resolves every waiter once `parties` callers have arrived: both requests load, then both save. */
export function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived === parties) open();
    return opened;
  };
}
