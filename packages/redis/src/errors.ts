import { SessionStoreError } from '@sessionkit/core';

/**
 * A write was applied on the Redis master, but fewer replicas than `waitReplicas.count`
 * acknowledged it within `waitReplicas.timeoutMs` (Redis `WAIT`). The write is visible now, but
 * a failover before the replicas catch up may lose it. Retrying the call is safe.
 */
export class ReplicationError extends SessionStoreError {
  constructor(
    readonly acknowledged: number,
    readonly required: number,
    operation: string,
  ) {
    super(
      'ERR_REPLICATION',
      `redis ${operation} was applied on the master but only ${acknowledged} of ${required} replicas acknowledged it within waitReplicas.timeoutMs; it may be lost on failover`,
    );
  }
}
