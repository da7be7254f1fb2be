import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { eventually, sleep } from '@sessionkit/test-suite';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { ReplicatedSessionStore, type ReplicatedSessionStoreOptions } from '../src/index.js';
import { Link } from '../src/link.js';
import type { Message } from '../src/protocol.js';
import { startCluster } from './support/in-process.js';
import { SECRET, sparePorts } from './support/ports.js';
import { Impostor, RawClient, framesOf } from './support/wire.js';

const MAX_SESSION_BYTES = 4096;
const MAX_FRAME_BYTES = 2 * MAX_SESSION_BYTES + 65_536;

const logger = (lines: string[]) => ({ warn: (message: string) => void lines.push(message) });

async function logged(lines: string[], pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  assert.ok(
    await eventually(async () => lines.some((line) => pattern.test(line)), timeoutMs, 20),
    `no log line matching ${pattern}; logs:\n${lines.join('\n')}`,
  );
}

/** An authenticated connection to a node on `port`, as a peer knowing the secret would open. */
async function authenticated(port: number, nodeId = 'tester'): Promise<{ socket: Socket; link: Link }> {
  const socket = connect({ host: '127.0.0.1', port });
  const link = new Link(socket, {
    secret: SECRET,
    nodeId,
    role: 'dial',
    maxFrameBytes: 1 << 24,
    handshakeTimeoutMs: 10_000,
  });
  link.on('close', () => {});
  await new Promise((resolve, reject) => {
    link.once('open', resolve);
    link.once('close', (reason: string) => reject(new Error(`not authenticated: ${reason}`)));
  });
  return { socket, link };
}

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
      logger: logger(logs),
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
    await logged(logs, pattern);
    if (socket)
      assert.ok(
        await eventually(async () => socket.destroyed || socket.closed, 10_000, 20),
        'the connection was not closed',
      );
  }

  async function stillServing(): Promise<void> {
    const sid = `alive-${randomBytes(6).toString('hex')}`;
    await node.set(sid, { ok: true }, { ttlMs: 60_000 });
    assert.ok(await eventually(async () => (await honest.get(sid)) !== null, 10_000, 20), 'replication stopped');
    assert.ok(honest.peers()[0]!.connected && node.peers()[0]!.connected);
  }

  function ops(sid: string, value: unknown): Message {
    const v: [number, number, string] = [Date.now(), 0, 'tester'];
    return {
      t: 'ops',
      seq: 1,
      r: [[sid, { reset: v, keys: { a: { v, json: JSON.stringify(value) } }, expiry: { v, at: Date.now() + 60_000 } }]],
    };
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
    const { socket, link } = await authenticated(port);
    const sid = `oversize-${randomBytes(6).toString('hex')}`;
    link.send(ops(sid, 'x'.repeat(MAX_FRAME_BYTES)));
    await rejected(new RegExp(`over the ${MAX_FRAME_BYTES} byte limit`), socket);
    assert.equal(await node.get(sid), null);
    await stillServing();
  });

  it('a signed but malformed message is refused and nothing in it is applied', async () => {
    for (const [message, pattern] of [
      [{ t: 'bogus' }, /unknown message type/],
      [{ t: 'ops', seq: 1, r: [['bad\u0000sid', {}]] }, /valid sid/],
      [
        {
          ...ops('malformed-value-1', 1),
          r: [['malformed-value-1', { reset: [1, 0, 'x'], keys: { a: { v: [1, 0, 'x'], json: '{not json' } } }]],
        },
        /not JSON/,
      ],
      [
        {
          ...ops('malformed-key-1', 1),
          r: [['malformed-key-1', JSON.parse('{"reset":[1,0,"x"],"keys":{"__proto__":{"v":[1,0,"x"],"json":"1"}}}')]],
        },
        /not allowed/,
      ],
    ] as [Message, RegExp][]) {
      const { socket, link } = await authenticated(port);
      link.send(message);
      await rejected(pattern, socket);
    }
    assert.equal(await node.get('malformed-value-1'), null);
    assert.equal(await node.get('malformed-key-1'), null);
    assert.equal(({} as Record<string, unknown>)['v'], undefined);
    await stillServing();
  });

  it('a whole handshake and a signed frame replayed on another connection fail verification', async () => {
    // Record everything a first, honest connection sends, without delivering its `ops` frame.
    const first = connect({ host: '127.0.0.1', port });
    const captured: Buffer[] = [];
    const write = first.write.bind(first);
    first.write = ((chunk: Buffer) => {
      captured.push(Buffer.from(chunk));
      return captured.length <= 2 ? write(chunk) : true;
    }) as typeof first.write;
    const link = new Link(first, {
      secret: SECRET,
      nodeId: 'tester',
      role: 'dial',
      maxFrameBytes: 1 << 24,
      handshakeTimeoutMs: 5000,
    });
    link.on('close', () => {});
    await new Promise((resolve) => link.once('open', resolve));
    const sid = `replayed-${randomBytes(6).toString('hex')}`;
    link.send(ops(sid, 'replayed'));
    assert.deepEqual(
      captured.map((frame) => framesOf(frame)[0]!.message!.t),
      ['hello', 'proof', 'ops'],
    );
    link.close();

    const second = new RawClient(port);
    second.socket.write(Buffer.concat(captured)); // hello, proof and ops of the first connection
    await rejected(/handshake proof does not verify/, second.socket);
    // The node sent its hello and its own proof, and nothing else.
    assert.deepEqual(
      second.frames().map((frame) => frame.message?.t),
      ['hello', 'proof'],
    );
    assert.equal(await node.get(sid), null);
    await stillServing();
  });
});

