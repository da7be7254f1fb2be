import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { AbstractSessionStore, type BaseStoreOptions, type SessionChange, type SessionData } from '@sessionkit/core';

/**
 * A sessionkit store whose backend is the session server child process, reached over HTTP. The
 * base class bounds every call by operationTimeoutMs and maps failures to StoreUnavailableError,
 * exactly as the Redis and SQL stores do.
 *
 * @example
 * const server = await new SessionServer().start();
 * const store = new HttpSessionStore(server.url, { operationTimeoutMs: 500 });
 * server.pause(); // calls now fail with StoreUnavailableError after 500 ms
 */
export class HttpSessionStore extends AbstractSessionStore {
  readonly name = 'http-test';
  readonly #url: string;

  constructor(url: string, options: BaseStoreOptions = {}) {
    super(options);
    this.#url = url;
  }

  protected read(sid: string): Promise<SessionData | null> {
    return this.#call({ op: 'get', sid });
  }
  protected write(sid: string, data: SessionData, _json: string, ttlMs: number): Promise<void> {
    return this.#call({ op: 'set', sid, data, ttlMs });
  }
  protected merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    return this.#call({ op: 'patch', sid, change, ttlMs });
  }
  protected extend(sid: string, ttlMs: number): Promise<void> {
    return this.#call({ op: 'touch', sid, ttlMs });
  }
  protected remove(sid: string): Promise<void> {
    return this.#call({ op: 'destroy', sid });
  }
  protected async *scanIds(): AsyncIterable<string> {
    yield* await this.#call<string[]>({ op: 'ids' });
  }
  protected count(): Promise<number> {
    return this.#call({ op: 'length' });
  }
  protected removeAll(): Promise<void> {
    return this.#call({ op: 'clear' });
  }

  async #call<T>(call: Record<string, unknown>): Promise<T> {
    const response = await fetch(this.#url, {
      method: 'POST',
      body: JSON.stringify(call),
      signal: AbortSignal.timeout(this.operationTimeoutMs),
    });
    const body = (await response.json()) as { value: T; message?: string };
    if (!response.ok) throw new Error(body.message);
    return body.value;
  }
}

/**
 * The session server child process: stop it, pause it, resume it, restart it on the same port.
 *
 * @example
 * const server = await new SessionServer().start();
 * await server.stop();
 * await server.start(); // the same port again
 */
export class SessionServer {
  #child: ChildProcess | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const script = fileURLToPath(new URL('./session-server.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, String(this.port)], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.#child = child;
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    this.port = Number(line.toString().trim());
    return this;
  }

  /** SIGSTOP: the server keeps its socket and data but answers nothing (calls hang until the timeout). */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** SIGKILL: connections are refused; the in-memory sessions are lost. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

/**
 * A session server for the enclosing vitest `describe`: started before its tests, resumed after
 * each (a test may leave it paused), stopped after all.
 */
export function sessionServerForTests(): SessionServer {
  const server = new SessionServer();
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(() => server.resume());
  return server;
}
