import http from 'node:http';
import https from 'node:https';
import { Readable, type Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { BackendState } from './backend.js';
import { describeError } from './backend-health.js';
import type { Choice, ClientContext } from './chooser.js';

/** RFC 9110 §9.2.2 idempotent methods: repeating them has the effect of sending them once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** What one client request carries through its attempts. */
export interface RequestContext extends ClientContext {
  /** No body: the request can be sent again after a failure. */
  bodyless: boolean;
  attempt: number;
  /** Why the previous attempt failed, for the 502 when no backend is left to retry on. */
  lastFailure?: string;
}

export interface ForwarderOptions {
  proxyTimeoutMs: number;
  /** Chooses the backend for an attempt (first or retry); undefined when none can serve. */
  choose(ctx: RequestContext): Choice | undefined;
  /** Records a failed attempt; returns whether the request was never sent. */
  noteFailure(backend: BackendState, err: NodeJS.ErrnoException): boolean;
  /** The body of a 503 when no backend can serve. */
  unavailableMessage(): string;
}

/**
 * Sends requests and WebSocket upgrades to the chosen backend through http-proxy-3, with pooled
 * keep-alive upstream sockets, and retries a failed request without a body on another backend
 * when that is safe (never sent, or idempotent, and no response started). Adds the sticky cookie
 * to the response.
 */
export class Forwarder {
  readonly #options: ForwarderOptions;
  readonly #proxy = createProxyServer({});
  readonly #agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  readonly #tunnels = new Set<Duplex>();
  readonly #pendingCookie = new WeakMap<http.IncomingMessage, string>();

  constructor(options: ForwarderOptions) {
    this.#options = options;
    this.#proxy.on('proxyRes', (proxyRes, req) => {
      const cookie = this.#pendingCookie.get(req);
      if (cookie === undefined) return;
      const existing = proxyRes.headers['set-cookie'] ?? [];
      proxyRes.headers['set-cookie'] = [...existing, cookie];
    });
    // Errors always reach the per-call callbacks; this listener only keeps a stray one from throwing.
    this.#proxy.on('error', () => {});
  }

  /** Forwards an HTTP request, retrying on another backend when that is safe; answers 502/503 itself. */
  web(req: http.IncomingMessage, res: http.ServerResponse, ctx: RequestContext): void {
    const choice = this.#options.choose(ctx);
    if (!choice) {
      if (ctx.lastFailure) return fail(res, 502, `${ctx.lastFailure}, and no other backend is left to retry on`);
      return fail(res, 503, this.#options.unavailableMessage());
    }
    const { backend } = choice;
    const attempt = ++ctx.attempt;
    ctx.tried.add(backend.id);
    backend.connections++;
    backend.requests++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      backend.connections--;
    };
    res.once('close', release);
    if (choice.setCookie) this.#pendingCookie.set(req, choice.setCookie);
    else this.#pendingCookie.delete(req);
    const target = backend.target;
    this.#proxy.web(
      req,
      res,
      {
        target,
        agent: target.protocol === 'https:' ? this.#agents.https : this.#agents.http,
        proxyTimeout: this.#options.proxyTimeoutMs,
        // A retry cannot replay `req` (already consumed); it is bodyless, so an empty stream is the same request.
        ...(attempt > 1 ? { buffer: Readable.from([]) } : {}),
      },
      (err) => {
        if (attempt !== ctx.attempt) return; // a late error from an earlier attempt
        release();
        if (res.destroyed) return; // the client is gone: nobody to answer or retry for
        const error = err as NodeJS.ErrnoException;
        const notSent = this.#options.noteFailure(backend, error);
        const method = req.method ?? 'GET';
        if (!res.headersSent && ctx.bodyless && (notSent || IDEMPOTENT.has(method))) {
          ctx.lastFailure = `backend ${backend.id} failed (${describeError(error)})`;
          return this.web(req, res, ctx);
        }
        if (res.headersSent) return void res.destroy();
        const why = ctx.bodyless ? `${method} is not idempotent` : 'it has a body that was already streamed';
        fail(
          res,
          502,
          `backend ${backend.id} failed (${describeError(error)}) and the request was not retried because ${why}`,
        );
      },
    );
  }

  /** Opens a WebSocket tunnel to the chosen backend; it counts as a connection while open. Answers 503 itself. */
  ws(req: http.IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext): void {
    const choice = this.#options.choose(ctx);
    if (!choice) {
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${this.#options.unavailableMessage()}`,
      );
      return;
    }
    const backend = choice.backend;
    backend.connections++;
    backend.requests++;
    this.#tunnels.add(socket);
    socket.once('close', () => {
      backend.connections--;
      this.#tunnels.delete(socket);
    });
    this.#proxy.ws(req, socket, head, { target: backend.target, agent: false }, (err) => {
      this.#options.noteFailure(backend, err as NodeJS.ErrnoException);
    });
  }

  /** Closes every open WebSocket tunnel. */
  closeTunnels(): void {
    for (const socket of this.#tunnels) socket.destroy();
  }

  /** Closes the pooled upstream sockets. */
  closeAgents(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Answers with a plain-text error (or drops the connection when a response already started). */
export function fail(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...(status === 503 ? { 'retry-after': '1' } : {}),
  });
  res.end(`${status} ${REASONS[status] ?? ''}: ${message}\n`);
}
