import { loadOptionalDriver, queryOptions, StoreConfigError } from '@sessionkit/core';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { CLIENT_KINDS, type AnyRedisClient, type ClientKind } from './client.js';
import type { NearCacheOptions } from './near-cache.js';
import { nearCacheFromQuery } from './near-cache-open.js';
import { createNodeRedisClient, type ConnectionSpec } from './node-redis-url.js';
import { redactText as redact } from './redact.js';

/** What a store URL says: the client to create and the store options found in its query. */
export interface ParsedRedisUrl {
  /** The client library, from `?client=` (default `ioredis`). */
  kind: ClientKind;
  create(operationTimeoutMs: number): AnyRedisClient;
  /** `prefix`, `hashTag`, `format` from the query string, when given. */
  options: { prefix?: string; hashTag?: string; format?: string; nearCache?: NearCacheOptions };
}

const SCHEMES = ['redis', 'rediss', 'redis+sentinel', 'redis+cluster'] as const;
export const REDIS_URL_EXAMPLES = {
  redis: 'redis://127.0.0.1:6379/0',
  rediss: 'rediss://user:password@redis.example.com:6380',
  'redis+sentinel': 'redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster',
  'redis+cluster': 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001',
};

/**
 * Client settings for fail-fast behaviour, applied to clients the store creates itself:
 * - `enableOfflineQueue: false`: a command sent while disconnected is refused, never queued
 *   without bound (the store also waits for the first `ready` itself, see link.ts);
 * - `maxRetriesPerRequest: 0`: a command in flight when the link drops fails instead of being
 *   replayed after a reconnect that may come much later;
 * - `connectTimeout` / `commandTimeout` = operationTimeoutMs: a half-open socket cannot hold a
 *   command longer than the caller waits for it;
 * - `retryStrategy`: reconnect forever with exponential backoff (100 ms doubling, at most 2 s,
 *   with jitter so many app instances do not reconnect in lockstep);
 * - `reconnectOnError` on READONLY: after a failover the old master is a replica; reconnecting
 *   asks Sentinel for the new master;
 * - `enableAutoPipelining`: commands of concurrent requests share one socket write per turn.
 */
export function failFastOptions(operationTimeoutMs: number): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: operationTimeoutMs,
    commandTimeout: operationTimeoutMs,
    retryStrategy: backoff,
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    // One write call per command is most of a command's client-side CPU; node-redis batches by default.
    enableAutoPipelining: true,
  };
}

