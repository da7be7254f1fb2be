import { sparePort } from '@sessionkit/test-suite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createBalancer,
  rendezvousPick,
  StickyConfigError,
  type Balancer,
  type BalancerOptions,
  type BackendStatus,
} from '../src/index.js';
import { startBackend, type TestBackend } from './support/backend.js';
import { inBatches, send, sleep, tally, waitFor } from './support/http.js';

const SECRET = 'test-secret-0123456789';
let backends: TestBackend[];
const open: Balancer[] = [];

beforeAll(async () => {
  backends = await Promise.all(['a', 'b', 'c'].map((id) => startBackend(id)));
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function start(options: Partial<BalancerOptions> = {}): Promise<{ balancer: Balancer; url: string }> {
  const balancer = createBalancer({ backends: backends.map(({ id, url }) => ({ id, url })), ...options });
  open.push(balancer);
  const { port } = await balancer.listen(0, '127.0.0.1');
  return { balancer, url: `http://127.0.0.1:${port}` };
}

const sticky = { cookie: 'SKID', secret: SECRET };

describe('round-robin', () => {
  it('spreads requests evenly over three backends', async () => {
    const { url } = await start({ strategy: 'round-robin' });
    const replies = await inBatches([...Array(300).keys()], 10, () => send(`${url}/`));
    const counts = tally(replies.map((r) => r.backend));
    console.info('[sticky] round-robin spread over 300 requests:', counts);
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  it('honours weights', async () => {
    const balancer = createBalancer({
      backends: backends.map(({ id, url }, i) => ({ id, url, weight: i === 0 ? 2 : 1 })),
    });
    open.push(balancer);
    const { port } = await balancer.listen();
    const replies = await inBatches([...Array(200).keys()], 10, () => send(`http://127.0.0.1:${port}/`));
    expect(tally(replies.map((r) => r.backend))).toEqual({ a: 100, b: 50, c: 50 });
  });
});

describe('sticky cookie', () => {
  it('pins 1,000 clients, spread within 10% of even, and keeps each on its backend', async () => {
    const { url, balancer } = await start({ sticky });
    const clients = await inBatches([...Array(1000).keys()], 25, async () => {
      const first = await send(`${url}/`, { keepAlive: true });
      expect(first.cookie).toBeDefined();
      const again = await Promise.all(
        [1, 2, 3].map(() => send(`${url}/`, { cookie: `${first.cookie}; app=1`, keepAlive: true })),
      );
      for (const r of again) {
        expect(r.backend).toBe(first.backend);
        expect(r.cookie).toBeUndefined(); // still pinned: no new Set-Cookie
        // The balancer's cookie never reaches the app; the app's own cookies do.
        expect(JSON.parse(r.body).headers.cookie).toBe('app=1');
      }
      return first.backend;
    });
    const counts = tally(clients);
    console.info('[sticky] 1,000 sticky clients per backend:', counts);
    for (const id of ['a', 'b', 'c']) expect(Math.abs((counts[id] ?? 0) - 1000 / 3)).toBeLessThanOrEqual(1000 / 3 / 10);
    const status = balancer.backends();
    expect(status.reduce((n, b) => n + b.clients, 0)).toBe(1000);
  }, 120_000);

  it('re-pins a tampered cookie and never sends it to the backend it names', async () => {
    const { url } = await start({ sticky });
    const first = await send(`${url}/`);
    const value = (first.cookie as string).split('=')[1] as string;
    const [id, client, issued, seen, mac] = value.split('.') as [string, string, string, string, string];
    const other = id === 'a' ? 'b' : 'a';
    const forged = [
      `${other}.${client}.${issued}.${seen}.${mac}`, // names another backend, keeps the old signature
      `${id}.${client}.${issued}.${seen}.${mac.slice(0, -2)}AA`, // signature changed
      `${other}.${client}.${issued}.${seen}`, // signature missing
      `${other}`, // bare backend id
    ];
    for (const cookieValue of forged) {
      const named = cookieValue.split('.')[0];
      const replies = await inBatches([...Array(30).keys()], 10, () =>
        send(`${url}/`, { cookie: `SKID=${cookieValue}` }),
      );
      for (const r of replies) {
        expect(r.status).toBe(200);
        expect(r.backend).not.toBe(named);
        expect(r.cookie).toBeDefined();
        expect(r.cookie?.split('=')[1]?.split('.')[0]).toBe(r.backend);
        expect(JSON.parse(r.body).headers.cookie).toBeUndefined();
      }
    }
  });

  it('re-pins after maxLifeMs as HAProxy maxlife does', async () => {
    const { url } = await start({ sticky: { ...sticky, maxLifeMs: 1000 } });
    const first = await send(`${url}/`);
    expect((await send(`${url}/`, { cookie: first.cookie as string })).cookie).toBeUndefined();
    await sleep(2100); // cookie times have 1 s resolution
    const later = await send(`${url}/`, { cookie: first.cookie as string });
    expect(later.cookie).toBeDefined();
    expect(later.cookie).not.toBe(first.cookie);
  });
});

describe('ip-hash over real requests', () => {
  it('uses the socket address and ignores X-Forwarded-For when trustProxy is unset', async () => {
    const { url } = await start({ strategy: 'ip-hash' });
    const byAddress = new Map<string, string | undefined>();
    for (let i = 2; i < 22; i++) {
      const localAddress = `127.0.0.${i}`;
      const replies = await Promise.all(
        [0, 1, 2, 3, 4].map((n) =>
          send(`${url}/`, { localAddress, headers: { 'x-forwarded-for': `203.0.113.${i * 7 + n}` } }),
        ),
      );
      const seen = new Set(replies.map((r) => r.backend));
      expect(seen.size).toBe(1); // spoofed headers do not move the client
      byAddress.set(localAddress, replies[0]?.backend);
      // The bucket is exactly the rendezvous hash of the socket address.
      expect(replies[0]?.backend).toBe(rendezvousPick(localAddress, backends)?.id);
      // The app sees the socket address only, never the client's own X-Forwarded-For.
      expect(JSON.parse(replies[0]?.body as string).headers['x-forwarded-for']).toBe(localAddress);
    }
    expect(new Set(byAddress.values()).size).toBe(3); // 20 addresses reach all three backends
  });

  it('uses the X-Forwarded-For hop named by trustProxy', async () => {
    const { url } = await start({ strategy: 'ip-hash', trustProxy: 1 });
    const fromHeader = await inBatches([...Array(30).keys()], 10, (n) =>
      send(`${url}/`, { headers: { 'x-forwarded-for': `198.51.100.${n}` } }),
    );
    expect(new Set(fromHeader.map((r) => r.backend)).size).toBe(3);
  });
});

describe('health and failover', () => {
  it('answers 503 with a clear body when no backend can serve', async () => {
    const empty = createBalancer({ backends: [] });
    open.push(empty);
    const { port } = await empty.listen();
    const reply = await send(`http://127.0.0.1:${port}/`);
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('no backend can serve this request (no backends configured)');
  });

  it('marks a refusing backend down on the first request and retries it elsewhere', async () => {
    const balancer = createBalancer({
      backends: [{ id: 'dead', url: 'http://127.0.0.1:9' }, ...backends.map(({ id, url }) => ({ id, url }))],
    });
    open.push(balancer);
    const down = waitFor(balancer, 'down');
    const { port } = await balancer.listen();
    const replies = await inBatches([...Array(12).keys()], 4, () => send(`http://127.0.0.1:${port}/`));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect((await down).id).toBe('dead');
    expect(balancer.backends().find((b) => b.id === 'dead')).toMatchObject({
      healthy: false,
      lastError: expect.stringContaining('ECONNREFUSED'),
    });
    // A POST with a body also goes elsewhere once the dead backend is known down.
    expect((await send(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x=1' })).status).toBe(200);
  });

  it('answers 502 for a non-idempotent request that failed after it was sent, and retries an idempotent one', async () => {
    const { url } = await start();
    const post = await send(`${url}/reset`, { method: 'POST', body: 'x=1' });
    expect(post.status).toBe(502);
    expect(post.body).toMatch(/backend [abc] failed .* not retried because it has a body/);
    const before = backends.map((b) => b.hits);
    const get = await send(`${url}/reset`);
    // Every backend drops /reset, so the GET is tried on all three before the 502.
    expect(get.status).toBe(502);
    expect(get.body).toMatch(/no other backend is left to retry on/);
    expect(backends.map((b, i) => b.hits - (before[i] ?? 0))).toEqual([1, 1, 1]);
  });

  it('takes a backend down after `fall` failed checks and up after `rise` good ones', async () => {
    const port = await sparePort();
    const balancer = createBalancer({
      backends: [{ id: 'late', url: `http://127.0.0.1:${port}` }],
      healthCheck: { path: '/healthz', intervalMs: 50, timeoutMs: 500, rise: 2, fall: 2 },
    });
    open.push(balancer);
    const [down, reason] = await new Promise<[BackendStatus, string]>((resolve) =>
      balancer.once('down', (b, r) => resolve([b, r])),
    );
    expect(down).toMatchObject({ id: 'late', healthy: false });
    expect(reason).toContain('ECONNREFUSED');
    const late = await startBackend('late', port);
    try {
      expect(await waitFor(balancer, 'up')).toMatchObject({ id: 'late', healthy: true });
    } finally {
      await late.close();
    }
  });
});

describe('drain, add, remove', () => {
  it('drain: no new clients, pinned clients stay until idle', async () => {
    // Idle after 8 s: long enough that a busy machine cannot idle a client between its requests.
    const { url, balancer } = await start({ sticky, clientIdleMs: 8000 });
    const pinned = await inBatches([...Array(30).keys()], 10, () => send(`${url}/`));
    const onA = pinned.filter((r) => r.backend === 'a');
    expect(onA.length).toBe(10);
    expect(balancer.drain('a')).toBe(true);
    const fresh = await inBatches([...Array(30).keys()], 10, () => send(`${url}/`));
    expect(fresh.every((r) => r.backend !== 'a')).toBe(true);
    // Active clients keep their backend while they keep talking.
    for (let round = 0; round < 3; round++) {
      const again = await Promise.all(onA.map((r) => send(`${url}/`, { cookie: r.cookie as string })));
      expect(again.every((r) => r.backend === 'a' && r.cookie === undefined)).toBe(true);
    }
    expect(balancer.backends().find((b) => b.id === 'a')).toMatchObject({ draining: true, clients: 10 });
    await sleep(8500);
    expect(balancer.backends().find((b) => b.id === 'a')?.clients).toBe(0);
    const moved = await Promise.all(onA.map((r) => send(`${url}/`, { cookie: r.cookie as string })));
    expect(moved.every((r) => r.backend !== 'a' && r.cookie?.startsWith(`SKID=${r.backend}.`))).toBe(true);
    expect(balancer.resume('a')).toBe(true);
    expect(balancer.drain('nope')).toBe(false);
  });

  it('adds and removes backends at run time; removed backends lose their clients', async () => {
    const { url, balancer } = await start({ sticky, backends: [] });
    expect((await send(`${url}/`)).status).toBe(503);
    balancer.add({ id: 'a', url: (backends[0] as TestBackend).url });
    const first = await send(`${url}/`);
    expect(first.backend).toBe('a');
    balancer.add({ id: 'b', url: (backends[1] as TestBackend).url });
    expect(() => balancer.add({ id: 'b', url: 'http://127.0.0.1:1' })).toThrow(StickyConfigError);
    expect(balancer.remove('a')).toBe(true);
    expect(balancer.remove('a')).toBe(false);
    const after = await send(`${url}/`, { cookie: first.cookie as string });
    expect(after.backend).toBe('b');
    expect(after.cookie?.startsWith('SKID=b.')).toBe(true);
    expect(balancer.backends().map((b) => b.id)).toEqual(['b']);
  });
});

describe('least-connections', () => {
  it('sends new requests away from a backend with a request in flight', async () => {
    const { url, balancer } = await start({ strategy: 'least-connections' });
    const held = send(`${url}/hold?ms=1500`);
    let busy: BackendStatus | undefined;
    while (!busy) {
      await sleep(10);
      busy = balancer.backends().find((b) => b.connections === 1);
    }
    const replies = await inBatches([...Array(10).keys()], 1, () => send(`${url}/`));
    expect(replies.every((r) => r.backend !== busy?.id)).toBe(true);
    expect((await held).backend).toBe(busy.id);
    balancer.strategy = 'round-robin';
    const rr = await inBatches([...Array(6).keys()], 1, () => send(`${url}/`));
    expect(new Set(rr.map((r) => r.backend)).size).toBe(3);
  });
});

describe('proxying', () => {
  it('sets X-Forwarded-For/Proto/Host and keeps the Host header', async () => {
    const { url } = await start();
    const reply = await send(`${url}/path?q=1`, { headers: { host: 'shop.example', 'x-forwarded-proto': 'https' } });
    const seen = JSON.parse(reply.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/path?q=1');
    expect(seen.headers).toMatchObject({
      host: 'shop.example',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.example',
    });
  });

  it('passes WebSocket upgrades (echo)', async () => {
    const { url, balancer } = await start();
    const socket = new WebSocket(url.replace('http', 'ws'));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const echoes: string[] = [];
    for (const text of ['one', 'two']) {
      socket.send(text);
      echoes.push(await new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data)))));
    }
    expect(echoes[0]).toMatch(/^[abc]:one$/);
    expect(echoes[1]).toBe(`${echoes[0]?.split(':')[0]}:two`);
    expect(balancer.backends().reduce((n, b) => n + b.connections, 0)).toBe(1);
    socket.close();
    await new Promise((resolve) => socket.once('close', resolve));
  });

  it('serves routes of its own through onRequest', async () => {
    const { url } = await start({
      onRequest: (req, res) => {
        if (!req.url?.startsWith('/__demo/')) return false;
        res.end('handled by the balancer');
        return true;
      },
    });
    expect((await send(`${url}/__demo/status`)).body).toBe('handled by the balancer');
    expect((await send(`${url}/other`)).backend).toMatch(/^[abc]$/);
  });
});

describe('configuration errors', () => {
  const cases: [string, Partial<BalancerOptions>, RegExp][] = [
    ['bad backend id', { backends: [{ id: 'a.b', url: 'http://127.0.0.1:1' }] }, /backend id "a.b" must match/],
    [
      'duplicate id',
      {
        backends: [
          { id: 'a', url: 'http://127.0.0.1:1' },
          { id: 'a', url: 'http://127.0.0.1:2' },
        ],
      },
      /used twice/,
    ],
    ['bad url', { backends: [{ id: 'a', url: 'localhost:3001' }] }, /http:\/\/ or https:\/\//],
    ['bad weight', { backends: [{ id: 'a', url: 'http://127.0.0.1:1', weight: 0 }] }, /weight must be an integer/],
    [
      'unknown strategy',
      { strategy: 'random' as never },
      /strategy must be one of round-robin, least-connections, ip-hash/,
    ],
    ['short secret', { sticky: { cookie: 'S', secret: 'short' } }, /at least 16 characters/],
    ['bad cookie name', { sticky: { cookie: 'a b', secret: SECRET } }, /not a valid cookie name/],
    ['bad trustProxy', { trustProxy: -1 }, /trustProxy must be a whole number/],
    ['bad maxConnections', { maxConnections: 0 }, /maxConnections must be a positive whole number/],
    ['fractional headersTimeoutMs', { headersTimeoutMs: 1.5 }, /headersTimeoutMs must be a positive whole number/],
    [
      'headersTimeoutMs above requestTimeoutMs',
      { headersTimeoutMs: 5000, requestTimeoutMs: 1000 },
      /headersTimeoutMs \(5000\) must not be more than requestTimeoutMs \(1000\)/,
    ],
    ['bad keepAliveTimeoutMs', { keepAliveTimeoutMs: -1 }, /keepAliveTimeoutMs must be a positive whole number/],
    ['bad health path', { healthCheck: { path: 'healthz' } }, /healthCheck.path must start with \//],
    [
      'bad interval',
      { healthCheck: { path: '/h', intervalMs: 0 } },
      /healthCheck.intervalMs must be a positive number/,
    ],
  ];
  it.each(cases)('%s → StickyConfigError', (_name, options, message) => {
    const make = () => createBalancer({ backends: [], ...options });
    expect(make).toThrow(StickyConfigError);
    expect(make).toThrow(message);
  });
});
