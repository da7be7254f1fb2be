import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Balancer, BackendStatus } from '../src/index.js';

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
  opts: { cookie?: string; localAddress?: string; keepAlive?: boolean; headers?: Record<string, string>; method?: string; body?: string; cookieName?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.cookie) headers['cookie'] = opts.cookie;
    const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: opts.keepAlive ? keepAliveAgent : false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, (res) => {
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
        const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] as string).find((c) => c.startsWith(`${name}=`));
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, ...(backend ? { backend } : {}), ...(cookie ? { cookie } : {}) });
      });
    });
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

const BACKEND_SCRIPT = fileURLToPath(new URL('./fixtures/backend.ts', import.meta.url));

/** A test backend in its own process (so it can be SIGKILLed). */
export async function startChildBackend(id: string): Promise<{ id: string; url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', BACKEND_SCRIPT, id], { stdio: ['ignore', 'pipe', 'inherit'] });
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
