import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sparePort } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';

/** True when the redis-server binary can be run. */
export async function redisServerBinary(): Promise<void> {
  const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.error?.message ?? 'redis-server --version failed');
}

/** A redis-server process owned by a test: started on a spare port, stopped and removed after. */
export class RedisServer {
  #process: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'sessionkit-redis-'));

  private constructor(
    readonly port: number,
    readonly args: string[],
    readonly configFile?: string,
  ) {}

  static async start(extraArgs: string[] = [], config?: string): Promise<RedisServer> {
    const port = await sparePort();
    const server = new RedisServer(port, extraArgs, config);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const base = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
    ];
    let args = [...base, ...this.args];
    if (this.configFile !== undefined) {
      const file = join(this.dir, 'server.conf');
      writeFileSync(file, this.configFile);
      args = [file, ...args];
    }
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.#process = child;
    const client = new Redis({ port: this.port, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    try {
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited with ${child.exitCode}`);
        try {
          if (client.status === 'wait') await client.connect();
          await client.ping();
          return;
        } catch {
          await sleep(50);
        }
      }
      throw new Error(`redis-server on port ${this.port} did not answer PING`);
    } finally {
      client.disconnect();
    }
  }

  /** Kills the process (SIGKILL: no shutdown handshake, as a crash or a pulled cable). */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A plain client for the test's own inspection (INFO, PTTL, MONITOR). */
  client(): Redis {
    const client = new Redis({ port: this.port, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    return client;
  }
}

/** Three cluster-enabled masters on spare ports, all 16384 slots assigned, `cluster_state:ok`. */
export async function startCluster(): Promise<RedisServer[]> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const busPort = await sparePort();
      servers.push(
        await RedisServer.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          '2000',
        ]),
      );
    }
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8' },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const server of servers) {
      const client = server.client();
      try {
        for (let i = 0; ; i++) {
          if ((await client.cluster('INFO')).includes('cluster_state:ok')) break;
          if (i > 200) throw new Error(`cluster node ${server.port} never reached cluster_state:ok`);
          await sleep(100);
        }
      } finally {
        client.disconnect();
      }
    }
    return servers;
  } catch (err) {
    await Promise.all(servers.map((s) => s.destroy()));
    throw err;
  }
}

/**
 * Runs `work` and returns the commands clients sent to `server` meanwhile, as MONITOR shows them
 * (name lowercased, then arguments). Commands a Lua script runs inside Redis are left out: they
 * are not round trips. With `from` (addresses as CLIENT INFO's `addr=` gives them), only those
 * connections' commands count, so another connection's handshake (the INFO ready check of a client
 * still connecting) can never land in the figure. An ECHO with a unique token marks the end of the
 * recording.
 */
export async function recordCommands(
  server: RedisServer,
  work: () => Promise<void>,
  from?: string[],
): Promise<string[][]> {
  const watcher = server.client();
  const fence = server.client();
  // Both connected before MONITOR starts, so their own connection handshakes (INFO) come before it.
  await Promise.all([watcher.ping(), fence.ping()]);
  const monitor = await watcher.monitor();
  const token = `end-of-recording-${Math.random()}`;
  const seen: string[][] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1] === token) done();
    else if (source !== 'lua' && (!from || from.includes(source)))
      seen.push([args[0]!.toLowerCase(), ...args.slice(1)]);
  });
  try {
    await work();
    await fence.echo(token);
    await finished;
    return seen;
  } finally {
    monitor.disconnect();
    watcher.disconnect();
    fence.disconnect();
  }
}

/** The `addr=` of a connection, from CLIENT INFO sent through it: what MONITOR names as its source. */
export function addressOf(clientInfo: string): string {
  const match = /(?:^|\s)addr=(\S+)/.exec(clientInfo);
  if (!match) throw new Error(`no addr= in CLIENT INFO: ${clientInfo}`);
  return match[1]!;
}
