import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Balancer, BackendStatus } from '../../src/index.js';

export interface Reply {
  status: number;
  body: string;
  /** Backend id from the test backend's JSON answer, undefined for balancer errors. */
  backend?: string;
  headers: http.IncomingHttpHeaders;
  /** `name=value` of the sticky cookie set in this response, if any. */
  cookie?: string;
}

const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });

/**
 * One request, on a fresh connection (so `localAddress` really picks the client address) unless
 * `keepAlive` asks for a pooled one (faster for bulk runs).
 */
export function send(
  url: string,
  opts: {
    cookie?: string;
    localAddress?: string;
    keepAlive?: boolean;
    headers?: Record<string, string>;
    method?: string;
    body?: string;
    cookieName?: string;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.cookie) headers['cookie'] = opts.cookie;
    const req = http.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers,
        agent: opts.keepAlive ? keepAliveAgent : false,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          let backend: string | undefined;
          try {
            backend = (JSON.parse(body) as { id?: string }).id;
          } catch {
            backend = undefined;
          }
          const name = opts.cookieName ?? 'SKID';
          const cookie = (res.headers['set-cookie'] ?? [])
            .map((c) => c.split(';')[0] as string)
            .find((c) => c.startsWith(`${name}=`));
          resolve({
            status: res.statusCode ?? 0,
            body,
            headers: res.headers,
            ...(backend ? { backend } : {}),
            ...(cookie ? { cookie } : {}),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Counts occurrences. */
export function tally(values: readonly (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v ?? 'none'] = (counts[v ?? 'none'] ?? 0) + 1;
  return counts;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) results.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return results;
}

const BACKEND_SCRIPT = fileURLToPath(new URL('./backend.ts', import.meta.url));

/** A test backend in its own process (so it can be SIGKILLed). */
export async function startChildBackend(id: string): Promise<{ id: string; url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', BACKEND_SCRIPT, id], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += String(chunk);
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`backend ${id} exited with ${code}`)));
  });
  return { id, url, child };
}

/** The next `up` or `down` event of a balancer. */
export function waitFor(balancer: Balancer, event: 'up' | 'down'): Promise<BackendStatus> {
  return new Promise((resolve) => balancer.once(event as 'up', resolve));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A parsed raw HTTP/1.1 response. */
export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, as text. */
  raw: string;
}

/** Parses the first response in `raw` (Content-Length or chunked body, or everything up to the close). */
export function parseRaw(raw: string): RawReply | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let rest = raw.slice(end + 4);
  let body = rest;
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    body = '';
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (!(size > 0)) break;
      body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
  } else if (headers['content-length'] !== undefined) {
    body = rest.slice(0, Number(headers['content-length']));
  }
  return { status, headers, body, raw };
}

/**
 * Writes `request` byte for byte on a fresh TCP connection and collects what comes back until the
 * server closes the connection (send `Connection: close`). Rejects after `hangMs` so a server that
 * never answers fails the test instead of hanging it.
 */
export function rawRequest(
  port: number,
  request: string,
  opts: { localAddress?: string; hangMs?: number } = {},
): Promise<RawReply & { parsed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no complete answer within ${opts.hangMs ?? 20_000} ms; got ${JSON.stringify(raw.slice(0, 200))}`),
      );
    }, opts.hangMs ?? 20_000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (raw += chunk));
    socket.on('error', () => {}); // a reset still ends in 'close'
    socket.on('close', () => {
      clearTimeout(timer);
      const reply = parseRaw(raw);
      resolve(reply ? { ...reply, parsed: true } : { status: 0, headers: {}, body: '', raw, parsed: false });
    });
    socket.write(request);
  });
}

/** A raw TCP connection kept open by the test; `closed` settles when the server closes it. */
export interface HeldSocket {
  socket: net.Socket;
  /** Resolves with what the server sent once the connection is closed. */
  closed: Promise<string>;
  isClosed(): boolean;
}

/** Opens a TCP connection and resolves once it is connected. */
export function hold(port: number, opts: { localAddress?: string } = {}): Promise<HeldSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    let raw = '';
    let isClosed = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (raw += chunk));
    const closed = new Promise<string>((done) =>
      socket.once('close', () => {
        isClosed = true;
        done(raw);
      }),
    );
    socket.once('error', (err) => (socket.connecting ? reject(err) : undefined));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed, isClosed: () => isClosed }));
  });
}

/** Resolves with `promise`'s value, or with `fallback` once `ms` have passed. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms))),
  ]).finally(() => clearTimeout(timer));
}
