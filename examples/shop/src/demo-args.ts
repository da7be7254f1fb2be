import { parseArgs } from 'node:util';
import { ROUTINGS, type Routing } from './deployment.js';

export const DEMO_USAGE = `Usage: pnpm demo [options]

  --store <url>       session store shared by the instances (default: a SQLite file in a temporary
                      directory). memory://, sqlite:<file>, redis://host:6379, postgres://…, mysql://…,
                      cluster:// (each instance becomes a replicating node),
                      cookie:// (no store: sessions sealed in the browser's cookie)
  --routing <name>    round-robin (default), sticky-cookie or ip-hash
  --instances <n>     number of shop instances, 1 to 16 (default 3)
  --port <port>       balancer port (default 3000); instances use the ports after it
  -h, --help          show this help`;

export interface DemoArgs {
  storeUrl: string | undefined;
  routing: Routing;
  instances: number;
  port: number;
  help: boolean;
}

/** Parses the demo's command line. Throws an Error with a one-line message for bad input. */
export function parseDemoArgs(argv: string[]): DemoArgs {
  const { values } = parseArgs({
    args: withoutSeparator(argv),
    options: {
      store: { type: 'string' },
      routing: { type: 'string', default: 'round-robin' },
      instances: { type: 'string', default: '3' },
      port: { type: 'string', default: '3000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const routing = values.routing as Routing;
  if (!ROUTINGS.includes(routing))
    throw new Error(`--routing must be one of ${ROUTINGS.join(', ')}, got ${JSON.stringify(values.routing)}`);
  const instances = integer(values.instances, '--instances', 1, 16);
  const port = integer(values.port, '--port', 1, 65_535 - 2 * instances - 1);
  const storeUrl = values.store;
  if (storeUrl !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(storeUrl)) {
    throw new Error(
      `--store must be a store URL such as memory://, sqlite:./sessions.db or redis://127.0.0.1:6379, got ${JSON.stringify(storeUrl)}`,
    );
  }
  return { storeUrl, routing, instances, port, help: values.help };
}

function integer(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

/** `pnpm demo -- --port 4000` and `pnpm demo --port 4000` both work: a leading `--` is dropped. */
export function withoutSeparator(argv: string[]): string[] {
  return argv[0] === '--' ? argv.slice(1) : argv;
}
