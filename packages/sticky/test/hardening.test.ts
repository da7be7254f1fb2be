// What an outside attacker can do to the balancer with raw sockets: spoof forwarded headers, hold
// connections open (slowloris), open more connections than it can serve, send request targets that
// name another authority, and smuggle a second request. Every test talks real HTTP to a real
// balancer in front of real backend servers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createBalancer, rendezvousPick, type Balancer, type BalancerOptions } from '../src/index.js';
import { startBackend, type TestBackend } from './support/backend.js';
import { hold, rawRequest, send, sleep, within, type HeldSocket } from './support/http.js';

let backends: TestBackend[];
const open: Balancer[] = [];
const held: HeldSocket[] = [];

beforeAll(async () => {
  backends = await Promise.all(['a', 'b', 'c'].map((id) => startBackend(id)));
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
});
afterEach(async () => {
  for (const h of held.splice(0)) h.socket.destroy();
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function start(
  options: Partial<BalancerOptions> = {},
): Promise<{ balancer: Balancer; port: number; url: string }> {
  const balancer = createBalancer({ backends: backends.map(({ id, url }) => ({ id, url })), ...options });
  open.push(balancer);
  const { port } = await balancer.listen(0, '127.0.0.1');
  return { balancer, port, url: `http://127.0.0.1:${port}` };
}

/** What the test backend saw: it echoes its request as JSON. */
interface Seen {
  id: string;
  url: string;
  headers: Record<string, string | undefined>;
}
const seen = (body: string) => JSON.parse(body) as Seen;

/** A GET with extra header lines, as a client would write it on the wire. */
const get = (target: string, headerLines: string[] = [], host = 'shop.example') =>
  [`GET ${target} HTTP/1.1`, `Host: ${host}`, ...headerLines, 'Connection: close', '', ''].join('\r\n');

const totalHits = () => backends.reduce((n, b) => n + b.hits, 0);
const allUrls = () => backends.flatMap((b) => b.urls);

/** Polls `check` until it holds; fails after `ms` instead of hanging. Asserts the end state, not how fast it came. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await sleep(25);
  }
}

describe('forwarded headers', () => {
  const spoofed = [
    'X-Forwarded-For: 1.2.3.4',
    'X-Forwarded-For: 5.6.7.8, 9.9.9.9',
    'X-Forwarded-Proto: https',
    'X-Forwarded-Host: evil.example',
    'X-Forwarded-Port: 443',
    'Forwarded: for=1.2.3.4;proto=https;host=evil.example',
    'X-Real-IP: 1.2.3.4',
  ];

  it('trustProxy 0 (default): the app sees exactly the socket address, whatever the client sent', async () => {
    const { port } = await start();
    const reply = await rawRequest(port, get('/', spoofed), { localAddress: '127.0.0.5' });
    expect(reply.status).toBe(200);
    const { headers } = seen(reply.body);
    expect(headers['x-forwarded-for']).toBe('127.0.0.5');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('shop.example');
    expect(headers['x-forwarded-port']).toBeUndefined();
    expect(headers['forwarded']).toBeUndefined();
    expect(headers['x-real-ip']).toBeUndefined();
    expect(headers.host).toBe('shop.example');
  });

  it('trustProxy 0 with ip-hash: the spoofed header moves neither the bucket nor the forwarded address', async () => {
    const { port } = await start({ strategy: 'ip-hash' });
    for (const localAddress of ['127.0.0.7', '127.0.0.8', '127.0.0.9']) {
      const reply = await rawRequest(port, get('/', ['X-Forwarded-For: 203.0.113.9']), { localAddress });
      expect(seen(reply.body).headers['x-forwarded-for']).toBe(localAddress);
      expect(seen(reply.body).id).toBe(rendezvousPick(localAddress, backends)?.id);
    }
  });

  it('trustProxy 1: keeps the hop the trusted proxy appended, drops what the client put in front', async () => {
    const { port } = await start({ trustProxy: 1, strategy: 'ip-hash' });
    const reply = await rawRequest(
      port,
      get('/', [
        'X-Forwarded-For: 6.6.6.6, 1.2.3.4',
        'X-Forwarded-Proto: http, https',
        'X-Forwarded-Host: evil.example, shop.example',
        'Forwarded: for=1.2.3.4',
      ]),
      { localAddress: '127.0.0.6' },
    );
    const { headers, id } = seen(reply.body);
    expect(headers['x-forwarded-for']).toBe('1.2.3.4, 127.0.0.6');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers['x-forwarded-host']).toBe('shop.example');
    // The address the balancer hashes is the first entry the app sees.
    expect(id).toBe(rendezvousPick('1.2.3.4', backends)?.id);
  });

  it('trustProxy 2: keeps two hops; a shorter chain is kept whole', async () => {
    const { port } = await start({ trustProxy: 2 });
    const long = await rawRequest(port, get('/', ['X-Forwarded-For: 9.9.9.9, 6.6.6.6,1.2.3.4']), {
      localAddress: '127.0.0.6',
    });
    expect(seen(long.body).headers['x-forwarded-for']).toBe('6.6.6.6, 1.2.3.4, 127.0.0.6');
    const short = await rawRequest(port, get('/', ['X-Forwarded-For: 1.2.3.4']), { localAddress: '127.0.0.6' });
    expect(seen(short.body).headers['x-forwarded-for']).toBe('1.2.3.4, 127.0.0.6');
    const none = await rawRequest(port, get('/'), { localAddress: '127.0.0.6' });
    expect(seen(none.body).headers['x-forwarded-for']).toBe('127.0.0.6');
  });

  it('trustProxy 1: a malformed proto or host from the proxy falls back to the connection and Host', async () => {
    const { port } = await start({ trustProxy: 1 });
    const reply = await rawRequest(
      port,
      get('/', ['X-Forwarded-Proto: javascript', 'X-Forwarded-Host: evil.example/path']),
    );
    expect(seen(reply.body).headers).toMatchObject({ 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example' });
  });
});

describe('connection limits and timeouts', () => {
  it('uses documented defaults instead of Node’s', () => {
    const balancer = createBalancer({ backends: [] });
    expect(balancer.server).toMatchObject({
      maxConnections: 4096,
      headersTimeout: 10_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 5000,
    });
  });

  it('closes 60 slowloris sockets that never finish their headers, and keeps serving', async () => {
    const { port, url } = await start({ headersTimeoutMs: 500, requestTimeoutMs: 2000 });
    const sockets = await Promise.all(Array.from({ length: 60 }, () => hold(port)));
    held.push(...sockets);
    // Slowloris: a request line, then one more header line every 100 ms, never the blank line.
    const drip = setInterval(() => {
      for (const h of sockets) if (!h.isClosed()) h.socket.write(`X-Slow-${Date.now()}: 1\r\n`);
    }, 100);
    for (const h of sockets) h.socket.write('GET / HTTP/1.1\r\nHost: shop.example\r\n');
    try {
      // The guarantee: every one is closed by the balancer. 30 s only catches a hang (Node's own default is 60 s).
      const answers = await within(Promise.all(sockets.map((h) => h.closed)), 30_000, 'still open' as const);
      expect(answers).not.toBe('still open');
      for (const answer of answers as string[]) expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      clearInterval(drip);
    }
    expect((await send(`${url}/`)).status).toBe(200);
  }, 90_000);

  it('closes sockets that connect and send nothing', async () => {
    const { port } = await start({ headersTimeoutMs: 500, requestTimeoutMs: 2000 });
    const sockets = await Promise.all(Array.from({ length: 50 }, () => hold(port)));
    held.push(...sockets);
    const closed = await within(Promise.all(sockets.map((h) => h.closed)), 30_000, 'still open' as const);
    expect(closed).not.toBe('still open');
  }, 90_000);

  it('closes a request whose body trickles in for longer than requestTimeoutMs, and releases the backend', async () => {
    const { port, balancer } = await start({ headersTimeoutMs: 500, requestTimeoutMs: 1500 });
    const sockets = await Promise.all(Array.from({ length: 10 }, () => hold(port)));
    held.push(...sockets);
    for (const h of sockets)
      h.socket.write('POST /upload HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 100000\r\n\r\n');
    const drip = setInterval(() => {
      for (const h of sockets) if (!h.isClosed()) h.socket.write('x');
    }, 100);
    try {
      const closed = await within(Promise.all(sockets.map((h) => h.closed)), 30_000, 'still open' as const);
      expect(closed).not.toBe('still open');
    } finally {
      clearInterval(drip);
    }
    await eventually(
      () => balancer.backends().every((b) => b.connections === 0),
      30_000,
      'backend connections released',
    );
  }, 90_000);

  it('never cuts a slow response or an open WebSocket: the timeouts only bound receiving the request', async () => {
    const { url } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 });
    const slow = await send(`${url}/hold?ms=2000`);
    expect(slow.status).toBe(200);
    const socket = new WebSocket(url.replace('http', 'ws'));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    try {
      for (let i = 0; i < 4; i++) {
        await sleep(500);
        expect(socket.readyState).toBe(WebSocket.OPEN);
        socket.send(`m${i}`);
        expect(await new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))))).toMatch(
          new RegExp(`^[abc]:m${i}$`),
        );
      }
    } finally {
      socket.close();
    }
  });

  it('caps connections at maxConnections: the next one is dropped unanswered, and a freed slot serves again', async () => {
    // Long timeouts: only the cap may close a connection in this test, however slow the machine.
    const { port, balancer } = await start({
      maxConnections: 5,
      keepAliveTimeoutMs: 60_000,
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    const connections = await Promise.all(Array.from({ length: 5 }, () => hold(port)));
    held.push(...connections);
    // Each one completes a keep-alive request, so the balancer has certainly accepted all five.
    await Promise.all(
      connections.map(
        (h) =>
          new Promise<void>((resolve) => {
            h.socket.once('data', () => resolve());
            h.socket.write('GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n');
          }),
      ),
    );
    const hitsBefore = totalHits();
    const over = await rawRequest(port, get('/over-the-cap'));
    expect(over.raw).toBe('');
    expect(totalHits()).toBe(hitsBefore);
    expect(allUrls()).not.toContain('/over-the-cap');

    connections[0]?.socket.destroy();
    await eventually(
      () => new Promise<boolean>((resolve) => balancer.server.getConnections((_err, n) => resolve(n < 5))),
      30_000,
      'a slot freed',
    );
    const after = await rawRequest(port, get('/after'));
    expect(after.status).toBe(200);
  }, 90_000);
});

describe('request targets', () => {
  it.each([
    ['//evil.example/x', 'a scheme-relative target'],
    ['//evil.example', 'a bare authority'],
    ['///evil.example/x', 'three slashes'],
    ['/.//evil.example/x', 'a dot segment in front of //'],
    ['/%2e//evil.example/x', 'an encoded dot segment in front of //'],
    ['/a/..//evil.example/x', 'a dot-dot segment in front of //'],
    ['http://evil.example/x', 'absolute-form naming another host'],
    ['https://evil.example/x', 'absolute-form https naming another host'],
    ['*', 'asterisk-form'],
  ])('refuses %s (%s) with 400 and never forwards it', async (target) => {
    const { port } = await start();
    const hits = totalHits();
    const reply = await rawRequest(port, get(target));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/^400 Bad Request: /);
    expect(totalHits()).toBe(hits);
  });

  it('refuses a backslash target (WHATWG URL parsers read \\ as /) without forwarding it', async () => {
    const { port } = await start();
    const hits = totalHits();
    const reply = await rawRequest(port, get('/\\evil.example/x'));
    expect(reply.status).toBe(400); // from Node's parser or the balancer
    expect(totalHits()).toBe(hits);
  });

  it('refuses a WebSocket upgrade to //host with 400', async () => {
    const { port } = await start();
    const hits = totalHits();
    const reply = await rawRequest(
      port,
      get('//evil.example/socket', [
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ]).replace('Connection: close', 'Connection: Upgrade'),
    );
    expect(reply.status).toBe(400);
    expect(totalHits()).toBe(hits);
  });

  it('forwards ordinary paths unchanged and absolute-form for its own Host as a path', async () => {
    const { port } = await start();
    const host = `127.0.0.1:${port}`;
    for (const [target, expected] of [
      ['/a//b?next=//evil.example', '/a//b?next=//evil.example'],
      ['/x/%2F%2Fevil.example', '/x/%2F%2Fevil.example'],
      [`http://${host}/own?q=1`, '/own?q=1'],
      [`HTTP://${host.toUpperCase()}/own`, '/own'],
    ] as const) {
      const reply = await rawRequest(port, get(target, [], host));
      expect(reply.status).toBe(200);
      expect(seen(reply.body).url).toBe(expected);
      expect(seen(reply.body).headers.host).toBe(host);
    }
  });
});

describe('regressions: no open proxy, no smuggling', () => {
  it('never connects to a host named in an absolute-form target or a CONNECT', async () => {
    let otherHits = 0;
    const other = http.createServer((_req, res) => {
      otherHits++;
      res.end('other');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    try {
      const { port } = await start();
      const absolute = await rawRequest(port, get(`http://127.0.0.1:${otherPort}/x`, [], `127.0.0.1:${port}`));
      expect(absolute.status).toBe(400);
      const connect = await rawRequest(
        port,
        `CONNECT 127.0.0.1:${otherPort} HTTP/1.1\r\nHost: 127.0.0.1:${otherPort}\r\n\r\n`,
      );
      expect(connect.raw).not.toMatch(/^HTTP\/1\.1 200/);
      expect(otherHits).toBe(0);
    } finally {
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it.each([
    ['Content-Length with Transfer-Encoding', ['Content-Length: 42', 'Transfer-Encoding: chunked']],
    ['two different Content-Lengths', ['Content-Length: 42', 'Content-Length: 0']],
    ['Transfer-Encoding not ending in chunked', ['Transfer-Encoding: chunked, identity']],
    ['space before the colon', ['Transfer-Encoding : chunked']],
  ])('a request with %s never lets a second request through', async (_name, framing) => {
    const { port } = await start();
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: shop.example\r\n\r\n';
    const request = ['POST / HTTP/1.1', 'Host: shop.example', ...framing, '', `0\r\n\r\n${smuggled}`].join('\r\n');
    const reply = await rawRequest(port, request, { hangMs: 20_000 }).catch((err: Error) => ({
      status: -1,
      raw: err.message,
      body: '',
    }));
    expect(reply.status === 400 || reply.status === -1 || reply.status === 0).toBe(true);
    expect(reply.raw).not.toContain('/smuggled');
    expect(allUrls()).not.toContain('/smuggled');
  });
});
