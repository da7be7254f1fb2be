import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports are drawn from [10000, 20000), below Linux's ephemeral range (32768–60999 by default), so
 * the kernel never gives one of them to an outgoing connection between the check and the test's
 * own `listen`: a port asked from the kernel with port 0 could be taken that way on a busy machine
 * (`EADDRINUSE`). Port + 10000 (Redis Cluster's bus) stays below the ephemeral range too.
 */
const LOW = 10_000;
const HIGH = 20_000;

/** Whether the machine's ephemeral range leaves [LOW, HIGH + 10000) alone; else fall back to port 0. */
const rangeIsClear = (() => {
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return first !== undefined && first >= HIGH + 10_000;
  } catch {
    return false;
  }
})();

/** Listens on `port` (0: any) and closes again; resolves the port, or `undefined` when it is taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err),
    );
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * `n` distinct TCP ports on 127.0.0.1 that nothing listens on right now, for tests that start
 * servers (redis-server, HAProxy, cluster nodes) which need their port before they run. Drawn at
 * random from [10000, 20000), outside the kernel's ephemeral range, so no outgoing connection can
 * take one before the test listens on it.
 */
export async function sparePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempts = 0; ports.size < n; attempts++) {
    if (attempts > 1000) throw new Error(`no ${n} spare ports found in [${LOW}, ${HIGH})`);
    const port = await probe(rangeIsClear ? randomInt(LOW, HIGH) : 0);
    if (port !== undefined) ports.add(port);
  }
  return [...ports];
}

/** One spare port; see {@link sparePorts}. */
export async function sparePort(): Promise<number> {
  const [port] = await sparePorts(1);
  return port!;
}
