// Memory a node needs per 100,000 sessions: node A writes them, node B receives them by
// replication; each process reports RSS and heapUsed before and after (after a forced GC).
//   node --import tsx packages/cluster/bench/memory.ts [sessions=100000]
import { NodeProcess, allLinked, clusterConfigs } from '../test/support/processes.js';

const count = Number(process.argv[2] ?? 100_000);
const nodes = (await clusterConfigs(2, { max: count * 2, maxSizeBytes: 2 ** 30, antiEntropyIntervalMs: 600_000 })).map(
  (config) => new NodeProcess(config),
);
await Promise.all(nodes.map((node) => node.start(['--expose-gc'])));
await allLinked(nodes);
const [a, b] = nodes as [NodeProcess, NodeProcess];
// An express-session shaped session: cookie, a user, a small cart (about 230 bytes of JSON).
const template = {
  cookie: {
    originalMaxAge: 86_400_000,
    expires: new Date(Date.now() + 86_400_000).toISOString(),
    secure: false,
    httpOnly: true,
    path: '/',
  },
  user: { id: 4242, name: 'Ann Example', roles: ['buyer'] },
  cart: [
    { sku: 'tea-green-100g', qty: 2 },
    { sku: 'mug-blue', qty: 1 },
  ],
};
console.log(`session JSON: ${JSON.stringify({ ...template, n: 99_999 }).length} bytes`);

type Usage = { rss: number; heapUsed: number };
const before = await Promise.all(nodes.map((node) => node.call<Usage>('memory')));
const started = Date.now();
await a.call('bulkSet', 'mem-session', count, template);
const wrote = Date.now() - started;
while ((await b.call<number>('length')) < count) await new Promise((resolve) => setTimeout(resolve, 200));
const after = await Promise.all(nodes.map((node) => node.call<Usage>('memory')));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const per100k = (bytes: number) => mib((bytes * 100_000) / count);
console.log(`${count} sessions written on A in ${wrote} ms, all replicated to B`);
for (const [i, name] of ['A (writer)', 'B (replica)'].entries()) {
  const rss = after[i]!.rss - before[i]!.rss;
  const heap = after[i]!.heapUsed - before[i]!.heapUsed;
  console.log(
    `  ${name}: RSS +${mib(rss)}, heapUsed +${mib(heap)} → per 100,000 sessions: RSS ${per100k(rss)}, heap ${per100k(heap)} (${Math.round(heap / count)} bytes/session)`,
  );
}
await Promise.all(nodes.map((node) => node.stop()));