describe('handshake replay (challenge-response)', () => {
  const SECRET_VALUE = 'SECRET-CART-d1e0f7';

  /** Two linked nodes on known ports; node 1 can be stopped and started again on its port. */
  async function pair(lines: string[], extra: Partial<ReplicatedSessionStoreOptions> = {}) {
    const ports = await sparePorts(2);
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    const options = (i: number): ReplicatedSessionStoreOptions => ({
      secret: SECRET,
      listen: addresses[i]!,
      peers: addresses,
      nodeId: `node-${i}`,
      joinTimeoutMs: 1000,
      handshakeTimeoutMs: 3000,
      antiEntropyIntervalMs: 500,
      logger: i === 0 ? logger(lines) : { warn: () => {} },
      ...extra,
    });
    const a = new ReplicatedSessionStore(options(0));
    let b = new ReplicatedSessionStore(options(1));
    await Promise.all([a.ready(), b.ready()]);
    assert.ok(
      await eventually(async () => a.peers()[0]!.connected && b.peers()[0]!.connected, 20_000, 20),
      'links did not come up',
    );
    return {
      a,
      get b() {
        return b;
      },
      ports: ports as [number, number],
      async restartB() {
        b = new ReplicatedSessionStore(options(1));
        await b.ready();
        return b;
      },
      async close() {
        await Promise.all([a.close(), b.close()]);
      },
    };
  }

  /**
   * What anyone can record without the secret: a node's hello, and what it answers to a replayed
   * hello (its proof for that old nonce, when the protocol has one).
   */
  async function captureHandshake(port: number, helloToReplay: Buffer): Promise<Buffer> {
    const client = new RawClient(port);
    try {
      client.socket.write(helloToReplay);
      await client.waitFrames(1);
      await eventually(async () => client.frames().length >= 2 || client.closed, 3000, 10);
      return Buffer.concat(client.frames().map((frame) => frame.bytes));
    } finally {
      client.close();
    }
  }

  async function helloOf(port: number): Promise<Buffer> {
    const client = new RawClient(port);
    try {
      return (await client.waitFrames(1))[0]!.bytes;
    } finally {
      client.close();
    }
  }

  /** Asserts the impostor received nothing but handshake frames, and no session data. */
  function assertGotNothing(impostor: Impostor): void {
    for (const connection of impostor.connections) {
      const types = framesOf(connection.received).map((frame) => frame.message?.t);
      assert.ok(
        types.every((t) => t === 'hello' || t === 'proof'),
        `the impostor was sent ${JSON.stringify(types)}`,
      );
    }
    const everything = impostor.received().toString('latin1');
    assert.ok(!everything.includes(SECRET_VALUE), 'session data reached the impostor');
  }

  it("B's hello (and B's proof for an old nonce) replayed from B's port: A sends no session data and reconnects to the real B", async () => {
    const lines: string[] = [];
    const cluster = await pair(lines);
    const { a, ports } = cluster;
    let impostor: Impostor | undefined;
    try {
      const sid = `victim-${randomBytes(6).toString('hex')}`;
      await a.set(sid, { cart: SECRET_VALUE }, { ttlMs: 600_000 });
      const ofB = await captureHandshake(ports[1], await helloOf(ports[0]));
      await cluster.b.close();
      impostor = await Impostor.listen(ports[1], ofB);
      // A redials B's address and meets the impostor: the replayed proof does not verify, A closes.
      const sentMore = () =>
        framesOf(impostor!.received()).some((frame) => !['hello', 'proof'].includes(String(frame.message?.t)));
      assert.ok(
        await eventually(async () => impostor!.connections.some((c) => c.closed) || sentMore(), 20_000, 20),
        'A never met the impostor',
      );
      assertGotNothing(impostor);
      await logged(lines, /closed connection to 127\.0\.0\.1:\d+ .*handshake proof does not verify/);
      await a.set(`${sid}-2`, { cart: SECRET_VALUE }, { ttlMs: 600_000 });
      assert.equal(a.peers()[0]!.connected, false);
      assertGotNothing(impostor);
      await impostor.close();
      impostor = undefined;
      const b = await cluster.restartB();
      assert.ok(await eventually(async () => a.peers()[0]!.connected, 20_000, 20), 'A did not reconnect to the real B');
      assert.ok(await eventually(async () => (await b.get(`${sid}-2`)) !== null, 20_000, 20));
    } finally {
      await impostor?.close();
      await cluster.close();
    }
  }, 90_000);

  it("A's own hello replayed to it from B's port does not make A drop B for good", async () => {
    const lines: string[] = [];
    const cluster = await pair(lines);
    const { a, ports } = cluster;
    let impostor: Impostor | undefined;
    try {
      // A's hello, and A's answer to B's (old) hello: all an eavesdropper can record of A.
      const ofA = await captureHandshake(ports[0], await helloOf(ports[1]));
      await cluster.b.close();
      impostor = await Impostor.listen(ports[1], ofA);
      assert.ok(
        await eventually(async () => impostor!.connections.some((c) => c.closed), 20_000, 20),
        'A never met the impostor',
      );
      assertGotNothing(impostor);
      await impostor.close();
      impostor = undefined;
      await cluster.restartB();
      assert.ok(
        await eventually(async () => a.peers()[0]?.connected === true, 20_000, 20),
        `A dropped B: ${JSON.stringify(a.peers())}`,
      );
      assert.equal(a.peers().length, 1);
    } finally {
      await impostor?.close();
      await cluster.close();
    }
  }, 90_000);

  it('replayed hellos on inbound connections while A and B are linked: the impostors get nothing and the link stays up', async () => {
    const lines: string[] = [];
    const cluster = await pair(lines);
    const { a, ports } = cluster;
    try {
      const sid = `linked-${randomBytes(6).toString('hex')}`;
      await a.set(sid, { cart: SECRET_VALUE }, { ttlMs: 600_000 });
      const ofB = await captureHandshake(ports[1], await helloOf(ports[0]));
      const ofA = await captureHandshake(ports[0], await helloOf(ports[1]));
      // B's hello and proof replayed to A; A's own hello and proof replayed to A.
      const impostors = [ofB, ofA].map((script) => {
        const client = new RawClient(ports[0]);
        client.socket.write(script);
        return client;
      });
      assert.ok(
        await eventually(async () => impostors.every((client) => client.closed), 15_000, 20),
        'A kept an impostor connection open',
      );
      for (const client of impostors) {
        const types = client.frames().map((frame) => frame.message?.t);
        assert.ok(
          types.every((t) => t === 'hello' || t === 'proof'),
          `an impostor was sent ${JSON.stringify(types)}`,
        );
        assert.ok(!client.received.toString('latin1').includes(SECRET_VALUE));
      }
      assert.ok(a.peers()[0]!.connected && cluster.b.peers()[0]!.connected, 'the real link went down');
      await a.set(`${sid}-2`, { ok: 1 }, { ttlMs: 60_000 });
      assert.ok(await eventually(async () => (await cluster.b.get(`${sid}-2`)) !== null, 10_000, 20));
    } finally {
      await cluster.close();
    }
  }, 60_000);

  it('a peer list naming this node by another address: the connection back to itself is recognised and skipped', async () => {
    const [own, other] = await sparePorts(2);
    const lines: string[] = [];
    const node = new ReplicatedSessionStore({
      secret: SECRET,
      listen: `127.0.0.1:${own}`,
      peers: [`localhost:${own}`, `127.0.0.1:${other}`],
      nodeId: 'loop',
      joinTimeoutMs: 300,
      logger: logger(lines),
    });
    try {
      await node.ready();
      await logged(lines, /peer localhost:\d+ is this node itself/);
      assert.deepEqual(
        node.peers().map((p) => p.address),
        [`127.0.0.1:${other}`],
      );
    } finally {
      await node.close();
    }
  });
});

