import { createServer, connect, type Server, type Socket } from 'node:net';

/** Bytes a relay has carried so far, per direction. */
export interface RelayBytes {
  /** Client to target: what the driver sent (commands, statements, replication frames). */
  up: number;
  /** Target to client: what came back (replies, rows, acknowledgements). */
  down: number;
}

export interface ByteCountingRelay {
  /** Loopback port the relay listens on; point the driver here instead of at the target. */
  readonly port: number;
  /** Totals since the relay started, over every connection it carried. */
  bytes(): RelayBytes;
  /** Connections accepted so far. */
  connections(): number;
  /** Stops listening and closes every carried connection. */
  close(): Promise<void>;
}

export interface RelayOptions {
  /** Called with every chunk as it passes, before it is forwarded (e.g. to count frames). */
  onChunk?: (direction: keyof RelayBytes, chunk: Buffer, connection: number) => void;
}

/**
 * A TCP relay on 127.0.0.1 that forwards each accepted connection to `target` and counts the
 * bytes in both directions, so the bytes a store's driver puts on the wire are measured outside
 * the driver (payload bytes as TCP carries them: protocol framing included, TCP/IP headers not).
 * A chunk is counted before it is forwarded, so once a request's reply has reached the driver,
 * both directions of that exchange are in the totals.
 *
 * @example
 * const relay = await startRelay({ host: '127.0.0.1', port: 6379 });
 * const redis = new Redis(relay.port);
 * await redis.ping();
 * relay.bytes(); // { up: 14, down: 7 }: "*1\r\n$4\r\nPING\r\n" and "+PONG\r\n"
 */
export async function startRelay(
  target: { host: string; port: number },
  options: RelayOptions = {},
): Promise<ByteCountingRelay> {
  const totals: RelayBytes = { up: 0, down: 0 };
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    const connection = accepted++;
    const upstream = connect(target);
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pipe = (from: Socket, to: Socket, direction: keyof RelayBytes) => {
      from.on('data', (chunk: Buffer) => {
        totals[direction] += chunk.length;
        options.onChunk?.(direction, chunk, connection);
        // Back-pressure: a slow reader on one side pauses the other, as a direct connection would.
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => to.end());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
      // A reset on either side closes both; the driver sees a dropped connection, as it would directly.
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no TCP address');
  return {
    port: address.port,
    bytes: () => ({ ...totals }),
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
