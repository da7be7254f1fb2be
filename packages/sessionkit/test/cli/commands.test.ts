import { join } from 'node:path';
import { sparePort } from '@sessionkit/test-suite';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/index.js';
import { PATIENT, REDIS_URL, redisAvailable, runCli, scratchDir, unique } from '../support/cli.js';

const dir = scratchDir();
const HOUR = 3_600_000;

describe('sessionkit --help and usage errors', { timeout: 300_000 }, () => {
  it.each([[[]], [['stats']], [['list']], [['show']], [['revoke']], [['prune']], [['migrate']]])(
    '%j --help prints usage and exits 0',
    async (command) => {
      const { status, stdout } = await runCli([...command, '--help']);
      expect(status).toBe(0);
      expect(stdout).toMatch(/^Usage: sessionkit/);
      if (command.length) expect(stdout).toContain('--json');
    },
  );

  it.each([
    [
      ['stats', 'nosuch://host'],
      /No session store is registered for "nosuch:".*redis: \(redis:\/\/127\.0\.0\.1:6379\/0\).*postgres:/,
    ],
    [
      ['migrate', 'nosuch://host', 'sqlite:/tmp/x.db'],
      /migrate cannot read "nosuch:". Known sources: connect-redis\+redis: .*connect-pg-simple\+postgres: .*express-mysql-session\+mysql: .*sqlite: /,
    ],
    [['stats', 'memory://'], /memory:\/\/ sessions live inside the app process/],
    [['list', 'cluster://127.0.0.1:7400'], /does not join their mesh/],
    [['revoke', 'sqlite::memory:'], /exactly one of --principal <id> or --sid <sid>/],
    [['revoke', 'sqlite::memory:', '--principal', 'a', '--sid', 'b'], /exactly one of/],
    [['list', 'sqlite::memory:', '--limit', 'x'], /expected a whole number > 0/],
    [['list', 'sqlite::memory:', '--principal', 'p'.repeat(300)], /Invalid principal id/],
    [['stats', 'sqlite::memory:', '--bogus'], /unknown option '--bogus'/],
    [['stats', 'redis://u:S3cr3tPW@127.0.0.1:99999'], /\*\*\*/],
    [
      ['migrate', 'connect-pg-simple+postgres://u:S3cr3tPW@127.0.0.1:1/test?tabel=s', 'sqlite::memory:'],
      /a table source has an unknown parameter "tabel" \(did you mean "table"\?\); known: table, schema/,
    ],
    [
      ['migrate', 'connect-redis+redis://u:S3cr3tPW@127.0.0.1:1?prefx=a', 'sqlite::memory:'],
      /a connect-redis source has an unknown parameter "prefx" \(did you mean "prefix"\?\)/,
    ],
  ])('%j exits 2 and says what to do', async (args, message) => {
    const { status, stderr } = await runCli(args);
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('S3cr3tPW');
    expect(status).toBe(2);
  });

  it('an unreachable store exits 1 within the timeout, naming the store', async () => {
    const port = await sparePort();
    const { status, stderr } = await runCli([
      'stats',
      `postgres://postgres@127.0.0.1:${port}/test`,
      '--timeout',
      '500',
    ]);
    expect(status).toBe(1);
    expect(stderr).toMatch(/sql:postgres/);
  });
});

