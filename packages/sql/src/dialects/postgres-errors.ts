import { isConnectionError, type ErrorKind } from '@sessionkit/core';

/** How an error of `pg` counts (see `SqlDialect.classify`). */
export function classifyPostgresError(err: unknown): ErrorKind {
  const code = serverCode(err);
  if (code === undefined) {
    if (isConnectionError(err) || /after calling end on the pool/i.test(String((err as Error)?.message)))
      return 'unavailable';
    return 'operation';
  }
  // A server error is classified by its SQLSTATE alone, never by its message, which can quote data.
  const kind = code.slice(0, 2);
  // 08 connection exception, 28 invalid authorization, 3D000 no such database, 53300 too many
  // connections, 57P0x server shutting down, 57014 statement_timeout.
  if (
    kind === '08' ||
    kind === '28' ||
    code === '3D000' ||
    code === '53300' ||
    code.startsWith('57P') ||
    code === '57014'
  ) {
    return 'unavailable';
  }
  // 22 data exception (e.g. 22P05 untranslatable character), 23 integrity constraint violation,
  // 54 program limit exceeded (e.g. a jsonb larger than it can hold).
  if (kind === '22' || kind === '23' || kind === '54') return 'data';
  return 'operation';
}

/** The SQLSTATE of an error the server sent (pg's DatabaseError), or `undefined` for a client-side error. */
export function serverCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('severity' in err)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
