import { SessionEncodeError, StoreOperationError, StoreUnavailableError, isSessionStoreError } from './errors.js';

/**
 * How a backend error counts:
 * - `unavailable`: the link is gone or the call timed out. Only this kind marks a store down.
 * - `data`: the backend refused this session's data (e.g. SQLSTATE class 22). One user's input must
 *   never look like an outage, so it rejects this call with `SessionEncodeError` and nothing else.
 * - `operation`: anything else (missing table, permissions): this call fails, availability stays.
 */
export type ErrorKind = 'unavailable' | 'data' | 'operation';

// Node's socket and DNS error codes, and the drivers' own codes for a lost connection.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  '57P01', // PostgreSQL admin_shutdown (pg_terminate_backend)
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

// Messages the drivers give a lost or closed connection without a code (ioredis, node-redis, pg,
// pg-pool, mysql2).
const CONNECTION_MESSAGES =
  /connection is closed|connection terminated|not queryable|stream isn't writeable|max retries per request|client is closed|client is offline|disconnects client|socket closed|socket timeout|^connection timeout$|closed state|command aborted due to connection close|timeout exceeded when trying to connect|connect ETIMEDOUT|connection lost|all sentinels are unreachable|failed to refresh slots cache|none of the (sentinels|nodes)|root nodes are unavailable|no valid master node|cluster(all)?failed/i;

// node-redis' error classes for a lost, closed or timed-out connection. They set no `name` or
// `code`, and some no message (a command timeout is a bare `TimeoutError`), so their class tells.
const CONNECTION_CLASSES = new Set([
  'TimeoutError',
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'SocketTimeoutDuringMaintenanceError',
  'CommandTimeoutDuringMaintenanceError',
  'ClientClosedError',
  'ClientOfflineError',
  'DisconnectsClientError',
  'SocketClosedUnexpectedlyError',
  'RootNodesUnavailableError',
  'ReconnectStrategyError',
]);

/**
 * True when `err` says the connection failed, closed or timed out: by its code, its message, its
 * name (`TimeoutError`) or class (node-redis' `ClientClosedError`, `SocketClosedUnexpectedlyError`,
 * …), its `cause` (fetch's `TypeError: fetch failed`) or, for an `AggregateError`, any of its errors.
 */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const { code, message, name, errors, cause } = err as Record<string, unknown>;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return true;
  if (
    name === 'TimeoutError' ||
    CONNECTION_CLASSES.has((err as { constructor?: { name?: unknown } }).constructor?.name as string)
  )
    return true;
  if (Array.isArray(errors) && errors.some((e) => isConnectionError(e, depth + 1))) return true;
  return isConnectionError(cause, depth + 1);
}

/**
 * Maps a backend error to the sessionkit error of its kind; sessionkit errors pass through.
 * @param kind from the store's classifier; by default {@link isConnectionError} decides between
 *   `unavailable` and `operation`.
 */
export function toStoreError(err: unknown, what: string, kind?: ErrorKind): Error {
  if (isSessionStoreError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  switch (kind ?? (isConnectionError(err) ? 'unavailable' : 'operation')) {
    case 'unavailable':
      return new StoreUnavailableError(`${what} failed: ${message}`, { cause: err });
    case 'data':
      return new SessionEncodeError(`the backend refused it (${what}: ${message})`, { cause: err });
    default:
      return new StoreOperationError(`${what} failed: ${message}`, { cause: err });
  }
}