/** Reconnect delay in ms for attempt `times` (1, 2, …): 200, 400, … capped at 2000, ±20 % jitter. */
export function backoff(times: number): number {
  const base = Math.min(100 * 2 ** Math.min(times, 5), 2000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Parses `redis://`, `rediss://`, `redis+sentinel://host:port,host:port/mastername` and
 * `redis+cluster://host:port,host:port`. User and password come from the userinfo; the path is
 * the database number (`redis://`) or the Sentinel master name; query parameters `prefix`,
 * `hashTag`, `format`, `nearCache` (with `nearCacheMaxAgeMs`) become store options, `db` and `sentinelPassword` client options, and
 * `client` (`ioredis`, the default, or `node-redis`) picks the client library.
 * @throws StoreConfigError when the URL does not fit these forms, or names another client.
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  // userinfo runs to the last @ before the path, so a password holding an unencoded @ is not read as a host
  const match = /^([a-z+]+):\/\/(?:([^/?#]*)@)?([^/?#@]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(url);
  const scheme = match?.[1]?.toLowerCase() as (typeof SCHEMES)[number] | undefined;
  if (!match || !scheme || !SCHEMES.includes(scheme)) {
    throw new StoreConfigError(
      `Not a Redis store URL: ${redact(url)}; expected e.g. ${Object.values(REDIS_URL_EXAMPLES).join(', ')}`,
    );
  }
  const [user, pass] = splitUserInfo(match[2]);
  const auth = { ...(user ? { username: user } : {}), ...(pass ? { password: pass } : {}) };
  const defaultPort = scheme === 'redis+sentinel' ? 26379 : 6379;
  const hosts = (match[3] ?? '')
    .split(',')
    .filter(Boolean)
    .map((h) => hostPort(h, defaultPort, url));
  if (hosts.length === 0) hosts.push({ host: '127.0.0.1', port: defaultPort });
  let path: string;
  try {
    path = decodeURIComponent((match[4] ?? '').replace(/^\//, ''));
  } catch {
    throw new StoreConfigError(`The path of ${redact(url)} has a malformed %-escape`);
  }
  // Every parameter this URL form reads; any other is refused (a typo such as nearCahce=1 fails).
  const query = queryOptions(
    match[5] ?? '',
    {
      prefix: 'string',
      hashTag: 'string',
      format: 'string',
      nearCache: 'string',
      nearCacheMaxAgeMs: 'string',
      db: 'string',
      sentinelPassword: 'string',
      client: 'string',
    },
    { what: redact(url) },
  );
  const options: ParsedRedisUrl['options'] = {};
  for (const name of ['prefix', 'hashTag', 'format'] as const) {
    const value = query[name];
    if (value !== undefined) options[name] = value;
  }
  if (query.nearCache !== undefined)
    options.nearCache = nearCacheFromQuery(query.nearCache, query.nearCacheMaxAgeMs ?? null);
  const db = path && scheme !== 'redis+sentinel' ? path : query.db;
  const dbOption = db === undefined || db === '' ? {} : { db: databaseNumber(db, url) };
  const kind = (query.client ?? 'ioredis') as ClientKind;
  if (!CLIENT_KINDS.includes(kind)) {
    throw new StoreConfigError(
      `client=${JSON.stringify(kind)} in ${redact(url)} is not a Redis client this store drives; use one of ${CLIENT_KINDS.map((k) => `client=${k}`).join(', ')}`,
    );
  }
  if (scheme === 'redis+sentinel' && !path)
    throw new StoreConfigError(
      `${redact(url)} names no Sentinel master; expected e.g. ${REDIS_URL_EXAMPLES['redis+sentinel']}`,
    );
  if (scheme !== 'redis+cluster' && scheme !== 'redis+sentinel' && hosts.length > 1) {
    throw new StoreConfigError(`${redact(url)} lists several hosts; use redis+cluster:// or redis+sentinel://`);
  }

  if (kind === 'node-redis') {
    const { sentinelPassword } = query;
    const spec: ConnectionSpec = {
      topology: scheme === 'redis+cluster' ? 'cluster' : scheme === 'redis+sentinel' ? 'sentinel' : 'client',
      hosts,
      tls: scheme === 'rediss',
      ...auth,
      ...(dbOption.db === undefined ? {} : { database: dbOption.db }),
      ...(scheme === 'redis+sentinel' ? { masterName: path } : {}),
      ...(sentinelPassword ? { sentinelPassword } : {}),
    };
    return { kind, options, create: (operationTimeoutMs) => createNodeRedisClient(spec, operationTimeoutMs, url) };
  }

  return {
    kind,
    options,
    create(operationTimeoutMs) {
      const ioredis = loadIoredis();
      const base = { ...failFastOptions(operationTimeoutMs), ...auth, ...dbOption };
      if (scheme === 'redis+cluster') {
        const clusterOptions: ClusterOptions = {
          lazyConnect: true,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          clusterRetryStrategy: backoff,
          redisOptions: { ...base, lazyConnect: false },
        };
        return new ioredis.Cluster(hosts, clusterOptions);
      }
      if (scheme === 'redis+sentinel') {
        const { sentinelPassword } = query;
        return new ioredis.Redis({
          ...base,
          sentinels: hosts,
          name: path,
          sentinelRetryStrategy: backoff,
          // Subscribes to +switch-master, so a failover is followed as soon as Sentinel announces it.
          failoverDetector: true,
          ...(sentinelPassword ? { sentinelPassword } : {}),
        });
      }
      return new ioredis.Redis({ ...base, ...hosts[0], ...(scheme === 'rediss' ? { tls: {} } : {}) });
    },
  };
}

type IoredisModule = typeof import('ioredis');

/** ioredis is a peer dependency, loaded only when a store is created from a URL. */
function loadIoredis(): IoredisModule {
  return loadOptionalDriver<IoredisModule>('ioredis', 'A Redis store URL', { from: import.meta.url });
}

function splitUserInfo(info: string | undefined): [string, string] {
  if (!info) return ['', ''];
  const colon = info.indexOf(':');
  const user = colon === -1 ? info : info.slice(0, colon);
  const pass = colon === -1 ? '' : info.slice(colon + 1);
  try {
    return [decodeURIComponent(user), decodeURIComponent(pass)];
  } catch {
    throw new StoreConfigError('the user or password of a Redis store URL has a malformed %-escape');
  }
}

/**
 * ` "text"` for a message, or nothing when the URL has userinfo: a part of a URL whose password
 * was not percent-encoded (`redis://u:12/pa@ss@h`) may be a piece of that password.
 */
function quoted(text: string, url: string): string {
  return url.includes('@') ? '' : ` ${JSON.stringify(text)}`;
}

function hostPort(text: string, defaultPort: number, url: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  const port = match?.[2] ? Number(match[2]) : defaultPort;
  if (!match?.[1] || !(port >= 1 && port <= 65535)) {
    // The host text is quoted only when the URL has no userinfo: with a password that was not
    // percent-encoded (`u:pa/ss@h`), the "host" would be part of it.
    throw new StoreConfigError(
      `Bad host${quoted(text, url)} in ${redact(url)}: expected host or host:port with a port from 1 to 65535 (percent-encode / ? # @ in a password)`,
    );
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function databaseNumber(text: string, url: string): number {
  const db = Number(text);
  if (!Number.isInteger(db) || db < 0)
    throw new StoreConfigError(`Bad database number${quoted(text, url)} in ${redact(url)}`);
  return db;
}
