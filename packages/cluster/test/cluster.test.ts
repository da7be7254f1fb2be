import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { eventually, sleep } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { NodeProcess, allLinked, clusterConfigs, converged } from './support/processes.js';
import { pick, prng, seedFromEnv } from './support/random.js';

// Three nodes, each its own process on 127.0.0.1, replicating with ack 'none' (the default):
// every check waits for replication instead of assuming it.
describe('3 nodes in 3 processes', () => {
  let nodes: NodeProcess[] = [];
  let a: NodeProcess, b: NodeProcess, c: NodeProcess;
  let run = 0;
  const sid = (name: string) => `t${run}-${name}-${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    run = Date.now() % 100000;
    nodes = (await clusterConfigs(3)).map((config) => new NodeProcess(config));
    await Promise.all(nodes.map((node) => node.start()));
    [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    await allLinked(nodes);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  const readableEverywhere = (s: string, expected: unknown) =>
    eventually(
      async () => {
        const values = await Promise.all(nodes.map((node) => node.call('get', s)));
        return values.every((value) => isDeepStrictEqual(value, expected));
      },
      10_000,
      20,
    );

  it('a session written on A is readable on B and C', async () => {
    const s = sid('replicated');
    await a.call('set', s, { user: 'ann', cart: ['tea'] });
    assert.ok(await readableEverywhere(s, { user: 'ann', cart: ['tea'] }));
    const peers =
      await a.call<{ id: string; connected: boolean; lastSeenAt: number; replicationLagMs: number | null }[]>('peers');
    assert.deepEqual(peers.map((p) => [p.id, p.connected]).sort(), [
      ['B', true],
      ['C', true],
    ]);
    assert.ok(peers.every((p) => p.lastSeenAt > Date.now() - 60_000 && typeof p.replicationLagMs === 'number'));
  });

  it('concurrent patches of different keys through A and B converge on all three', async () => {
    const s = sid('keys');
    await a.call('set', s, { base: true });
    assert.ok(await readableEverywhere(s, { base: true }));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).call('patch', s, { set: { [`k${i}`]: i }, unset: [] })),
    );
    const expected: Record<string, unknown> = { base: true };
    for (let i = 0; i < 20; i++) expected[`k${i}`] = i;
    assert.ok(
      await readableEverywhere(s, expected),
      JSON.stringify(await Promise.all(nodes.map((n) => n.call('get', s)))),
    );
  });

  it('a same-key conflict ends with the same value everywhere', async () => {
    const s = sid('conflict');
    await a.call('set', s, { hot: 'start', keep: 1 });
    assert.ok(await readableEverywhere(s, { hot: 'start', keep: 1 }));
    await Promise.all(nodes.map((node) => node.call('patch', s, { set: { hot: `from-${node.id}` }, unset: [] })));
    const ok = await eventually(
      async () => {
        const values = (await Promise.all(nodes.map((node) => node.call('get', s)))).map((v) => JSON.stringify(v));
        return values.every((v) => v === values[0]);
      },
      10_000,
      20,
    );
    assert.ok(ok, 'nodes disagree');
    const value = (await a.call<{ hot: string; keep: number }>('get', s))!;
    assert.ok(['from-A', 'from-B', 'from-C'].includes(value.hot));
    assert.equal(value.keep, 1);
  });

  it('C killed with SIGKILL, 1,000 sessions written through A, C restarted: C has all of them after ready()', async () => {
    await c.kill('SIGKILL');
    assert.ok(
      await eventually(
        async () =>
          (await a.call<{ id: string; connected: boolean }[]>('peers')).some((p) => p.id === 'C' && !p.connected),
        10_000,
      ),
    );
    const prefix = sid('bulk');
    await a.call('bulkSet', prefix, 1000);
    c = new NodeProcess(c.config);
    nodes[2] = c;
    await c.start(); // resolves after the store's ready()
    const snapshot = await c.call<[string, { n: number }][]>('snapshot');
    const mine = snapshot.filter(([s]) => s.startsWith(prefix));
    assert.equal(mine.length, 1000);
    assert.deepEqual(new Set(mine.map(([, data]) => data.n)).size, 1000);
    await allLinked(nodes);
  }, 60_000);

  it('the A–B link is dropped, both sides write, the link is restored: all converge by anti-entropy', async () => {
    await a.call('dropLink', 'B');
    await b.call('dropLink', 'A');
    assert.ok(
      await eventually(
        async () =>
          (await a.call<{ id: string; connected: boolean }[]>('peers')).some((p) => p.id === 'B' && !p.connected),
        10_000,
      ),
    );
    const onA = sid('partition-a');
    const onB = sid('partition-b');
    const shared = sid('partition-shared');
    await a.call('set', shared, { from: 'before' });
    await a.call('set', onA, { side: 'A' });
    await b.call('set', onB, { side: 'B' });
    await a.call('patch', shared, { set: { a: 1 }, unset: [] });
    await b.call('patch', shared, { set: { b: 2 }, unset: [] });
    await sleep(300);
    await a.call('restoreLink', 'B');
    await b.call('restoreLink', 'A');
    await allLinked(nodes);
    const snapshot = (await converged(nodes)) as [string, unknown][];
    const bySid = new Map(snapshot);
    assert.deepEqual(bySid.get(onA), { side: 'A' });
    assert.deepEqual(bySid.get(onB), { side: 'B' });
    // B may have created `shared` from its patch before A's set reached it through C; whichever
    // incarnation won, every node holds the same one (checked by `converged`).
    assert.ok(bySid.has(shared));
  }, 60_000);

  it('a process with the wrong secret is refused by A and none of its writes is applied anywhere', async () => {
    const [config] = await clusterConfigs(1, { secret: 'a-different-secret-0123456789', joinTimeoutMs: 300 });
    const intruder = new NodeProcess({ ...config!, nodeId: 'intruder', peers: [a.config.listen as string] });
    await intruder.start();
    try {
      const s = sid('intruder');
      await intruder.call('set', s, { stolen: true });
      assert.ok(
        await eventually(
          async () => a.logs.some((line) => /authentication failed: hello not signed/.test(line)),
          10_000,
          20,
        ),
        a.logs.join('\n'),
      );
      await sleep(300);
      for (const node of nodes) assert.equal(await node.call('get', s), null);
      assert.deepEqual(
        (await intruder.call<{ connected: boolean }[]>('peers')).map((p) => p.connected),
        [false],
      );
      const after = sid('after-intruder');
      await a.call('set', after, { ok: true });
      assert.ok(await readableEverywhere(after, { ok: true }));
    } finally {
      await intruder.stop();
    }
  });

  it('property: random set/patch/touch/destroy across the 3 nodes, then quiescence: identical state everywhere', async () => {
    const seed = seedFromEnv();
    const random = prng(seed);
    try {
      const sids = Array.from({ length: 8 }, (_, i) => sid(`prop${i}`));
      for (let round = 0; round < 30; round++) {
        const ops = Array.from({ length: 12 }, () => {
          const node = pick(random, nodes);
          const s = pick(random, sids);
          const ttl = 60_000 + Math.floor(random() * 60_000);
          const key = pick(random, ['a', 'b', 'c', 'cart', 'user']);
          switch (pick(random, ['set', 'patch', 'patch', 'patch', 'touch', 'destroy'] as const)) {
            case 'set':
              return node.call('set', s, { [key]: round, since: node.id }, ttl);
            case 'patch':
              return node.call(
                'patch',
                s,
                { set: { [key]: `${node.id}${round}` }, unset: random() < 0.3 ? ['since'] : [] },
                ttl,
              );
            case 'touch':
              return node.call('touch', s, ttl);
            default: // 'destroy'
              return node.call('destroy', s);
          }
        });
        await Promise.all(ops);
        if (random() < 0.5) await sleep(Math.floor(random() * 20));
      }
      await converged(nodes);
    } catch (err) {
      console.error(`cluster property test failed with SEED=${seed}`);
      throw err;
    }
  }, 90_000);
});
