import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import session from 'express-session';
import { engineAvailable, sparePort } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  haproxyConfig,
  nginxConfig,
  sessionIdGenerator,
  StickyConfigError,
  stickyRoute,
  type ProxyConfigOptions,
  type Strategy,
} from '../src/index.js';
import { inBatches, send, tally } from './support/http.js';
import { MapStore } from './support/map-store.js';

const run = promisify(execFile);
const backends = [
  { id: 'a', url: 'http://127.0.0.1:3101' },
  { id: 'b', url: 'http://127.0.0.1:3102', weight: 2 },
];
const healthCheck = { path: '/healthz', intervalMs: 500, timeoutMs: 300, rise: 2, fall: 2 };
const strategies: Strategy[] = ['round-robin', 'least-connections', 'ip-hash'];
const routeModes = [{ mode: 'cookie' as const }, { mode: 'session-id-suffix' as const }];

// Raw `connect.sid` cookie values as a browser sends them, and the route a balancer must read from
// each. Session ids may be any 1–256 characters (express-session's genid contract); only
// sessionIdGenerator's shape carries a route, every other id is balanced normally.
const SIG = 'q%2BzM0%2Fk9Yw';
const SID = 'mYqk3L_x-Xw';
const SUFFIX_TABLE: [string, string | undefined][] = [
  [`${SID}.a`, 'a'],
  [`${SID}.b`, 'b'],
  [`s%3A${SID}.a.${SIG}`, 'a'],
  [`s%3A${SID}.b.${SIG}`, 'b'],
  [`${SID}.c`, undefined], // not a backend
  [`${SID}.a.b`, undefined], // unsigned, more dots: not sessionIdGenerator's shape
  [`s%3A${SID}.x.a.${SIG}`, undefined],
  [`s%3A${SID}.a`, undefined], // signed prefix without a signature
  [`${SID}.a%2F`, undefined],
  [`${SID}.a%2Eb`, undefined],
  [`${SID}.a+`, undefined],
  [`${SID}%2Ea`, undefined],
  [`a%2Fb%2Bc%25.a`, undefined], // '/', '+', '%' in the id, URL-encoded by express-session
  [`%C3%A9t%C3%A9.a`, undefined], // unicode id
  [`.a`, undefined],
  [`a`, undefined],
  [`${SID}.A`, undefined],
];

