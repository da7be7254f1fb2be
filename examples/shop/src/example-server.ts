import { parseArgs } from 'node:util';
import { withoutSeparator } from './demo-args.js';
import { describeStoreUrl } from './store.js';

/** What the one-instance framework examples (`pnpm demo:koa`, `pnpm demo:fastify`) take on their command line. */
export interface ExampleArgs {
  port: number;
  storeUrl: string;
}

/**
 * Parses `--port` and `--store` of a framework example; prints `usage` and exits 0 on `--help`,
 * prints the problem with `usage` and exits 2 on bad input.
 */
export function parseExampleArgs(argv: string[], usage: string): ExampleArgs {
  try {
    const { values } = parseArgs({
      args: withoutSeparator(argv),
      options: {
        port: { type: 'string', default: '3000' },
        store: { type: 'string', default: 'memory://' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65_535)
      throw new Error(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(values.port)}`);
    return { port, storeUrl: values.store };
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}

/** Runs `open`; a store URL it refuses ends the process with exit code 2 and the reason. */
export function orExit2<T>(open: () => T): T {
  try {
    return open();
  } catch (err) {
    console.error(`--store: ${(err as Error).message}`);
    process.exit(2);
  }
}

/** The lines a framework example prints once it listens (the tests wait for the `Open` line). */
export function announce(framework: string, storeUrl: string, port: number): void {
  console.log(
    `sessionkit shop on ${framework}\n  store  ${describeStoreUrl(storeUrl)}\n\nOpen http://127.0.0.1:${port}  (Ctrl-C stops it)`,
  );
}

/** On Ctrl-C or SIGTERM: `stop()` (close the server, then the store), then exit 0. */
export function stopOnSignals(stop: () => Promise<unknown>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void stop().finally(() => process.exit(0));
    });
  }
}
