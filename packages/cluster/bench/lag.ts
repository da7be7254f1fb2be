// Replication lag of a 3-node cluster on loopback: a session written on node A, the time until it
// is readable on B and on C. Each node is its own process; times come from the shared system clock.
//   node --import tsx packages/cluster/bench/lag.ts [samples=1000]
import { NodeProcess, allLinked, clusterConfigs } from '../test/support/processes.js';

const samples = Number(process.argv[2] ?? 1000);
const nodes = (await clusterConfigs(3, { antiEntropyIntervalMs: 60_000 })).map((config) => new NodeProcess(config));
await Promise.all(nodes.map((node) => node.start()));
await allLinked(nodes);
const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
const session = {
  cookie: { originalMaxAge: 86_400_000, httpOnly: true, path: '/' },
  user: { id: 42, name: 'ann' },
  cart: [{ sku: 'tea', qty: 2 }],
};

const lags: number[] = [];
for (let i = 0; i < samples + 50; i++) {
  const sid = `lag-sample-${i}`;
  const seen = [b.call<number>('waitFor', sid), c.call<number>('waitFor', sid)];
  const written = await a.call<number>('timedSet', sid, session);
  for (const at of await Promise.all(seen)) if (i >= 50) lags.push(at - written); // first 50 warm up
}
lags.sort((x, y) => x - y);
const quantile = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!;
console.log(`replication lag, 3 nodes on loopback, ${lags.length} samples (write on A → readable on B and on C):`);
console.log(
  `  median ${quantile(0.5).toFixed(2)} ms, p90 ${quantile(0.9).toFixed(2)} ms, p99 ${quantile(0.99).toFixed(2)} ms, max ${lags.at(-1)!.toFixed(2)} ms`,
);
console.log(
  `  A's own estimate (peers().replicationLagMs):`,
  (await a.call<{ id: string; replicationLagMs: number }[]>('peers'))
    .map((p) => `${p.id} ${p.replicationLagMs} ms`)
    .join(', '),
);
await Promise.all(nodes.map((node) => node.stop()));
