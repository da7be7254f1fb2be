#!/usr/bin/env node
// sessionkit-balancer: the Node balancer from the command line. Prints one status line per backend
// on start and one line per health change; exits 2 with a clear message on bad arguments.
import { parseArgs } from 'node:util';
import type { BackendStatus } from './backend.js';
import type { BalancerOptions } from './balancer-options.js';
import { createBalancer } from './balancer.js';
import { StickyConfigError } from './errors.js';
import type { BackendConfig, Strategy } from './options.js';

const USAGE = `Usage: sessionkit-balancer --listen [host:]port --backend id=url [--backend id=url ...] [options]

  --listen [host:]port     where to listen (host defaults to 127.0.0.1)
  --backend id=url[,w=N]   a backend; id is [A-Za-z0-9_-]{1,64}, w its weight (default 1); repeat per backend
  --strategy name          round-robin (default), least-connections or ip-hash
  --sticky-cookie name     pin clients with a signed cookie of this name (cookie insert)
  --sticky-secret secret   HMAC key, >= 16 characters (or set SESSIONKIT_STICKY_SECRET)
  --sticky-max-idle ms     re-pin clients idle longer than this (HAProxy maxidle)
  --sticky-max-life ms     re-pin clients pinned longer than this (HAProxy maxlife)
  --health-path path       active health checks: GET this path on every backend
  --health-interval ms     time between checks (default 2000)
  --health-timeout ms      check timeout (default 1000)
  --rise n                 good checks to bring a backend up (default 2)
  --fall n                 failed checks to take a backend down (default 3)
  --trust-proxy n          proxy hops to trust in X-Forwarded-For (default 0)
  --max-connections n      client connections open at once (default 4096)
  --headers-timeout ms     time a client has to send its request headers (default 10000)
  --request-timeout ms     time a client has to send its whole request (default 60000)
  --keep-alive-timeout ms  idle keep-alive connections are closed after this (default 5000)
  --help                   show this text

Example:
  sessionkit-balancer --listen 8080 --backend a=http://127.0.0.1:3001 --backend b=http://127.0.0.1:3002 \\
    --sticky-cookie SRV --sticky-secret "$SECRET" --health-path /healthz
`;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new StickyConfigError(`${flag} needs a number, got ${JSON.stringify(value)}`);
  return n;
}

function parseBackend(spec: string): BackendConfig {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new StickyConfigError(`--backend ${JSON.stringify(spec)} must look like id=http://host:port`);
  const id = spec.slice(0, eq);
  const [url, ...extra] = spec.slice(eq + 1).split(',');
  const backend: BackendConfig = { id, url: url ?? '' };
  for (const option of extra) {
    const match = /^w(?:eight)?=(.*)$/.exec(option);
    if (!match) throw new StickyConfigError(`--backend ${id}: unknown option ${JSON.stringify(option)} (only w=N)`);
    backend.weight = number(match[1], `--backend ${id} w=`);
  }
  return backend;
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new StickyConfigError(`--listen ${JSON.stringify(value)} must be a port or host:port`);
  return { host: match[1]?.replace(/^\[(.*)\]$/, '$1') ?? '127.0.0.1', port };
}

