import { byteLength, principalOf, type SessionStore } from '@sessionkit/core';
import { Command } from 'commander';
import { expiryOf, type ExpirySource } from '../expiry.js';
import { bytes, columns, count } from '../format.js';
import { withStore } from '../open-store.js';
import { positiveInteger, withCommonOptions, type CommonOptions } from '../options.js';
import { printJson } from '../format.js';
import { readEntries } from '../store-entries.js';

/** What `sessionkit stats` reports. Sizes in bytes of UTF-8 JSON; TTLs from now. */
export interface StatsReport {
  store: string;
  sessions: number;
  bytes: { total: number; average: number; largest: number };
  /** How many expiries came from the store, from `cookie.expires`, or were unknown. */
  expirySource: Record<ExpirySource, number>;
  /** Sessions per remaining-TTL bucket, shortest first; `unknown` last. */
  ttl: { bucket: string; sessions: number }[];
  principals: { anonymous: number; users: number; top: { principal: string; sessions: number }[] };
  /** Sessions skipped because their stored bytes do not decode. */
  undecodable: number;
}

const BUCKETS: [label: string, upToMs: number][] = [
  ['< 1m', 60_000],
  ['1m – 10m', 600_000],
  ['10m – 1h', 3_600_000],
  ['1h – 1d', 86_400_000],
  ['1d – 7d', 604_800_000],
  ['≥ 7d', Number.POSITIVE_INFINITY],
];

/** Reads every session once (O(n)) and summarises. Principals by the default `passport.user ?? userId`. */
export async function collectStats(store: SessionStore, top = 10): Promise<StatsReport> {
  const ttl = new Map<string, number>([...BUCKETS.map(([label]) => [label, 0] as [string, number]), ['unknown', 0]]);
  const expirySource: Record<ExpirySource, number> = { store: 0, cookie: 0, unknown: 0 };
  const perPrincipal = new Map<string, number>();
  let sessions = 0;
  let total = 0;
  let largest = 0;
  let anonymous = 0;
  const { entries, undecodable } = readEntries(store);
  for await (const entry of entries) {
    sessions++;
    const size = byteLength(JSON.stringify(entry.data));
    total += size;
    largest = Math.max(largest, size);
    const { expiresAt, source } = expiryOf(entry);
    expirySource[source]++;
    const label =
      expiresAt === null ? 'unknown' : (BUCKETS.find(([, upTo]) => expiresAt - Date.now() < upTo)?.[0] ?? 'unknown');
    ttl.set(label, (ttl.get(label) ?? 0) + 1);
    let principal: string | undefined;
    try {
      principal = principalOf(entry.data);
    } catch {
      principal = undefined;
    }
    if (principal === undefined) anonymous++;
    else perPrincipal.set(principal, (perPrincipal.get(principal) ?? 0) + 1);
  }
  const ranked = [...perPrincipal].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top);
  return {
    store: store.name,
    sessions,
    bytes: { total, average: sessions ? Math.round(total / sessions) : 0, largest },
    expirySource,
    ttl: [...ttl].map(([bucket, n]) => ({ bucket, sessions: n })),
    principals: {
      anonymous,
      users: perPrincipal.size,
      top: ranked.map(([principal, n]) => ({ principal, sessions: n })),
    },
    undecodable: undecodable.length,
  };
}

function render(report: StatsReport): string {
  const lines = [
    columns([
      ['store', report.store],
      ['sessions', count(report.sessions)],
      [
        'bytes',
        `${bytes(report.bytes.total)} total, ${bytes(report.bytes.average)} average, ${bytes(report.bytes.largest)} largest`,
      ],
      [
        'expiry',
        `from the store ${count(report.expirySource.store)}, from cookie.expires ${count(report.expirySource.cookie)}, unknown ${count(report.expirySource.unknown)}`,
      ],
      [
        'users',
        `${count(report.principals.users)} logged in with ${count(report.sessions - report.principals.anonymous)} sessions, ${count(report.principals.anonymous)} anonymous sessions`,
      ],
    ]),
    '',
    'TTL left',
    columns(
      report.ttl.filter((row) => row.bucket !== 'unknown' || row.sessions > 0).map((row) => [row.bucket, row.sessions]),
      '  ',
    ),
  ];
  if (report.principals.top.length) {
    lines.push(
      '',
      'top principals',
      columns(
        report.principals.top.map((row) => [row.principal, row.sessions]),
        '  ',
      ),
    );
  }
  if (report.undecodable) lines.push('', `${count(report.undecodable)} sessions do not decode and were skipped`);
  return lines.join('\n');
}

export function statsCommand(): Command {
  return withCommonOptions(
    new Command('stats')
      .description(
        'count sessions and bytes, a histogram of remaining TTLs and the users with most sessions (reads every session once)',
      )
      .argument('<url>', 'store URL, e.g. redis://127.0.0.1:6379 or postgres://app@db/app?table=sessions')
      .option('--top <n>', 'how many principals to list', positiveInteger, 10),
  ).action(async (url: string, options: CommonOptions & { top: number }) => {
    const report = await withStore(url, { use: 'read', timeoutMs: options.timeout }, (store) =>
      collectStats(store, options.top),
    );
    if (options.json) printJson(report);
    else process.stdout.write(`${render(report)}\n`);
  });
}
