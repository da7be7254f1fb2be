import { isConnectionError, type ErrorKind } from '@sessionkit/core';

// Another instance ran the same upgrade first: 1060 duplicate column, 1061 duplicate key name.
export const ALREADY_DONE = new Set([1060, 1061]);
// MySQL has no DELETE … RETURNING (MariaDB has): 1064 is its syntax error.
export const PARSE_ERROR = 1064;
/** Deadlocks InnoDB may report when many upserts race on one new key; the statement was rolled back. */
export const RETRYABLE = new Set(['ER_LOCK_DEADLOCK']);

// Server errors that are this session's data, by errno (mysql2 names some MariaDB errnos after
// unrelated MySQL errors, so the number is what counts): 1390 too many placeholders, 1153 a packet
// over max_allowed_packet, 4025 a CHECK constraint (MariaDB's JSON_VALID on `data`).
const DATA_ERRNOS = new Set([1390, 1153, 4025]);
// Server errors that mean the server cannot be used now: 1040 too many connections, 1045 access
// denied (at connect), 1053 shutdown in progress, 1203 too many connections for the user,
// 1969 max_statement_time exceeded (MariaDB), 3024 max_execution_time exceeded (MySQL).
const UNAVAILABLE_ERRNOS = new Set([1040, 1045, 1053, 1203, 1969, 3024]);

/** How an error of `mysql2` counts (see `SqlDialect.classify`). */
export function classifyMysqlError(err: unknown): ErrorKind {
  const { fatal, sqlState, errno, message } = (err ?? {}) as {
    fatal?: unknown;
    sqlState?: unknown;
    errno?: unknown;
    message?: unknown;
  };
  // mysql2 marks an error fatal when the connection it happened on is gone.
  if (fatal === true) return 'unavailable';
  if (typeof sqlState === 'string' && typeof errno === 'number') {
    // A server error is classified by its number and SQLSTATE, never by its message, which can quote data.
    if (UNAVAILABLE_ERRNOS.has(errno) || sqlState.startsWith('08'))
      return DATA_ERRNOS.has(errno) ? 'data' : 'unavailable';
    // 22 data exception (ER_DATA_TOO_LONG, ER_TRUNCATED_WRONG_VALUE_FOR_FIELD, MySQL's
    // ER_INVALID_JSON_TEXT* and other JSON errors: 22032), 23 integrity constraint violation.
    if (sqlState.startsWith('22') || sqlState.startsWith('23') || DATA_ERRNOS.has(errno)) return 'data';
    return 'operation';
  }
  if (isConnectionError(err) || /pool is closed/i.test(String(message))) return 'unavailable';
  return 'operation';
}
