import type { Cluster, Redis } from 'ioredis';
import type { IoredisClient } from './client.js';

/** One SCAN reply on ioredis: the keys and the node (a standalone client, or one Cluster master) that holds them. */
export interface IoredisKeyBatch {
  node: Redis;
  keys: string[];
}

/**
 * Walks every key matching `pattern` with SCAN, `count` per step, on the standalone server or on
 * every master of a Cluster (each master holds only its own slots). A key can appear twice
 * when the server rehashes during the walk, as SCAN documents.
 */
export async function* scanKeys(
  client: IoredisClient,
  pattern: string,
  count: number,
): AsyncGenerator<IoredisKeyBatch> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield { node, keys };
    } while (cursor !== '0');
  }
}

/**
 * Deletes one batch with UNLINK (memory freed off the main thread). On a Cluster a multi-key
 * UNLINK must stay within one hash slot, so each key gets its own UNLINK, sent together as one
 * pipeline: still one round trip per batch.
 */
export async function unlinkBatch(client: IoredisClient, { node, keys }: IoredisKeyBatch): Promise<void> {
  if (!client.isCluster) {
    await node.unlink(keys);
    return;
  }
  const pipeline = node.pipeline();
  for (const key of keys) pipeline.unlink(key);
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
}