/** Turns argv into balancer options; throws StickyConfigError with a message fit for the terminal. */
function parseCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { help: true } | { help: false; listen: { host: string; port: number }; options: BalancerOptions } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        backend: { type: 'string', multiple: true },
        strategy: { type: 'string' },
        'sticky-cookie': { type: 'string' },
        'sticky-secret': { type: 'string' },
        'sticky-max-idle': { type: 'string' },
        'sticky-max-life': { type: 'string' },
        'health-path': { type: 'string' },
        'health-interval': { type: 'string' },
        'health-timeout': { type: 'string' },
        rise: { type: 'string' },
        fall: { type: 'string' },
        'trust-proxy': { type: 'string' },
        'max-connections': { type: 'string' },
        'headers-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'keep-alive-timeout': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new StickyConfigError((err as Error).message);
  }
  if (values.help) return { help: true };
  if (!values.listen) throw new StickyConfigError('--listen is required');
  if (!values.backend?.length) throw new StickyConfigError('at least one --backend id=url is required');
  const options: BalancerOptions = {
    backends: values.backend.map(parseBackend),
    strategy: (values.strategy ?? 'round-robin') as Strategy,
  };
  const secret = values['sticky-secret'] ?? env['SESSIONKIT_STICKY_SECRET'];
  if (values['sticky-cookie']) {
    if (!secret) throw new StickyConfigError('--sticky-cookie needs --sticky-secret (or SESSIONKIT_STICKY_SECRET)');
    const maxIdleMs = number(values['sticky-max-idle'], '--sticky-max-idle');
    const maxLifeMs = number(values['sticky-max-life'], '--sticky-max-life');
    options.sticky = {
      cookie: values['sticky-cookie'],
      secret,
      ...(maxIdleMs ? { maxIdleMs } : {}),
      ...(maxLifeMs ? { maxLifeMs } : {}),
    };
  } else if (values['sticky-secret'] || values['sticky-max-idle'] || values['sticky-max-life']) {
    throw new StickyConfigError('--sticky-secret, --sticky-max-idle and --sticky-max-life need --sticky-cookie');
  }
  if (values['health-path']) {
    const intervalMs = number(values['health-interval'], '--health-interval');
    const timeoutMs = number(values['health-timeout'], '--health-timeout');
    const rise = number(values.rise, '--rise');
    const fall = number(values.fall, '--fall');
    options.healthCheck = {
      path: values['health-path'],
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(rise !== undefined ? { rise } : {}),
      ...(fall !== undefined ? { fall } : {}),
    };
  } else if (values['health-interval'] || values['health-timeout'] || values.rise || values.fall) {
    throw new StickyConfigError('--health-interval, --health-timeout, --rise and --fall need --health-path');
  }
  const trustProxy = number(values['trust-proxy'], '--trust-proxy');
  if (trustProxy !== undefined) options.trustProxy = trustProxy;
  const limits = [
    ['max-connections', 'maxConnections'],
    ['headers-timeout', 'headersTimeoutMs'],
    ['request-timeout', 'requestTimeoutMs'],
    ['keep-alive-timeout', 'keepAliveTimeoutMs'],
  ] as const;
  for (const [flag, option] of limits) {
    const value = number(values[flag], `--${flag}`);
    if (value !== undefined) options[option] = value;
  }
  return { help: false, listen: parseListen(values.listen), options };
}

function line(b: BackendStatus, reason?: string): string {
  const state = b.healthy ? 'UP' : 'DOWN';
  return `backend ${b.id} ${b.url} ${state}${b.draining ? ' (draining)' : ''}${reason ? `: ${reason}` : ''}`;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2), process.env);
    if (parsed.help) {
      process.stdout.write(USAGE);
      return;
    }
    const { listen, options } = parsed;
    const balancer = createBalancer({ ...options, logger: { info: () => {}, warn: (m) => console.warn(m) } });
    balancer.on('up', (b) => console.log(line(b)));
    balancer.on('down', (b, reason) => console.log(line(b, reason)));
    const address = await balancer.listen(listen.port, listen.host);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const features = [
      options.strategy,
      options.sticky ? `sticky cookie ${options.sticky.cookie}` : 'no sticky cookie',
      options.healthCheck ? `health checks GET ${options.healthCheck.path}` : 'passive health only',
    ];
    console.log(`sessionkit-balancer listening on http://${host}:${address.port} (${features.join(', ')})`);
    for (const b of balancer.backends()) console.log(line(b));
    const stop = () => void balancer.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    if (err instanceof StickyConfigError) {
      process.stderr.write(`sessionkit-balancer: ${err.message}\nRun sessionkit-balancer --help for usage.\n`);
      process.exit(2);
    }
    process.stderr.write(`sessionkit-balancer: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

void main();
