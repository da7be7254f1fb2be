import { registeredSchemes } from '@sessionkit/core';
import { CliError, EXIT } from '../exit-codes.js';
import { schemeOf } from '../open-store.js';
import { ConnectRedisSource } from './connect-redis-source.js';
import type { MigrationSource } from './source.js';
import { StoreSource } from './store-source.js';
import { ConnectPgSimpleSource, ExpressMysqlSessionSource } from './table-sources.js';

/** Source schemes `migrate` reads besides every sessionkit store URL, with an example each. */
export const FOREIGN_SOURCES: { scheme: string; example: string }[] = [
  { scheme: 'connect-redis+redis', example: 'connect-redis+redis://127.0.0.1:6379/0?prefix=sess:' },
  {
    scheme: 'connect-redis+rediss',
    example: 'connect-redis+rediss://user:password@redis.example.com:6380?prefix=sess:',
  },
  {
    scheme: 'connect-pg-simple+postgres',
    example: 'connect-pg-simple+postgres://app@127.0.0.1:5432/app?table=session',
  },
  {
    scheme: 'express-mysql-session+mysql',
    example: 'express-mysql-session+mysql://app@127.0.0.1:3306/app?table=sessions',
  },
];

/**
 * The source for a `migrate` URL: connect-redis keys, a connect-pg-simple or express-mysql-session
 * table, or any sessionkit store. A sessionkit `redis://` URL with `format=json` (connect-redis's
 * layout) is read like connect-redis, with each key's own TTL.
 * @throws CliError (exit 2) for an unknown scheme, listing every known one.
 */
export function openSource(url: string, timeoutMs: number | undefined): MigrationSource {
  const scheme = schemeOf(url);
  const timeout = timeoutMs ?? 2000;
  if (scheme === 'connect-redis+redis' || scheme === 'connect-redis+rediss')
    return new ConnectRedisSource(url, timeout);
  if (scheme === 'connect-pg-simple+postgres' || scheme === 'connect-pg-simple+postgresql')
    return new ConnectPgSimpleSource(url, timeout);
  if (scheme === 'express-mysql-session+mysql' || scheme === 'express-mysql-session+mariadb')
    return new ExpressMysqlSessionSource(url, timeout);
  if ((scheme === 'redis' || scheme === 'rediss') && /[?&]format=json(&|$)/.test(url) && !/[?&]hashTag=/.test(url))
    return new ConnectRedisSource(url, timeout);
  if (!registeredSchemes().some((known) => known.scheme === scheme)) {
    const known = [...FOREIGN_SOURCES, ...registeredSchemes()].map((s) => `${s.scheme}: (${s.example})`).join(', ');
    throw new CliError(
      `migrate cannot read ${scheme ? `"${scheme}:"` : 'a URL without a scheme'}. Known sources: ${known}`,
      EXIT.usage,
    );
  }
  return new StoreSource(url, timeoutMs);
}
