import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameCounter } from '../src/frame-counter.js';
import { startRelay, type ByteCountingRelay } from '../src/relay.js';

/** A server that answers each line `n` with `n` bytes of `x` and a newline. */
async function lineServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        socket.write(`${'x'.repeat(Number(buffered.slice(0, end)))}\n`);
        buffered = buffered.slice(end + 1);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** Sends `line` in pieces of `piece` bytes and resolves with the reply once `expected` bytes arrived. */
async function exchange(socket: Socket, line: string, piece: number, expected: number): Promise<string> {
  let reply = '';
  const done = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.length >= expected) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  for (let offset = 0; offset < line.length; offset += piece) socket.write(line.slice(offset, offset + piece));
  await done;
  return reply;
}

let relay: ByteCountingRelay | undefined;
let target: Server | undefined;
afterEach(async () => {
  await relay?.close();
  await new Promise((resolve) => (target ? target.close(resolve) : resolve(undefined)));
  relay = undefined;
  target = undefined;
});

describe('byte-counting relay', () => {
  it('counts exactly the bytes of a known exchange in each direction, over several connections', async () => {
    const started = await lineServer();
    target = started.server;
    relay = await startRelay({ host: '127.0.0.1', port: started.port });
    const first = connect(relay.port, '127.0.0.1');
    const second = connect(relay.port, '127.0.0.1');
    await Promise.all([once(first, 'connect'), once(second, 'connect')]);

    // "1000\n" sent one byte at a time: 5 bytes up, 1001 down.
    expect(await exchange(first, '1000\n', 1, 1001)).toBe(`${'x'.repeat(1000)}\n`);
    expect(relay.bytes()).toEqual({ up: 5, down: 1001 });
    // A 70,000-byte reply crosses many TCP chunks; two requests in one write.
    await exchange(second, '70000\n3\n', 64, 70_001 + 4);
    expect(relay.bytes()).toEqual({ up: 5 + 8, down: 1001 + 70_001 + 4 });
    expect(relay.connections()).toBe(2);
    first.destroy();
    second.destroy();
  });

  it('counts a Redis PING as RESP puts it on the wire: 14 bytes up, 7 down', async () => {
    const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    relay = await startRelay({ host: url.hostname, port: Number(url.port || 6379) });
    const redis = new Redis(relay.port, '127.0.0.1', { enableReadyCheck: false, lazyConnect: true });
    try {
      await redis.connect();
      const before = relay.bytes();
      expect(await redis.ping()).toBe('PONG');
      const after = relay.bytes();
      // "*1\r\n$4\r\nPING\r\n" and "+PONG\r\n"
      expect({ up: after.up - before.up, down: after.down - before.down }).toEqual({ up: 14, down: 7 });
    } finally {
      redis.disconnect();
    }
  });

  it('closes the client side when the target goes away', async () => {
    const started = await lineServer();
    target = started.server;
    relay = await startRelay({ host: '127.0.0.1', port: started.port });
    const client = connect(relay.port, '127.0.0.1');
    await once(client, 'connect');
    await exchange(client, '1\n', 2, 2);
    const closed = once(client, 'close');
    for (const socket of started.sockets) socket.destroy();
    await closed;
  });
});

describe('FrameCounter', () => {
  const frame = (payload: number) => {
    const buffer = Buffer.alloc(4 + payload, 7);
    buffer.writeUInt32BE(payload);
    return buffer;
  };

  it('counts length-prefixed frames however TCP splits or joins them', () => {
    const stream = Buffer.concat([frame(10), frame(300), frame(1), frame(70_000), frame(5)]);
    for (const piece of [1, 2, 3, 5, 64, 4096, stream.length]) {
      const counter = new FrameCounter();
      for (let offset = 0; offset < stream.length; offset += piece)
        counter.push(stream.subarray(offset, offset + piece));
      expect(counter.frames).toBe(5);
    }
  });

  it('does not count a frame whose header has not fully arrived', () => {
    const counter = new FrameCounter();
    counter.push(Buffer.concat([frame(3), frame(8).subarray(0, 3)]));
    expect(counter.frames).toBe(1);
    counter.push(frame(8).subarray(3));
    expect(counter.frames).toBe(2);
  });
});
