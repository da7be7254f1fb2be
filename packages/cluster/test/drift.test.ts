import assert from 'node:assert/strict';
import { eventually } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { NodeProcess, allLinked, clusterConfigs } from './support/processes.js';

const HOUR_MS = 3_600_000;
const MAX_DRIFT_MS = 60_000; // the default
const TOMBSTONE_TTL_MS = 2000;
// Sessions C must see: C's clock is an hour ahead, so a shorter TTL is already past there.
const LONG_TTL_MS = 3 * HOUR_MS;

// A and B have correct clocks; C's process runs 1 h ahead (Date.now shifted), as a machine whose
// clock is wrong would. C waits for every peer's acknowledgement (ack 'all'), so when one of its
// calls settles, both peers have processed the change (applied it, or refused it).
describe('a node whose clock is 1 h ahead', () => {
  let a: NodeProcess, b: NodeProcess, c: NodeProcess;
  let run = 0;
  const sid = (name: string) => `d${run}-${name}-${Math.random().toString(36).slice(2, 10)}`;
  const settled = (call: Promise<unknown>) =>
    call.then(
      () => 'resolved',
      (err: Error) => err.message,
    );

  beforeAll(async () => {
    run = Date.now() % 100000;
    const configs = await clusterConfigs(3, { tombstoneTtlMs: TOMBSTONE_TTL_MS });
    a = new NodeProcess(configs[0]!);
    b = new NodeProcess(configs[1]!);
    // A long operationTimeoutMs: an acknowledgement (or refusal) may take seconds on a busy machine.
    c = new NodeProcess(
      { ...configs[2]!, ack: 'all', operationTimeoutMs: 60_000 },
      { SK_CLOCK_OFFSET_MS: String(HOUR_MS) },
    );
    await Promise.all([a.start(), b.start(), c.start()]);
    await allLinked([a, b, c]);
  });

  afterAll(async () => {
    await Promise.all([a, b, c].map((node) => node?.stop()));
  });

  it('does not win a same-key conflict it made earlier in real time; its changes are refused and reported', async () => {
    const s = sid('conflict');
    await a.call('set', s, { hot: 'start', keep: 1 }, LONG_TTL_MS);
    assert.ok(
      await eventually(async () => (await c.call<{ hot: string } | null>('get', s))?.hot === 'start', 10_000, 20),
    );
    for (const [from, to] of [
      [a, c],
      [c, a],
      [b, c],
      [c, b],
    ] as const)
      await from.call('dropLink', to.id);
    // C writes first (in real time), A a moment later, neither seeing the other.
    await settled(c.call('patch', s, { set: { hot: 'from-C' }, unset: [] }, LONG_TTL_MS));
    await a.call('patch', s, { set: { hot: 'from-A' }, unset: [] }, LONG_TTL_MS);
    for (const [from, to] of [
      [a, c],
      [c, a],
      [b, c],
      [c, b],
    ] as const)
      await from.call('restoreLink', to.id);
    await allLinked([a, b, c]);
    // Anti-entropy brings C's version to A: refused (and reported), or applied.
    const processed = await eventually(
      async () =>
        a.logs.some((line) => /clock-drift event/.test(line)) ||
        (await a.call<{ hot: string }>('get', s)).hot === 'from-C',
      20_000,
      50,
    );
    assert.ok(processed, "A never received C's change");
    for (const node of [a, b]) assert.deepEqual(await node.call('get', s), { hot: 'from-A', keep: 1 }, node.id);
    const warning = a.logs.find((line) => /refused changes from node C/.test(line));
    assert.ok(warning, a.logs.join('\n'));
    const event = JSON.parse(
      a.logs.find((line) => line.startsWith('clock-drift event '))!.slice('clock-drift event '.length),
    ) as { node: string; aheadMs: number };
    assert.equal(event.node, 'C');
    assert.ok(event.aheadMs > HOUR_MS - 60_000 && event.aheadMs < HOUR_MS + 60_000, String(event.aheadMs));
  }, 60_000);

  it('cannot stretch an expiry by its skew, and learns that its peers refuse its writes', async () => {
    const s = sid('ttl');
    const outcome = await settled(c.call('set', s, { user: 'u1' }, 60_000));
    assert.match(outcome, /refused the change/);
    for (const node of [a, b]) {
      const at = await node.call<number | null>('expiresAt', s);
      assert.ok(
        at === null || at <= Date.now() + 60_000 + MAX_DRIFT_MS,
        `${node.id} holds an expiry ${at === null ? '' : Math.round((at - Date.now()) / 1000)} s away`,
      );
    }
    assert.ok(
      await eventually(
        async () => c.logs.some((line) => /refused \d+ change\(s\) from this node/.test(line)),
        10_000,
        20,
      ),
      c.logs.join('\n'),
    );
  });

  it('a logout on it still ends the session everywhere, and its tombstone is not kept alive by its skew', async () => {
    const s = sid('logout');
    await a.call('set', s, { user: 'u2' }, LONG_TTL_MS);
    assert.ok(await eventually(async () => (await c.call('get', s)) !== null, 10_000, 20));
    await settled(c.call('destroy', s));
    for (const node of [a, b])
      assert.ok(
        await eventually(async () => (await node.call('get', s)) === null, 10_000, 20),
        `${node.id} still serves the session`,
      );
    // Once the tombstone has aged past tombstoneTtlMs (2 s) in real time, a patch creates the sid
    // again; a tombstone dated 1 h ahead would hide it for an hour.
    const reusable = await eventually(
      async () => {
        await a.call('patch', s, { set: { again: true }, unset: [] });
        return (await a.call('get', s)) !== null;
      },
      20_000,
      200,
    );
    assert.ok(reusable, "A still holds C's tombstone");
  }, 60_000);
});
