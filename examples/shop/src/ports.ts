import { readFileSync } from 'node:fs';
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

/** Where `findFreePortRange` draws from: above the kernel's ephemeral range, 61000-65535 on Linux by default. */
function drawRange(): [number, number] {
  try {
    const [, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (last !== undefined && last < 64_000) return [last + 1, 65_536];
  } catch {
    // not Linux: the range below is as good as any
  }
  return [20_000, 32_768];
}

/**
 * A free run of `count` consecutive ports, for tests and scenario runs that must not collide with
 * anything else on the machine (the demo's own 3000-3010 included). Drawn from above the kernel's
 * ephemeral range, so no outgoing connection can take one between this check and the servers'
 * `listen` (a busy machine makes thousands), and away from the test servers' [10000, 30000).
 */
export async function findFreePortRange(count: number): Promise<number> {
  const [low, high] = drawRange();
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low - count));
    try {
      await assertPortsFree(Array.from({ length: count }, (_, i) => base + i));
      return base;
    } catch {
      // taken: try another range
    }
  }
  throw new Error(`found no ${count} consecutive free ports in [${low}, ${high})`);
}

/** The exit code of a shop server whose port is taken (98 is EADDRINUSE's errno on Linux). */
export const EXIT_PORT_TAKEN = 98;
