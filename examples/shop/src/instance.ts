import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { EXIT_PORT_TAKEN } from './ports.js';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
// Children run the TypeScript sources through tsx's loader, resolved from this package.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface InstanceConfig {
  /** Instance id: `X-Served-By`, the balancer's backend id. */
  id: string;
  port: number;
  /** This instance's `SESSION_STORE_URL` (cluster nodes each get their own). */
  storeUrl: string;
  /** Variables added to the environment: the shared cookie secret, the routing label, … */
  env: Record<string, string>;
  /** Receives each line the instance prints, already prefixed with its id. */
  onOutput?: (line: string) => void;
}

/**
 * One shop instance as a child process (`node --import tsx server.ts`) with an IPC channel, so it
 * exits on its own when this process goes away, even by crashing.
 */
export class ShopInstance {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(readonly config: InstanceConfig) {}

  get id(): string {
    return this.config.id;
  }

  get url(): string {
    return `http://127.0.0.1:${this.config.port}`;
  }

  /** The pid while the process runs, `undefined` once it has exited. */
  get pid(): number | undefined {
    const child = this.#child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** Spawns the process and resolves once it listens. Rejects (after stopping it) when it exits or stays silent. */
  async start(): Promise<void> {
    if (this.pid !== undefined) return;
    const { id, port, storeUrl, env, onOutput } = this.config;
    const child = spawn(process.execPath, ['--import', TSX_LOADER, SERVER], {
      env: { ...process.env, ...env, INSTANCE_ID: id, PORT: String(port), SESSION_STORE_URL: storeUrl },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const recent: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        onOutput?.(`[${id}] ${line}`);
      });
    }
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`did not start within ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
        child.on('message', (message: { type?: string }) => {
          if (message?.type !== 'ready') return;
          clearTimeout(timer);
          resolve();
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(
            new Error(
              code === EXIT_PORT_TAKEN
                ? 'its port is taken (EADDRINUSE)'
                : `exited with ${signal ?? `code ${code}`} before listening`,
            ),
          );
        });
        child.once('error', reject);
      });
    } catch (err) {
      await this.stop();
      const output = recent.length ? `:\n  ${recent.join('\n  ')}` : '';
      throw new Error(`instance ${id} on port ${port}: ${(err as Error).message}${output}`);
    }
  }

  /** Simulates a crash: SIGKILL, no chance to clean up. Resolves once the process is gone. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s. Resolves once the process is gone. */
  async stop(): Promise<void> {
    if (this.pid === undefined) return this.#exited;
    this.#child!.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** For a process `exit` handler, where nothing can be awaited. */
  killNow(): void {
    if (this.pid !== undefined) this.#child!.kill('SIGKILL');
  }
}
