import autocannon from 'autocannon';

export type RequestKind = 'read' | 'write';

/** One autocannon window against one server. */
export interface LoadResult {
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 2xx, plus connection errors and timeouts; should be 0. */
  failures: number;
}

/**
 * Creates `count` sessions by sending the write request without a cookie, `concurrency` at a
 * time, reads each back with the read request (which checks the store really kept it, and warms
 * the read path up), and returns their `Cookie` header values.
 * @throws Error when a response is not 2xx, sets no session cookie, or the cart read back is wrong.
 */
export async function createSessions(port: number, count: number, concurrency = 16): Promise<string[]> {
  const cookies: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const response = await fetch(`http://127.0.0.1:${port}/cart/add?sku=sku-${index % 8}`, { method: 'POST' });
      await response.arrayBuffer();
      // Every cookie the response set (cookie-session sets two: the session and its signature; a sealed session may come in chunks).
      const cookie =
        response.headers
          .getSetCookie()
          .map((line) => line.split(';')[0])
          .join('; ') || undefined;
      if (!response.ok || !cookie)
        throw new Error(`creating session ${index}: status ${response.status}, cookie ${cookie ?? 'none'}`);
      const read = await fetch(`http://127.0.0.1:${port}/cart`, { headers: { cookie } });
      const { items } = (await read.json()) as { items: Record<string, number> };
      if (!read.ok || items[`sku-${index % 8}`] !== 1)
        throw new Error(`session ${index} read back as ${JSON.stringify(items)} (status ${read.status})`);
      cookies.push(cookie);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return cookies;
}

/**
 * Runs autocannon for `durationS` seconds, or for `amount` requests, with `connections` keep-alive
 * connections; each request carries the next of `cookies` in turn, so the load is spread over
 * every session (any `cookies.length` requests in a row visit each session once).
 */
export async function runLoad(
  port: number,
  kind: RequestKind,
  cookies: readonly string[],
  options: { connections: number } & ({ durationS: number } | { amount: number }),
): Promise<LoadResult> {
  let next = 0;
  const method = kind === 'read' ? 'GET' : 'POST';
  const request: autocannon.Request = {
    method,
    path: kind === 'read' ? '/cart' : '/cart/add',
    setupRequest: (req) => {
      const index = next++;
      return {
        ...req,
        path: kind === 'read' ? '/cart' : `/cart/add?sku=sku-${index % 8}`,
        headers: cookies.length > 0 ? { ...req.headers, cookie: cookies[index % cookies.length]! } : req.headers,
      };
    },
  };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    ...('amount' in options ? { amount: options.amount } : { duration: options.durationS }),
    requests: [request],
  });
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
