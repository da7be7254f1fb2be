import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createStore, type SessionStore } from '@sessionkit/core';
import { eventually, rejection, sleep } from '@sessionkit/test-suite';
import { describe, it } from 'vitest';
import { ReplicatedSessionStore, SECRET_ENV, type PeerInfo } from '../src/index.js';
import { startCluster } from './support/in-process.js';
import { SECRET, sparePorts } from './support/ports.js';

const quiet = { warn: () => {} };

describe('configuration', () => {
  it('refuses to start without a secret and says how to set one', () => {
    const saved = process.env[SECRET_ENV];
    delete process.env[SECRET_ENV];
    try {
      for (const secret of [undefined, 'short']) {
        assert.throws(
          () => new ReplicatedSessionStore({ listen: '127.0.0.1:0', secret }),
          (err: Error & { code?: string }) =>
            err.code === 'ERR_STORE_CONFIG' && err.message.includes(SECRET_ENV) && err.message.includes('{ secret }'),
        );
      }
    } finally {
      if (saved !== undefined) process.env[SECRET_ENV] = saved;
    }
  });

  it('refuses bad addresses, ack modes, node ids, limits and TLS options', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ listen: 'no-port' }, /listen: expected "host:port"/],
      [{ listen: '127.0.0.1:99999' }, /listen: expected/],
      [{ listen: '127.0.0.1:7400', peers: ['10.0.0.1'] }, /peers: expected/],
      [{ listen: '127.0.0.1:7400', ack: 'most' }, /ack must be/],
      [{ listen: '127.0.0.1:7400', nodeId: 'has space' }, /nodeId must be/],
      [{ listen: '127.0.0.1:7400', maxFrameBytes: 1000 }, /maxFrameBytes .* must be at least/],
      [{ listen: '127.0.0.1:7400', antiEntropyIntervalMs: 0 }, /antiEntropyIntervalMs must be/],
      [{ listen: '127.0.0.1:7400', maxSizeBytes: 1000 }, /maxSizeBytes .* must be at least maxSessionBytes/],
      [{ listen: '127.0.0.1:7400', maxDriftMs: -1 }, /maxDriftMs must be/],
      [{ listen: '127.0.0.1:7400', maxPendingConnections: 0 }, /maxPendingConnections must be/],
      [{ listen: '127.0.0.1:7400', handshakeTimeoutMs: 1.5 }, /handshakeTimeoutMs must be/],
      [{ listen: '127.0.0.1:7400', tls: { key: 'k', cert: 'c' } }, /tls needs ca/],
      [{ listen: '127.0.0.1:7400', tls: 'yes' }, /tls must be an object/],
    ];
    for (const [options, pattern] of bad) {
      assert.throws(
        () => new ReplicatedSessionStore({ secret: SECRET, ...options } as never),
        (err: Error & { code?: string }) => err.code === 'ERR_STORE_CONFIG' && pattern.test(err.message),
        JSON.stringify(options),
      );
    }
  });

  it('createStore("cluster://…") builds a node with the secret from the environment', async () => {
    await import('../src/index.js');
    const [p1, p2] = await sparePorts(2);
    const saved = process.env[SECRET_ENV];
    process.env[SECRET_ENV] = SECRET;
    const stores: SessionStore[] = [];
    try {
      const urls = [
        `cluster://127.0.0.1:${p1}?peers=127.0.0.1:${p2}&node=url-a&ack=all&joinTimeoutMs=500`,
        `cluster://127.0.0.1:${p2}?peers=127.0.0.1:${p1}&node=url-b&ack=all&joinTimeoutMs=500`,
      ];
      for (const url of urls) stores.push(createStore(url, { logger: quiet }));
      const [a, b] = stores as [ReplicatedSessionStore, ReplicatedSessionStore];
      assert.ok(a instanceof ReplicatedSessionStore);
      assert.equal(a.name, 'cluster');
      assert.equal(a.nodeId, 'url-a');
      await Promise.all([a.ready(), b.ready()]);
      assert.ok(await eventually(async () => a.peers()[0]!.connected && b.peers()[0]!.connected, 10_000, 20));
      await a.set('from-url-1', { ok: 1 }, { ttlMs: 60_000 });
      assert.deepEqual(await b.get('from-url-1'), { ok: 1 });
      assert.throws(() => createStore('cluster://?peers=x:1'), /listen|host:port/);
      assert.throws(
        () => createStore(`cluster://127.0.0.1:${p1}?peer=127.0.0.1:${p2}`),
        /unknown parameter "peer" \(did you mean "peers"\?\)/,
      );
      assert.throws(
        () => createStore(`cluster://127.0.0.1:${p1}?ack=most`),
        /parameter ack must be one of none, one, all/,
      );
    } finally {
      if (saved === undefined) delete process.env[SECRET_ENV];
      else process.env[SECRET_ENV] = saved;
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('a listen address in use rejects ready() and emits error; nothing crashes', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const store = new ReplicatedSessionStore({ listen: `127.0.0.1:${port}`, secret: SECRET });
    const errors: unknown[] = [];
    store.on('error', (err) => errors.push(err));
    try {
      const err = await rejection(store.ready());
      assert.match(err.message, /EADDRINUSE/);
      assert.equal(errors.length, 1);
    } finally {
      await store.close();
      server.close();
    }
  });

  it('a node whose peers are all down becomes ready after joinTimeoutMs, with empty state', async () => {
    const [own, absent] = await sparePorts(2);
    const started = Date.now();
    const store = new ReplicatedSessionStore({
      listen: `127.0.0.1:${own}`,
      peers: [`127.0.0.1:${absent}`],
      secret: SECRET,
      joinTimeoutMs: 400,
      logger: quiet,
    });
    try {
      await store.ready();
      assert.ok(Date.now() - started >= 350);
      assert.deepEqual(
        store.peers().map((p) => [p.address, p.connected, p.id]),
        [[`127.0.0.1:${absent}`, false, null]],
      );
    } finally {
      await store.close();
    }
  });
});

