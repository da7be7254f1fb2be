import { randomBytes } from 'node:crypto';
import { sparePorts } from '@sessionkit/test-suite';
import type { BackendConfig, ClusterConfig } from './backend-config.js';
import { Child } from './child.js';
import type { LagResult } from './results.js';
import { median, percentile } from './stats.js';

/** Replication endpoints for `size` nodes on spare loopback ports, and a fresh shared secret. */
export async function clusterConfig(size: number): Promise<Omit<ClusterConfig, 'node'>> {
  const nodes = (await sparePorts(size)).map((port) => `127.0.0.1:${port}`);
  return { nodes, secret: randomBytes(24).toString('base64') };
}

/** Starts nodes `indexes` of `cluster`, each in its own process, all at once (so they find each other). */
export function startNodes(
  backend: BackendConfig,
  cluster: Omit<ClusterConfig, 'node'>,
  indexes: number[],
): Promise<Child[]> {
  return Promise.all(
    indexes.map((node) =>
      Child.start('./cluster-node.ts', { BENCH_NODE: JSON.stringify({ ...backend, cluster: { ...cluster, node } }) }),
    ),
  );
}

/**
 * Replication lag on a fresh 3-node cluster (3 processes): `samples` times, node B starts
 * polling for a new sid, node A writes it, and the lag is B's clock reading when it first read
 * the sid minus A's just before `set`. Writes are one at a time, so it is lag without load.
 */
export async function measureReplicationLag(
  backend: BackendConfig,
  samples: number,
  log: (line: string) => void,
): Promise<LagResult> {
  const cluster = await clusterConfig(3);
  const nodes = await startNodes(backend, cluster, [0, 1, 2]);
  try {
    const [writer, reader] = nodes as [Child, Child, Child];
    const lags: number[] = [];
    let lost = 0;
    const tag = randomBytes(4).toString('hex');
    for (let index = 0; index < samples; index += 1) {
      const sid = `bench-lag-${tag}-${index}`;
      await reader.request('watch', sid);
      const written = BigInt(await writer.request<string>('write', sid));
      const seen = await reader.request<string | null>('seen', sid);
      if (seen === null) lost += 1;
      else lags.push(Number(BigInt(seen) - written) / 1e6);
      if ((index + 1) % Math.max(1, Math.floor(samples / 4)) === 0)
        log(`  replication lag: ${index + 1}/${samples} writes`);
    }
    if (lost > 0) log(`  replication lag: ${lost} writes not visible on B within 5 s`);
    return {
      samples: lags.length,
      lost,
      medianMs: median(lags),
      p99Ms: percentile(lags, 99),
      maxMs: Math.max(...lags),
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}
