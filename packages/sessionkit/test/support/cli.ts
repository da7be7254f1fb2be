import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineAvailable, REDIS_URL, redisAvailable as checkRedis } from '@sessionkit/test-suite';
import pg from 'pg';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { afterAll } from 'vitest';

export { REDIS_URL };
export const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

/** The CLI's entry point, run as a user would (through tsx, as the workspace runs TypeScript). */
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `sessionkit …args` as a child process. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `sessionkit …args` to its end. A run longer than `timeoutMs` is killed (a hang, not a slow machine). */
export function runCli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  return finished(spawnCli(args), timeoutMs);
}

/** Waits for a started CLI process to exit and collects its output. */
export function finished(child: ChildProcess, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`sessionkit ${child.spawnargs.slice(3).join(' ')} did not exit within ${timeoutMs} ms\n${stderr}`),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A name no other test run uses (Redis prefix, table, file). */
export function unique(label: string): string {
  return `skcli_${label}_${randomBytes(4).toString('hex')}`;
}

/** A temporary directory removed after the file's tests. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sessionkit-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `url` with `?table=` (or `&table=`) appended. */
export function withTable(url: string, table: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}table=${table}`;
}

/** The cookie express-session sets for `sid` with `secret` (cookie-signature's format). */
export function sessionCookie(sid: string, secret: string, name = 'connect.sid'): string {
  const mac = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return `${name}=${encodeURIComponent(`s:${sid}.${mac}`)}`;
}

export const redisAvailable = await checkRedis();

export const postgresAvailable = await engineAvailable(
  'PostgreSQL',
  async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await pool.query('SELECT 1');
    } finally {
      await pool.end();
    }
  },
  'start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL',
);

export const mysqlAvailable = await engineAvailable(
  'MariaDB/MySQL',
  async () => {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectTimeout: 2000, connectionLimit: 1 });
    try {
      await pool.query('SELECT 1');
    } finally {
      await pool.end();
    }
  },
  'start MariaDB on 127.0.0.1:3306 or set MYSQL_URL',
);

/** Deletes every key under `prefix` on REDIS_URL. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Store options for a test's own store calls: a busy machine may be slower than the 2 s default, which is no outage. */
export const PATIENT = { operationTimeoutMs: 60_000 } as const;