describe('stats, list, show, revoke, prune on a SQLite file', { timeout: 300_000 }, () => {
  const url = `sqlite:${join(dir, 'commands.db')}`;
  beforeAll(async () => {
    const store = createStore(url, PATIENT);
    // 30 sessions: 10 anonymous, 20 of 4 users (ann has 8), TTLs of 5 min to 10 days
    for (let i = 0; i < 30; i++) {
      const ttlMs = [5 * 60_000, 30 * 60_000, 5 * HOUR, 48 * HOUR, 240 * HOUR][i % 5] as number;
      const user = i < 10 ? undefined : i < 18 ? 'ann' : ['bob', 'cy', 'dee'][i % 3];
      const cookie = {
        originalMaxAge: ttlMs,
        expires: new Date(Date.now() + ttlMs).toISOString(),
        httpOnly: true,
        path: '/',
      };
      await store.set(
        `cmd-session-${String(i).padStart(2, '0')}`,
        { cookie, ...(user ? { passport: { user } } : {}), cart: [{ sku: 'tea', qty: i }], token: `secret-${i}` },
        { ttlMs },
      );
    }
    await store.set('cmd-short-lived', { userId: 'eve' }, { ttlMs: 50 });
    await store.close();
  });

  it('stats --json counts sessions, bytes, TTL buckets and the top principals', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100)); // cmd-short-lived has expired
    const { status, stdout } = await runCli(['stats', url, '--json', '--top', '2']);
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.store).toBe('sql:sqlite');
    expect(report.sessions).toBe(30);
    expect(report.bytes.total).toBeGreaterThan(30 * 100);
    expect(report.bytes.largest).toBeGreaterThanOrEqual(report.bytes.average);
    expect(report.expirySource.store + report.expirySource.cookie).toBe(30);
    const buckets = Object.fromEntries(
      report.ttl.map((row: { bucket: string; sessions: number }) => [row.bucket, row.sessions]),
    );
    expect(buckets).toMatchObject({ '< 1m': 0, '1m – 10m': 6, '10m – 1h': 6, '1h – 1d': 6, '1d – 7d': 6, '≥ 7d': 6 });
    expect(report.principals).toEqual({
      anonymous: 10,
      users: 4,
      top: [
        { principal: 'ann', sessions: 8 },
        { principal: 'bob', sessions: 4 },
      ],
    });
  });

  it('stats prints a readable report', async () => {
    const { status, stdout } = await runCli(['stats', url]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^store\s+sql:sqlite$/m);
    expect(stdout).toMatch(/^sessions\s+30$/m);
    expect(stdout).toMatch(/^ {2}ann\s+8$/m);
  });

  it("list prints every sid, or one user's with --principal; --limit stops early", async () => {
    const all = await runCli(['list', url]);
    expect(all.status).toBe(0);
    expect(all.stdout.trim().split('\n')).toHaveLength(30);
    const ann = await runCli(['list', url, '--principal', 'ann', '--json']);
    const listed = JSON.parse(ann.stdout);
    expect(listed.count).toBe(8);
    expect(listed.sids).toEqual(Array.from({ length: 8 }, (_, i) => `cmd-session-${10 + i}`));
    const limited = await runCli(['list', url, '--limit', '3']);
    expect(limited.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('show redacts values unless --reveal, and exits 3 for an unknown sid', async () => {
    const redacted = await runCli(['show', url, 'cmd-session-12', '--json']);
    expect(redacted.status).toBe(0);
    const shown = JSON.parse(redacted.stdout);
    expect(shown).toMatchObject({ sid: 'cmd-session-12', principal: 'ann', redacted: true });
    expect(shown.data.token).toBe('‹string, 9 chars›');
    expect(shown.data.passport).toEqual({ user: '‹string, 3 chars›' });
    expect(redacted.stdout).not.toContain('secret-12');
    expect(Date.parse(shown.expiresAt) - Date.now()).toBeGreaterThan(4 * HOUR); // cmd-session-12: 5 h
    const revealed = await runCli(['show', url, 'cmd-session-12', '--reveal']);
    expect(revealed.stdout).toContain('"token": "secret-12"');
    const missing = await runCli(['show', url, 'no-such-session']);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain('no live session "no-such-session"');
  });

  it('revoke --principal destroys every session of the user; revoke --sid one session', async () => {
    const byUser = await runCli(['revoke', url, '--principal', 'ann', '--json']);
    expect(byUser.status).toBe(0);
    expect(JSON.parse(byUser.stdout)).toEqual({ store: 'sql:sqlite', principal: 'ann', revoked: 8 });
    const bySid = await runCli(['revoke', url, '--sid', 'cmd-session-20']);
    expect(bySid.stdout).toBe('revoked 1 session cmd-session-20\n');
    const again = await runCli(['revoke', url, '--sid', 'cmd-session-20']);
    expect(again.stdout).toBe('revoked 0 sessions cmd-session-20\n');
    const store = createStore(url, PATIENT);
    try {
      expect(await store.get('cmd-session-10')).toBeNull();
      expect(await store.get('cmd-session-20')).toBeNull();
      expect(await store.length()).toBe(30 - 8 - 1);
    } finally {
      await store.close();
    }
  });

  it('prune deletes expired rows from the table', async () => {
    const { status, stdout } = await runCli(['prune', url, '--json']);
    expect(status).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ store: 'sql:sqlite', applicable: true });
    // the expired session, plus the tombstones of revoked sessions whose time has not come: at least the expired one
    expect(result.pruned).toBeGreaterThanOrEqual(1);
  });

  it('read-only commands never create a missing table', async () => {
    const { status, stderr } = await runCli(['stats', `sqlite:${join(dir, 'commands.db')}?table=${unique('absent')}`]);
    expect(status).toBe(1);
    expect(stderr).toMatch(/no such table/);
  });
});

describe.skipIf(!redisAvailable)('prune on Redis', { timeout: 300_000 }, () => {
  it('says Redis expires sessions itself, and exits 0', async () => {
    const { status, stdout } = await runCli(['prune', `${REDIS_URL}?prefix=${unique('prune')}:`]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/Redis removes expired sessions itself/);
  });
});
