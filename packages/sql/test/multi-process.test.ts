import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createStore } from '@sessionkit/core';
import { engineAvailable } from '@sessionkit/test-suite';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import '../src/index.js';
import { POSTGRES_URL, tableName } from './support/engines.js';

const execFileAsync = promisify(execFile);
const peer = fileURLToPath(new URL('./support/peer.ts', import.meta.url));

/** Two processes on one store URL: each sees the other's session, and all 50 patches of a shared sid survive. */
async function twoProcesses(url: string): Promise<void> {
  const suffix = randomBytes(4).toString('hex');
  const [a, b, shared] = [`peer-a-${suffix}`, `peer-b-${suffix}`, `peer-shared-${suffix}`];
  const spawn = (own: string, other: string, label: string) =>
    execFileAsync(process.execPath, ['--import', 'tsx', peer, url, own, other, shared, label], { timeout: 60_000 });
  const [outA, outB] = await Promise.all([spawn(a, b, 'A'), spawn(b, a, 'B')]);
  assert.equal(
    JSON.parse(outA.stdout).seen?.writtenBy,
    'B',
    `process A did not see B's session: ${outA.stdout} ${outA.stderr}`,
  );
  assert.equal(
    JSON.parse(outB.stdout).seen?.writtenBy,
    'A',
    `process B did not see A's session: ${outB.stdout} ${outB.stderr}`,
  );
  const store = createStore(url);
  try {
    const data = (await store.get(shared)) ?? {};
    assert.equal(Object.keys(data).length, 50, `shared session has ${Object.keys(data).length} keys`);
  } finally {
    await store.close();
  }
}

describe('two processes sharing one store', () => {
  it('one SQLite file (WAL)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sessionkit-sql-mp-'));
    try {
      await twoProcesses(`sqlite:${join(dir, 'shared.db')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  admin.on('error', () => {});
  const table = tableName('mp');
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => {});
    await admin.end();
  });
  it('one PostgreSQL table', async (context) => {
    const ok = await engineAvailable(
      'PostgreSQL',
      () => admin.query('SELECT 1'),
      'start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL',
    );
    if (!ok) return context.skip();
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('table', table);
    await twoProcesses(url.href);
  }, 90_000);
});
