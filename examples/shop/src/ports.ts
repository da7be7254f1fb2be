import net from 'node:net';

/** Resolves when `port` can be bound on 127.0.0.1 right now; rejects with the reason otherwise. */
export function probePort(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Throws a clear error naming the first port of `ports` that is taken. */
export async function assertPortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    try {
      await probePort(port);
    } catch (err) {
      throw new Error(
        `port ${port} is not free (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pick other ports with --port`,
      );
    }
  }
}

/**
 * A free run of `count` consecutive ports, for tests and scenario runs that must not collide with
 * anything else on the machine (the demo's own 3000-3010 included).
 */
export async function findFreePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    try {
      await assertPortsFree(Array.from({ length: count }, (_, i) => base + i));
      return base;
    } catch {
      // taken: try another range
    }
  }
  throw new Error(`found no ${count} consecutive free ports`);
}
