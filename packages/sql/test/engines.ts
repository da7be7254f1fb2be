import { randomBytes } from 'node:crypto';

/** PostgreSQL for the tests: DATABASE_URL, else the local server as user postgres. */
export const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
/** MariaDB or MySQL for the tests: MYSQL_URL, else the local server as root. */
export const MYSQL_URL = process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

/** A table name no other test run uses; each test file drops its tables afterwards. */
export function tableName(label: string): string {
  return `sk_${label}_${randomBytes(4).toString('hex')}`;
}

/** `url` with its host and port replaced, to route a pool through a {@link TcpProxy}. */
export function via(url: string, port: number): string {
  const copy = new URL(url);
  copy.hostname = '127.0.0.1';
  copy.port = String(port);
  return copy.href;
}
