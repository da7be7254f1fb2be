// Time for a node to join a cluster that already holds many sessions: A holds them, B starts
// empty, `ready()` resolves once B pulled A's full state.
//   node --import tsx packages/cluster/bench/join.ts [sessions=100000]
import { NodeProcess, clusterConfigs } from '../test/support/processes.js';

const count = Number(process.argv[2] ?? 100_000);
const [configA, configB] = await clusterConfigs(2, {
  max: count * 2,
  maxSizeBytes: 2 ** 30,
  antiEntropyIntervalMs: 600_000,
  joinTimeoutMs: 300,
});
const a = new NodeProcess(configA!);
await a.start();
await a.call('bulkSet', 'join-session', count, {
  cookie: { originalMaxAge: 86_400_000, httpOnly: true, path: '/' },
  user: { id: 7, name: 'ann' },
});
const b = new NodeProcess(configB!);
const started = Date.now();
await b.start(); // resolves after B's ready()
const joinedMs = Date.now() - started;
console.log(
  `B joined in ${joinedMs} ms (process start included) and holds ${await b.call('length')} of ${count} sessions`,
);
await Promise.all([a.stop(), b.stop()]);
