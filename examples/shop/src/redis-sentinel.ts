import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findFreePortRange } from './ports.js';

/** The Sentinel master name used by the demo setup. */
export const MASTER_NAME = 'mymaster';

/**
 * A throw-away Redis master, one replica and one Sentinel (quorum 1), started from the
 * `redis-server` binary on spare ports, for the failover scenario: kill the master, Sentinel
 * promotes the replica, the store follows.
 */
export class SentinelSetup {
  readonly #dir: string;
  readonly #processes: Map<'master' | 'replica' | 'sentinel', ChildProcess>;

  private constructor(
    dir: string,
    processes: Map<'master' | 'replica' | 'sentinel', ChildProcess>,
    /** `host:port` of the Sentinel, for `redis+sentinel://<sentinel>/mymaster`. */
    readonly sentinel: string,
  ) {
    this.#dir = dir;
    this.#processes = processes;
  }

  /** Starts the three servers and resolves once the Sentinel knows the replica (so it has something to promote). */
  static async start(): Promise<SentinelSetup> {
    const base = await findFreePortRange(3);
    const dir = mkdtempSync(join(tmpdir(), 'shop-sentinel-'));
    const processes = new Map<'master' | 'replica' | 'sentinel', ChildProcess>();
    const setup = new SentinelSetup(dir, processes, `127.0.0.1:${base + 2}`);
    process.once('exit', () => {
      for (const child of processes.values()) child.kill('SIGKILL');
    });
    try {
      // No 5 s wait before the first sync of the replica (Redis's default, to batch replicas).
      const data = [
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--bind',
        '127.0.0.1',
        '--repl-diskless-sync-delay',
        '0',
      ];
      processes.set('master', await server(['--port', String(base), ...data]));
      processes.set(
        'replica',
        await server(['--port', String(base + 1), '--replicaof', '127.0.0.1', String(base), ...data]),
      );
      // Steady state before the run: a replica that has not finished its first sync has nothing to take over.
      await query(base + 1, async (client) => {
        await until(
          async () => /master_link_status:up/.test(await client.info('replication')),
          'the replica to finish its first sync',
        );
      });
      const config = join(dir, 'sentinel.conf');
      writeFileSync(
        config,
        [
          `port ${base + 2}`,
          'bind 127.0.0.1',
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${base} 1`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 4000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      processes.set('sentinel', await server([config, '--sentinel'], base + 2));
      await query(base + 2, async (client) => {
        await until(
          async () => ((await client.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as unknown[]).length === 1,
          'the Sentinel to see the replica',
        );
      });
      return setup;
    } catch (err) {
      await setup.stop();
      throw err;
    }
  }

  /** SIGKILL to the current master: the failover the row measures. */
  async killMaster(): Promise<void> {
    const master = this.#processes.get('master');
    master?.kill('SIGKILL');
    if (master && master.exitCode === null && master.signalCode === null) await once(master, 'exit');
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.#processes.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL');
        await once(child, 'exit');
      }),
    );
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Spawns `redis-server args` and resolves once it answers PING. */
async function server(args: string[], port = Number(args[1])): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`redis-server could not start: ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server ${args.join(' ')} exited with code ${code}`)));
  });
  failed.catch(() => {});
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => 50,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {}); // refused connections are expected until the server listens
  try {
    await Promise.race([
      until(async () => (await client.ping().catch(() => '')) === 'PONG', `redis-server on port ${port}`),
      failed,
    ]);
  } finally {
    client.disconnect();
  }
  return child;
}

async function query(port: number, work: (client: Redis) => Promise<void>): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  try {
    await client.connect();
    await work(client);
  } finally {
    client.disconnect();
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
