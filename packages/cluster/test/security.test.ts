import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { eventually, sleep } from '@sessionkit/test-suite';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { ReplicatedSessionStore } from '../src/index.js';
import { Link } from '../src/link.js';
import type { Message } from '../src/protocol.js';
import { startCluster } from './fixtures/in-process.js';
import { SECRET, sparePorts } from './fixtures/ports.js';

const MAX_SESSION_BYTES = 4096;
const MAX_FRAME_BYTES = 2 * MAX_SESSION_BYTES + 65_536;

// Node 0 is under attack; node 1 is its honest peer. After each attack: node 0 logged the
// rejection, applied nothing, and still serves reads, writes and replication.
describe('hostile peers', () => {
  let node: ReplicatedSessionStore;
  let honest: ReplicatedSessionStore;
  let port: number;
  const logs: string[] = [];

  beforeAll(async () => {
    const nodes = await startCluster(2, {
      maxSessionBytes: MAX_SESSION_BYTES,
      maxFrameBytes: MAX_FRAME_BYTES,
      logger: { warn: (message) => logs.push(message) },
    });
    [node, honest] = nodes as [ReplicatedSessionStore, ReplicatedSessionStore];
    port = Number(honest.peers()[0]!.address.split(':')[1]);
  });

  beforeEach(() => {
    logs.length = 0;
  });

  afterAll(async () => {
    await Promise.all([node?.close(), honest?.close()]);
  });

  async function rejected(pattern: RegExp, socket?: Socket): Promise<void> {
    assert.ok(await eventually(async () => logs.some((line) => pattern.test(line)), 10_000, 20), `no log line matching ${pattern}; logs: ${logs.join('\n')}`);
    if (socket) assert.ok(await eventually(async () => socket.destroyed || socket.closed, 10_000, 20), 'the connection was not closed');
  }

  async function stillServing(): Promise<void> {
    const sid = `alive-${randomBytes(6).toString('hex')}`;
    await node.set(sid, { ok: true }, { ttlMs: 60_000 });
    assert.ok(await eventually(async () => (await honest.get(sid)) !== null, 10_000, 20), 'replication stopped');
    assert.ok(honest.peers()[0]!.connected && node.peers()[0]!.connected);
  }

  /** An authenticated connection to node 0, as a peer knowing the secret would open. */
  async function authenticated(): Promise<{ socket: Socket; link: Link }> {
    const socket = connect({ host: '127.0.0.1', port });
    const link = new Link(socket, { secret: SECRET, nodeId: 'tester', maxFrameBytes: 1 << 24, handshakeTimeoutMs: 5000 });
    link.on('close', () => {});
    await new Promise((resolve) => link.once('open', resolve));
    return { socket, link };
  }

  function ops(sid: string, value: unknown): Message {
    const v: [number, number, string] = [Date.now(), 0, 'tester'];
    return { t: 'ops', seq: 1, r: [[sid, { reset: v, keys: { a: { v, json: JSON.stringify(value) } }, expiry: { v, at: Date.now() + 60_000 } }]] };
  }

  it('a node with the wrong secret is refused and none of its writes is applied', async () => {
    const [intruderPort] = await sparePorts(1);
    const intruder = new ReplicatedSessionStore({
      listen: `127.0.0.1:${intruderPort}`,
      peers: [`127.0.0.1:${port}`],
      secret: 'not-the-cluster-secret-at-all',
      nodeId: 'intruder',
      joinTimeoutMs: 500,
      logger: { warn: () => {} },
    });
    try {
      await intruder.ready();
      const sid = `intruder-${randomBytes(6).toString('hex')}`;
      await intruder.set(sid, { stolen: true }, { ttlMs: 60_000 });
      await rejected(/authentication failed: hello not signed/);
      await sleep(300);
      assert.equal(await node.get(sid), null);
      assert.equal(intruder.peers()[0]!.connected, false);
    } finally {
      await intruder.close();
    }
    await stillServing();
  });

  it('random bytes are refused', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {}).resume();
    socket.write(randomBytes(64 * 1024));
    await rejected(/frame of \d+ bytes is over|authentication failed|malformed/, socket);
    await stillServing();
  });

  it('a signed frame over maxFrameBytes is refused before it is read', async () => {
    const { socket, link } = await authenticated();
    const sid = `oversize-${randomBytes(6).toString('hex')}`;
    link.send(ops(sid, 'x'.repeat(MAX_FRAME_BYTES)));
    await rejected(new RegExp(`over the ${MAX_FRAME_BYTES} byte limit`), socket);
    assert.equal(await node.get(sid), null);
    await stillServing();
  });

  it('a signed but malformed message is refused and nothing in it is applied', async () => {
    for (const [message, pattern] of [
      [{ t: 'bogus' }, /unknown message type/],
      [{ t: 'ops', seq: 1, r: [['short', {}]] }, /valid sid/],
      [{ ...ops('malformed-value-1', 1), r: [['malformed-value-1', { reset: [1, 0, 'x'], keys: { a: { v: [1, 0, 'x'], json: '{not json' } } }]] }, /not JSON/],
      [{ ...ops('malformed-key-1', 1), r: [['malformed-key-1', JSON.parse('{"reset":[1,0,"x"],"keys":{"__proto__":{"v":[1,0,"x"],"json":"1"}}}')]] }, /not allowed/],
    ] as [Message, RegExp][]) {
      const { socket, link } = await authenticated();
      link.send(message);
      await rejected(pattern, socket);
    }
    assert.equal(await node.get('malformed-value-1'), null);
    assert.equal(await node.get('malformed-key-1'), null);
    assert.equal(({} as Record<string, unknown>)['v'], undefined);
    await stillServing();
  });

  it('frames replayed on another connection fail verification', async () => {
    // Capture the hello and one signed `ops` frame of a first connection without delivering the frame.
    const first = connect({ host: '127.0.0.1', port });
    const captured: Buffer[] = [];
    const write = first.write.bind(first);
    first.write = ((chunk: Buffer) => (captured.push(Buffer.from(chunk)), captured.length === 1 ? write(chunk) : true)) as typeof first.write;
    const link = new Link(first, { secret: SECRET, nodeId: 'tester', maxFrameBytes: 1 << 24, handshakeTimeoutMs: 5000 });
    link.on('close', () => {});
    await new Promise((resolve) => link.once('open', resolve));
    const sid = `replayed-${randomBytes(6).toString('hex')}`;
    link.send(ops(sid, 'replayed'));
    assert.equal(captured.length, 2);
    link.close();

    const second = connect({ host: '127.0.0.1', port });
    second.on('error', () => {}).resume();
    second.write(Buffer.concat(captured)); // the old hello is accepted; the old frame is not
    await rejected(/frame signature does not verify/, second);
    await sleep(200);
    assert.equal(await node.get(sid), null);
    await stillServing();
  });
});