describe('rendered configs', () => {
  it('HAProxy: cookie insert with maxidle/maxlife, checks with rise/fall, forwarded headers', () => {
    const cfg = haproxyConfig({
      listen: 8080,
      backends,
      sticky: { cookie: 'SRV', maxIdleMs: 1_800_000, maxLifeMs: 28_800_000, secure: true },
      healthCheck,
    });
    expect(cfg).toContain(
      'cookie SRV insert indirect nocache httponly secure attr "SameSite=Lax" maxidle 1800s maxlife 28800s',
    );
    expect(cfg).toContain('http-check send meth GET uri /healthz');
    expect(cfg).toContain('default-server inter 500ms rise 2 fall 2');
    expect(cfg).toContain('server b 127.0.0.1:3102 weight 2 check cookie b');
    expect(cfg).toContain('option forwardfor');
    expect(cfg).toContain('X-Forwarded-Proto');
  });

  it('HAProxy: ip-hash is consistent source hashing; session id suffix becomes use-server rules', () => {
    const cfg = haproxyConfig({
      listen: '127.0.0.1:8080',
      backends,
      strategy: 'ip-hash',
      route: { mode: 'session-id-suffix' },
    });
    expect(cfg).toContain('balance source\n    hash-type consistent');
    expect(cfg).toContain(
      `use-server a if { req.cook(connect.sid) -m reg '^(s%3A[A-Za-z0-9_-]+[.]a[.][^.]+|[A-Za-z0-9_-]+[.]a)$' }`,
    );
    expect(cfg).toContain('bind 127.0.0.1:8080');
  });

  it('nginx: route map with per-route upstreams and backup servers, passive health', () => {
    const cfg = nginxConfig({
      listen: 8080,
      backends,
      route: { mode: 'cookie' },
      healthCheck,
      strategy: 'least-connections',
    });
    expect(cfg).toContain('"~(?:^|;\\s*)route=(?<sessionkit_r>[A-Za-z0-9_-]+)" $sessionkit_r;');
    expect(cfg).toContain('"~^a$" sessionkit_route_a;');
    expect(cfg).toMatch(
      /upstream sessionkit_route_a \{\n\s+server 127\.0\.0\.1:3101 .*;\n\s+server 127\.0\.0\.1:3102 .* backup;/,
    );
    expect(cfg).toContain('least_conn;');
    expect(cfg).toContain('max_fails=2 fail_timeout=1s');
    expect(nginxConfig({ listen: 8080, backends, strategy: 'ip-hash', standalone: false })).toMatch(
      /^# Generated[\s\S]*hash \$remote_addr consistent;/,
    );
  });

  // Session ids may now be any 1–256 characters (express-session's genid contract). The rendered
  // rules must read a route only from sessionIdGenerator's shape, exactly where routeOfSessionId
  // does, and give every other id no route (normal balancing).
  describe('session id suffix rules cannot be confused by unusual ids', () => {
    const cfgHaproxy = haproxyConfig({ listen: 80, backends, route: { mode: 'session-id-suffix' } });
    const haproxyRules = [
      ...cfgHaproxy.matchAll(/use-server (\w+) if \{ req\.cook\(connect\.sid\) -m reg '([^']+)' \}/g),
    ].map(([, server, pattern]) => [server as string, new RegExp(pattern as string)] as const);
    const cfgNginx = nginxConfig({ listen: 80, backends, route: { mode: 'session-id-suffix' } });
    const nginxRules = [...cfgNginx.matchAll(/"~(.+)" \$sessionkit_r;/g)].map(
      ([, pattern]) => new RegExp(pattern as string),
    );
    const haproxyRoute = (value: string) => haproxyRules.filter(([, re]) => re.test(value)).map(([server]) => server);
    const nginxRoute = (value: string) => {
      for (const re of nginxRules) {
        const m = re.exec(`other=1; connect.sid=${value}; x=y`);
        if (m) return m.groups?.['sessionkit_r'];
      }
      return undefined;
    };

    it.each(SUFFIX_TABLE)('connect.sid=%s → %s', (value, route) => {
      expect(haproxyRules).toHaveLength(2);
      expect(haproxyRoute(value)).toEqual(route ? [route] : []);
      const mapped = nginxRoute(value);
      expect(mapped !== undefined && backends.some((b) => b.id === mapped) ? mapped : undefined).toBe(route);
    });
  });

  it.each([
    [
      'nginx cookie insert',
      () => nginxConfig({ listen: 80, backends, sticky: { cookie: 'SRV' } }),
      /nginx open source cannot insert a sticky cookie/,
    ],
    [
      'sticky and route',
      () => haproxyConfig({ listen: 80, backends, sticky: { cookie: 'SRV' }, route: { mode: 'cookie' } }),
      /not both/,
    ],
    ['bad listen', () => haproxyConfig({ listen: 'localhost', backends }), /listen must be a port or host:port/],
    ['no backends', () => haproxyConfig({ listen: 80, backends: [] }), /at least one backend/],
    [
      'https backend',
      () => nginxConfig({ listen: 80, backends: [{ id: 'a', url: 'https://x:1' }] }),
      /plain http:\/\/host:port/,
    ],
    [
      'bad route mode',
      () => haproxyConfig({ listen: 80, backends, route: { mode: 'header' as never } }),
      /route.mode must be/,
    ],
  ])('%s → StickyConfigError', (_name, render, message) => {
    expect(render).toThrow(StickyConfigError);
    expect(render).toThrow(message);
  });
});

const haproxyOk = await engineAvailable(
  'haproxy',
  () => run('haproxy', ['-v']),
  'install it with `apt-get install -y haproxy`',
);
const nginxOk = await engineAvailable(
  'nginx',
  () => run('nginx', ['-v']),
  'install it with `apt-get install -y nginx`',
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sessionkit-sticky-'));
  // nginx workers run as an unprivileged user when started as root: they must reach the prefix.
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const variants: [string, ProxyConfigOptions][] = strategies.flatMap((strategy) => [
  [`${strategy}`, { listen: 8080, backends, strategy, healthCheck }],
  ...routeModes.map((route): [string, ProxyConfigOptions] => [
    `${strategy}, route ${route.mode}`,
    { listen: 8080, backends, strategy, route, healthCheck },
  ]),
]);

describe.skipIf(!haproxyOk)('real HAProxy', () => {
  it.each([
    ...variants,
    ['cookie insert', { listen: 8080, backends, sticky: { cookie: 'SRV', maxIdleMs: 60_000 }, healthCheck }] as [
      string,
      ProxyConfigOptions,
    ],
  ])('haproxy -c accepts the config: %s', async (name, options) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.cfg`);
    await writeFile(file, haproxyConfig(options));
    const { stdout, stderr } = await run('haproxy', ['-c', '-f', file]);
    expect(`${stdout}${stderr}`).toContain('Configuration file is valid');
    expect(stderr).not.toMatch(/ALERT|WARNING/);
  });

  it('keeps clients on the instance stickyRoute tagged (route cookie)', async () => {
    const instances = await Promise.all(
      ['a', 'b'].map((id) => startInstance(id, (app) => app.use(stickyRoute({ route: id })))),
    );
    await expectSticky(instances, () => startHaproxy({ backends: instances, route: { mode: 'cookie' } }), 'route');
  });

  it('keeps clients on the instance named by the session id suffix (express-session genid)', async () => {
    const shared = new Map<string, string>();
    const instances = await Promise.all(
      ['a', 'b'].map((id) =>
        startInstance(id, (app) => {
          app.use(
            session({
              secret: 'haproxy-test-secret',
              store: new MapStore(shared),
              resave: false,
              saveUninitialized: true,
              genid: sessionIdGenerator(id),
            }),
          );
          app.use(stickyRoute({ route: id, mode: 'session-id-suffix' }));
        }),
      ),
    );
    await expectSticky(
      instances,
      () => startHaproxy({ backends: instances, route: { mode: 'session-id-suffix' } }),
      'connect.sid',
    );
  });

  it('routes only sessionIdGenerator-shaped session ids; unusual ids are balanced normally', async () => {
    const instances = await Promise.all(['a', 'b'].map((id) => startInstance(id, () => {})));
    await expectSuffixRoutes(instances, () =>
      startHaproxy({ backends: instances, route: { mode: 'session-id-suffix' } }),
    );
  });

  it('pins clients with its own inserted cookie (cookie insert)', async () => {
    const instances = await Promise.all(['a', 'b'].map((id) => startInstance(id, () => {})));
    await expectSticky(instances, () => startHaproxy({ backends: instances, sticky: { cookie: 'SRV' } }), 'SRV');
  });

  async function startHaproxy(options: Omit<ProxyConfigOptions, 'listen' | 'healthCheck'>) {
    const port = await sparePort();
    const file = join(dir, `run-${port}.cfg`);
    await writeFile(
      file,
      haproxyConfig({ ...options, listen: `127.0.0.1:${port}`, healthCheck: { path: '/healthz', intervalMs: 200 } }),
    );
    return startProcess('haproxy', ['-db', '-f', file], port);
  }
});

describe.skipIf(!nginxOk)('real nginx', () => {
  it.each(variants)('nginx -t accepts the config: %s', async (name, options) => {
    const prefix = join(dir, `nginx-t-${name.replace(/\W+/g, '-')}`);
    await mkdir(join(prefix, 'logs'), { recursive: true });
    await writeFile(join(prefix, 'nginx.conf'), nginxConfig(options));
    const { stderr } = await run('nginx', [
      '-t',
      '-p',
      prefix,
      '-c',
      join(prefix, 'nginx.conf'),
      '-g',
      `pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;`,
    ]);
    expect(stderr).toContain('test is successful');
  });

  it('keeps clients on the instance stickyRoute tagged (route cookie map)', async () => {
    const instances = await Promise.all(
      ['a', 'b'].map((id) => startInstance(id, (app) => app.use(stickyRoute({ route: id })))),
    );
    const port = await sparePort();
    const prefix = join(dir, `nginx-run-${port}`);
    await mkdir(join(prefix, 'logs'), { recursive: true });
    await chmod(prefix, 0o755);
    await writeFile(
      join(prefix, 'nginx.conf'),
      nginxConfig({ listen: `127.0.0.1:${port}`, backends: instances, route: { mode: 'cookie' } }),
    );
    const args = [
      '-p',
      prefix,
      '-c',
      join(prefix, 'nginx.conf'),
      '-g',
      `daemon off; pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;`,
    ];
    await expectSticky(instances, () => startProcess('nginx', args, port), 'route');
  });

  it('routes only sessionIdGenerator-shaped session ids; unusual ids are balanced normally', async () => {
    const instances = await Promise.all(['a', 'b'].map((id) => startInstance(id, () => {})));
    const port = await sparePort();
    const prefix = join(dir, `nginx-run-${port}`);
    await mkdir(join(prefix, 'logs'), { recursive: true });
    await chmod(prefix, 0o755);
    await writeFile(
      join(prefix, 'nginx.conf'),
      nginxConfig({ listen: `127.0.0.1:${port}`, backends: instances, route: { mode: 'session-id-suffix' } }),
    );
    const args = [
      '-p',
      prefix,
      '-c',
      join(prefix, 'nginx.conf'),
      '-g',
      `daemon off; pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;`,
    ];
    await expectSuffixRoutes(instances, () => startProcess('nginx', args, port));
  });
});

/**
 * Sends every cookie of SUFFIX_TABLE through the proxy: one with a route always reaches that
 * instance; one without is balanced, so six requests in a row reach both instances.
 */
async function expectSuffixRoutes(
  instances: { close(): Promise<void> }[],
  start: () => Promise<{ url: string; stop(): Promise<void> }>,
): Promise<void> {
  try {
    const proxy = await start();
    try {
      for (const [value, route] of SUFFIX_TABLE) {
        const cookie = `other=1; connect.sid=${value}; x=y`;
        const reached = new Set<string | undefined>();
        for (let i = 0; i < 6; i++) reached.add((await send(`${proxy.url}/`, { cookie })).backend);
        expect([value, [...reached].sort()]).toEqual([value, route ? [route] : ['a', 'b']]);
      }
    } finally {
      await proxy.stop();
    }
  } finally {
    await Promise.all(instances.map((i) => i.close()));
  }
}

/**
 * Starts the proxy, then 20 clients send 5 requests each: every client stays on the instance that
 * answered its first request, and both instances get clients. Stops everything afterwards.
 */
async function expectSticky(
  instances: { close(): Promise<void> }[],
  start: () => Promise<{ url: string; stop(): Promise<void> }>,
  cookieName: string,
): Promise<void> {
  try {
    const proxy = await start();
    try {
      const firsts = await stickyClients(proxy.url, cookieName);
      expect(Object.keys(tally(firsts)).sort()).toEqual(['a', 'b']);
    } finally {
      await proxy.stop();
    }
  } finally {
    await Promise.all(instances.map((i) => i.close()));
  }
}

async function stickyClients(url: string, cookieName: string): Promise<string[]> {
  return inBatches([...Array(20).keys()], 5, async () => {
    const first = await send(`${url}/`, { cookieName });
    expect(first.status).toBe(200);
    expect(first.cookie).toBeDefined();
    for (let i = 0; i < 5; i++) {
      const again = await send(`${url}/`, { cookie: first.cookie as string });
      expect(again.backend).toBe(first.backend);
    }
    return first.backend as string;
  });
}

async function startInstance(
  id: string,
  setup: (app: express.Express) => void,
): Promise<{ id: string; url: string; close(): Promise<void> }> {
  const app = express();
  app.get('/healthz', (_req, res) => void res.send('ok'));
  setup(app);
  app.get('/', (_req, res) => void res.json({ id }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    id,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

async function startProcess(
  command: string,
  args: string[],
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${command} exited: ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true)).once('error', () => resolve(false));
      socket.once('connect', () => socket.end());
    });
    if (up) break;
    if (i > 200) throw new Error(`${command} did not listen on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
