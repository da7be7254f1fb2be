import http from 'node:http';
import https from 'node:https';
import type { ResolvedHealthCheck } from './options.js';

/**
 * One `GET path` against `base`: resolves with undefined on 2xx/3xx, or with the reason it failed
 * (status, connection error, timeout). Never rejects. Uses no keep-alive agent, so a check always
 * opens a fresh connection, as a new client would.
 */
export function probe(base: URL, check: ResolvedHealthCheck): Promise<string | undefined> {
  return new Promise((resolve) => {
    // Keep a path prefix of the backend URL, as proxied requests do.
    const url = new URL(base.pathname.replace(/\/$/, '') + check.path, base);
    const client = url.protocol === 'https:' ? https : http;
    const req = client.get(
      url,
      { agent: false, timeout: check.timeoutMs, headers: { 'user-agent': 'sessionkit-health-check' } },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400 ? undefined : `health check ${check.path} answered ${status}`);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`health check timed out after ${check.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ? `${err.code} ${err.message}` : err.message));
  });
}

/**
 * Probes one backend every `intervalMs` (never two probes at once) and reports each result.
 * Timers are unref'd: health checks alone never keep a process alive.
 */
export function startChecks(
  base: URL,
  check: ResolvedHealthCheck,
  report: (failure: string | undefined) => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    const failure = await probe(base, check);
    if (stopped) return;
    report(failure);
    timer = setTimeout(run, check.intervalMs).unref();
  };
  timer = setTimeout(run, 0).unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
