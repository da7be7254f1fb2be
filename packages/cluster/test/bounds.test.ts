import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { eventually } from '@sessionkit/test-suite';
import { describe, it } from 'vitest';
import type { ReplicatedSessionStore } from '../src/index.js';
import { startCluster } from './support/in-process.js';
import { NodeProcess, clusterConfigs } from './support/processes.js';

const MiB = 1024 * 1024;

describe('memory an unauthenticated peer can make a node hold', () => {
  it('8 connections announcing 16 MiB frames before any hello are closed at the length header; the frames are never buffered', async () => {
    const [config] = await clusterConfigs(1);
    const node = new NodeProcess(config!);
    await node.start();
    const sockets: Socket[] = [];
    try {
      const port = Number(String(config!.listen).split(':')[1]);
      const before = await node.call<{ maxRss: number }>('memory');
      const frame = Buffer.alloc(16 * MiB, 0x61);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(frame.length);
      for (let i = 0; i < 8; i++) {
        const socket = connect({ host: '127.0.0.1', port });
        sockets.push(socket);
        socket.on('error', () => {}).resume();
        socket.write(header);
        socket.write(frame);
      }
      assert.ok(
        await eventually(async () => sockets.every((s) => s.closed), 30_000, 20),
        'the node kept a connection open',
      );
      const after = await node.call<{ maxRss: number }>('memory');
      const growth = (after.maxRss - before.maxRss) / MiB;
      console.log(
        `[cluster bounds] peak RSS of the attacked node: +${growth.toFixed(1)} MiB (8 × 16 MiB frames announced)`,
      );
      // Closed on the length header (the reason names the 1 KiB limit), so none of the frame was read
      // into the node's memory: its peak RSS shows it. (The kernel may have queued some of it.)
      const refusals = () =>
        node.logs.filter((line) =>
          /frame of 16777216 bytes is over the 1024 byte limit \(before authentication\)/.test(line),
        );
      assert.ok(await eventually(async () => refusals().length === 8, 10_000, 20), node.logs.join('\n'));
      assert.ok(growth < 40, `peak RSS grew by ${growth.toFixed(1)} MiB`);
      // The node still serves.
      await node.call('set', 'after-flood-0001', { ok: true });
      assert.deepEqual(await node.call('get', 'after-flood-0001'), { ok: true });
    } finally {
      for (const socket of sockets) socket.destroy();
      await node.stop();
    }
  }, 60_000);
});

describe('byte bound and anonymous-first eviction', () => {
  const ttl = { ttlMs: 600_000 };
  // Writes wait for the peer (ack 'all'), so both nodes have seen every write when a loop ends;
  // the timeout only catches a hang (a busy machine can take seconds to acknowledge a batch).
  const settle = { ack: 'all', operationTimeoutMs: 60_000 } as const;
  const blob = (kib: number) => 'x'.repeat(kib * 1024 - 64);

  it('300 sessions of 250 KiB: every node holds at most maxSizeBytes', async () => {
    const nodes = (await startCluster(2, { maxSizeBytes: 16 * MiB, ...settle })) as [
      ReplicatedSessionStore,
      ReplicatedSessionStore,
    ];
    try {
      const [a, b] = nodes;
      for (let i = 0; i < 300; i += 10) {
        await Promise.all(
          Array.from({ length: 10 }, (_, k) => a.set(`big-session-${i + k}`, { blob: blob(250) }, ttl)),
        );
      }
      for (const node of nodes) {
        assert.ok(node.sizeBytes <= 16 * MiB, `${node.nodeId} holds ${(node.sizeBytes / MiB).toFixed(1)} MiB`);
        const held = await node.length();
        assert.ok(held > 0 && held < 300, `${node.nodeId} holds ${held} sessions`);
      }
      // The newest ones are there; the oldest went.
      assert.notEqual(await b.get('big-session-299'), null);
      assert.equal(await b.get('big-session-0'), null);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  }, 120_000);

  it('a flood of anonymous sessions (by bytes and by count) cannot evict logged-in users, on any node', async () => {
    const nodes = (await startCluster(2, { maxSizeBytes: 4 * MiB, max: 500, ...settle })) as [
      ReplicatedSessionStore,
      ReplicatedSessionStore,
    ];
    try {
      const [a, b] = nodes;
      // Logged in: passport's user, a numeric userId (stringified), both through the default principal.
      await a.set('victim-passport-1', { passport: { user: 'victim' }, cart: ['tea'] }, ttl);
      await b.set('victim-userid-01', { userId: 42, cart: ['kettle'] }, ttl);
      // Anonymous: 1,000 sessions of 10 KiB (about 10 MiB), and 1,000 tiny ones (twice the count bound).
      for (let i = 0; i < 1000; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, k) => a.set(`flood-big-${i + k}`, { blob: blob(10) }, ttl)));
      }
      for (let i = 0; i < 1000; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, k) => b.set(`flood-tiny-${i + k}`, { views: i + k }, ttl)));
      }
      for (const node of nodes) {
        assert.deepEqual(
          await node.get('victim-passport-1'),
          { passport: { user: 'victim' }, cart: ['tea'] },
          node.nodeId,
        );
        assert.deepEqual(await node.get('victim-userid-01'), { userId: 42, cart: ['kettle'] }, node.nodeId);
        assert.ok(node.sizeBytes <= 4 * MiB, `${node.nodeId}: ${node.sizeBytes} bytes`);
        assert.ok((await node.length()) <= 500);
      }
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  }, 120_000);

  it('the principal option names the user of a session', async () => {
    const nodes = (await startCluster(2, {
      max: 50,
      ...settle,
      principal: (data) => (data['account'] as { id?: unknown } | undefined)?.id,
    })) as [ReplicatedSessionStore, ReplicatedSessionStore];
    try {
      const [a, b] = nodes;
      await a.set('custom-principal', { account: { id: 'acct-9' } }, ttl);
      await a.set('default-only-key', { userId: 'not-a-principal-here' }, ttl);
      for (let i = 0; i < 200; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, k) => a.set(`flood-custom-${i + k}`, { n: i + k }, ttl)));
      }
      for (const node of [a, b]) {
        assert.notEqual(await node.get('custom-principal'), null, node.nodeId);
        assert.equal(await node.get('default-only-key'), null, node.nodeId);
      }
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  }, 60_000);
});
