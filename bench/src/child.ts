import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DIST_CONDITION } from './built-packages.js';
import type { IpcFailed, IpcReady, IpcReply, IpcRequest } from './ipc.js';

/** Children still running, so an interrupted run can stop them all. */
const running = new Set<Child>();

/** A TypeScript child process of the bench (run through tsx, sessionkit from its build), spoken to over IPC. */
export class Child {
  readonly port: number | undefined;
  readonly #process: ChildProcess;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;

  private constructor(process: ChildProcess, port: number | undefined) {
    this.#process = process;
    this.port = port;
    process.on('message', (message: IpcReply) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.result);
    });
    process.once('exit', (code, signal) => {
      running.delete(this);
      for (const pending of this.#pending.values()) pending.reject(new Error(`child exited (${signal ?? code})`));
      this.#pending.clear();
    });
  }

  /**
   * Starts `bench/src/<file>` with `env` and waits for its ready message.
   * @throws Error with the child's own message when it fails to start (a store that cannot open).
   */
  static async start(file: string, env: Record<string, string>, nodeOptions: string[] = []): Promise<Child> {
    const path = fileURLToPath(new URL(file, import.meta.url));
    const child = fork(path, [], {
      execArgv: ['--import', 'tsx', DIST_CONDITION, ...nodeOptions],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number | undefined>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file} did not start within 60 s`)), 60_000);
      child.once('message', (message: IpcReady | IpcFailed) => {
        clearTimeout(timer);
        if ('failed' in message) reject(new Error(message.failed));
        else resolve(message.port);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${file} exited with code ${code} before it was ready`));
      });
    }).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    const started = new Child(child, port);
    running.add(started);
    return started;
  }

  request<T>(command: string, args?: unknown): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#process.send({ id, command, args } satisfies IpcRequest);
    });
  }

  /** Asks the child to close its store and exit; kills it if it has not within 10 s. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#process.once('exit', () => resolve()));
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 10_000);
    this.request('close').catch(() => {});
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.#process.kill('SIGKILL');
  }
}

/** Kills every child still running (an interrupted or failed run). */
export function killAllChildren(): void {
  for (const child of running) child.kill();
}