describe('unauthenticated connections', () => {
  it('more than maxPendingConnections waiting to authenticate: the extra ones are closed at once, the peers stay linked', async () => {
    const lines: string[] = [];
    const [a, b] = (await startCluster(2, {
      maxPendingConnections: 4,
      handshakeTimeoutMs: 60_000,
      logger: logger(lines),
    })) as [ReplicatedSessionStore, ReplicatedSessionStore];
    const port = Number(b.peers()[0]!.address.split(':')[1]);
    const idle: RawClient[] = [];
    try {
      for (let i = 0; i < 12; i++) idle.push(new RawClient(port));
      // The node greets at most 4 of them with its hello; it closes the other 8 without a byte.
      assert.ok(
        await eventually(async () => idle.filter((c) => c.closed && c.received.length === 0).length === 8, 15_000, 20),
        'the extra connections were not closed',
      );
      assert.ok(idle.filter((c) => c.frames().length > 0).length <= 4);
      await logged(lines, /maxPendingConnections/);
      assert.ok(a.peers()[0]!.connected && b.peers()[0]!.connected);
      await a.set('pending-cap-0001', { ok: 1 }, { ttlMs: 60_000 });
      assert.ok(await eventually(async () => (await b.get('pending-cap-0001')) !== null, 10_000, 20));
      // Once they go, a peer can authenticate again (as soon as the node has seen them close).
      for (const client of idle) client.close();
      const latecomer = await eventually(
        async () => {
          const { link } = await authenticated(port, 'latecomer');
          link.close();
          return true;
        },
        15_000,
        50,
      );
      assert.ok(latecomer, 'no connection could authenticate after the idle ones closed');
    } finally {
      for (const client of idle) client.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a connection that sends nothing is closed after handshakeTimeoutMs', async () => {
    const [port] = (await sparePorts(1)) as [number];
    const node = new ReplicatedSessionStore({
      secret: SECRET,
      listen: `127.0.0.1:${port}`,
      handshakeTimeoutMs: 500,
      logger: { warn: () => {} },
    });
    await node.ready();
    const client = new RawClient(port);
    try {
      assert.ok(await eventually(async () => client.closed, 20_000, 20));
      assert.deepEqual(
        client.frames().map((frame) => frame.message?.t),
        ['hello'],
      );
    } finally {
      client.close();
      await node.close();
    }
  });
});
