/**
 * `pnpm demo`: the sessionkit balancer on 127.0.0.1:3000 in front of three shop instances that
 * share one session store. Ctrl-C stops everything; no process is left behind.
 */
import { DEMO_USAGE, parseDemoArgs, type DemoArgs } from './demo-args.js';
import { startDeployment, type Deployment } from './deployment.js';
import { isClientSide, openStore } from './store.js';

let args: DemoArgs;
try {
  args = parseDemoArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n\n${DEMO_USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(DEMO_USAGE);
  process.exit(0);
}

// Refuse an unknown scheme or a malformed URL here, with the store's own message, before any process starts.
if (args.storeUrl && !args.storeUrl.startsWith('cluster:') && !isClientSide(args.storeUrl)) {
  try {
    await openStore(args.storeUrl).close();
  } catch (err) {
    console.error(`--store: ${(err as Error).message}`);
    process.exit(2);
  }
}

console.log('sessionkit shop demo');
let deployment: Deployment | undefined;
let stopping: Promise<void> | undefined;

function shutdown(reason: string, exitCode: number): Promise<void> {
  stopping ??= (async () => {
    console.log(`\n${reason}: stopping the balancer and ${args.instances} instances …`);
    await deployment?.stop();
    console.log('stopped, no process left behind');
    process.exit(exitCode);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C while stopping: do not wait any longer (the exit handler kills the instances).
    if (stopping) process.exit(130);
    void shutdown(signal, 0);
  });
}
process.on('uncaughtException', (err) => {
  console.error(err);
  void shutdown('crashed', 1);
});
process.on('unhandledRejection', (err) => {
  console.error(err);
  void shutdown('crashed', 1);
});

try {
  deployment = await startDeployment({
    ...(args.storeUrl ? { storeUrl: args.storeUrl } : {}),
    routing: args.routing,
    instances: args.instances,
    port: args.port,
    log: (line) => console.log(line),
    instanceOutput: (line) => {
      // Instances announce themselves on stdout; the runner already prints that. Show the rest.
      if (!line.includes(' listening on ')) console.log(line);
    },
  });
} catch (err) {
  console.error(`could not start: ${(err as Error).message}`);
  process.exit(1);
}

if (!stopping) {
  const defaultStore = !args.storeUrl
    ? ' (embedded SQLite file shared by all instances, removed at exit)'
    : isClientSide(args.storeUrl)
      ? ' (no store: each session travels sealed in its cookie; the page shows its size)'
      : '';
  console.log(`
  store    ${deployment.store}${defaultStore}
  routing  ${deployment.routing}

Open ${deployment.url}  (Ctrl-C stops everything)`);
}