describe('acknowledgements, peers and partitions (2 in-process nodes)', () => {
  it("ack 'all' fails fast with StoreUnavailableError when a peer is down; the write stays local and replicates later", async () => {
    // The timeout only catches a hang: failing fast is shown by the error naming the missing peer.
    const [a, b] = (await startCluster(2, { ack: 'all', operationTimeoutMs: 30_000 })) as [
      ReplicatedSessionStore,
      ReplicatedSessionStore,
    ];
    try {
      const down: PeerInfo[] = [];
      const up: PeerInfo[] = [];
      a.on('peer-down', (info) => down.push(info as PeerInfo));
      a.on('peer-up', (info) => up.push(info as PeerInfo));
      a.debugDropLink(b.nodeId);
      b.debugDropLink(a.nodeId);
      assert.ok(await eventually(async () => down.length > 0, 5000, 20), 'no peer-down event');
      assert.equal(down[0]!.id, b.nodeId);
      assert.equal(down[0]!.connected, false);
      const err = await rejection(a.set('ack-all-0001', { v: 1 }, { ttlMs: 60_000 }));
      assert.equal(err.code, 'ERR_STORE_UNAVAILABLE');
      assert.match(err.message, /ack 'all' needs 1 peer\(s\) but 0 of 1 are connected/);
      assert.deepEqual(await a.get('ack-all-0001'), { v: 1 });
      await sleep(300);
      assert.equal(await b.get('ack-all-0001'), null, 'the dropped link still carried the write');
      a.debugRestoreLink(b.nodeId);
      b.debugRestoreLink(a.nodeId);
      assert.ok(await eventually(async () => up.length > 0, 10_000, 20), 'no peer-up event');
      assert.ok(
        await eventually(async () => (await b.get('ack-all-0001')) !== null, 10_000, 20),
        'anti-entropy did not repair',
      );
      await a.set('ack-all-0002', { v: 2 }, { ttlMs: 60_000 });
      assert.deepEqual(await b.get('ack-all-0002'), { v: 2 }); // applied on b before set resolved
      assert.ok((a.peers()[0]!.replicationLagMs ?? -1) >= 0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("ack 'one' succeeds while one of two peers is unreachable, and is applied on that peer when it resolves", async () => {
    const [a, b, c] = (await startCluster(3, { ack: 'one', operationTimeoutMs: 30_000 })) as [
      ReplicatedSessionStore,
      ReplicatedSessionStore,
      ReplicatedSessionStore,
    ];
    try {
      a.debugDropLink(b.nodeId);
      b.debugDropLink(a.nodeId);
      assert.ok(await eventually(async () => a.peers().filter((p) => p.connected).length === 1, 5000, 20));
      await a.set('ack-one-0001', { v: 1 }, { ttlMs: 60_000 });
      assert.deepEqual(await c.get('ack-one-0001'), { v: 1 });
      c.debugDropLink(a.nodeId);
      a.debugDropLink(c.nodeId);
      assert.ok(await eventually(async () => a.peers().every((p) => !p.connected), 5000, 20));
      const err = await rejection(a.set('ack-one-0002', { v: 2 }, { ttlMs: 60_000 }));
      assert.match(err.message, /ack 'one' needs 1 peer\(s\) but 0 of 2 are connected/);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('during a partition each side keeps serving; after it, anti-entropy converges both', async () => {
    const [a, b] = (await startCluster(2, { antiEntropyIntervalMs: 200 })) as [
      ReplicatedSessionStore,
      ReplicatedSessionStore,
    ];
    try {
      await a.set('shared-0001', { base: 1 }, { ttlMs: 60_000 });
      assert.ok(await eventually(async () => (await b.get('shared-0001')) !== null, 5000, 20));
      a.debugDropLink(b.nodeId);
      b.debugDropLink(a.nodeId);
      await a.patch('shared-0001', { set: { a: 'A' }, unset: [] }, { ttlMs: 60_000 });
      await b.patch('shared-0001', { set: { b: 'B' }, unset: ['base'] }, { ttlMs: 60_000 });
      await a.set('only-a-0001', { side: 'A' }, { ttlMs: 60_000 });
      await b.destroy('shared-0002');
      await sleep(600); // several anti-entropy rounds: none can cross the dropped link
      assert.equal(await b.get('only-a-0001'), null);
      assert.deepEqual(await a.get('shared-0001'), { base: 1, a: 'A' });
      a.debugRestoreLink(b.nodeId);
      b.debugRestoreLink(a.nodeId);
      const expected = JSON.stringify({ a: 'A', b: 'B' });
      assert.ok(
        await eventually(
          async () =>
            JSON.stringify(await a.get('shared-0001')) === expected &&
            JSON.stringify(await b.get('shared-0001')) === expected,
          10_000,
          20,
        ),
        `a: ${JSON.stringify(await a.get('shared-0001'))} b: ${JSON.stringify(await b.get('shared-0001'))}`,
      );
      assert.deepEqual(await b.get('only-a-0001'), { side: 'A' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
