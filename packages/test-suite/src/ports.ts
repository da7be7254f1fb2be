import { createServer, type Server } from 'node:net';

/**
 * `n` distinct TCP ports on 127.0.0.1 that nothing listens on right now: asked from the kernel
 * with port 0 while all are held, then released. For tests that start servers (redis-server,
 * HAProxy, cluster nodes) which need their port before they run.
 */
export async function sparePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** One spare port; see {@link sparePorts}. */
export async function sparePort(): Promise<number> {
  const [port] = await sparePorts(1);
  return port!;
}
