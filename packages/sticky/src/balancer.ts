import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { backendStatus, createBackendState, type BackendState, type BackendStatus } from './backend.js';
import { BackendHealth } from './backend-health.js';
import { resolveBalancerOptions, type BalancerOptions, type BalancerSettings } from './balancer-options.js';
import { BackendChooser, type Choice } from './chooser.js';
import { StickyConfigError } from './errors.js';
import { clientAddress, setForwardedHeaders } from './forwarded.js';
import { fail, Forwarder, type RequestContext } from './forwarder.js';
import { validateBackend, type BackendConfig, type Strategy } from './options.js';
import { checkRequestTarget } from './request-target.js';

/** The balancer's events: `up` (status) and `down` (status, reason) when a backend's health changes. */
export interface BalancerEvents {
  up: [backend: BackendStatus];
  down: [backend: BackendStatus, reason: string];
}

/**
 * A Node reverse proxy in front of several instances of one app. Create it with
 * `createBalancer()`. Emits `up` (status) and `down` (status, reason) when a backend's health
 * changes; it never emits `error`.
 *
 * This class wires the parts together: options (`balancer-options.ts`), the client-facing server
 * and its limits, request checks (`request-target.ts`, `forwarded.ts`), choosing and pinning a
 * backend (`chooser.ts`), forwarding and retries (`forwarder.ts`) and health (`backend-health.ts`).
 *
 * @example
 * const balancer = createBalancer({ backends: [{ id: 'a', url: 'http://127.0.0.1:3001' }] });
 * await balancer.listen(8080, '0.0.0.0');
 * balancer.drain('a'); // no new clients for 'a'; its pinned clients stay until idle
 */
export class Balancer extends EventEmitter<BalancerEvents> {
  /** The HTTP server; listen through `listen()`. */
  readonly server: http.Server;
  readonly #options: BalancerOptions;
  readonly #settings: BalancerSettings;
  readonly #pool = new Map<string, BackendState>();
  readonly #chooser: BackendChooser;
  readonly #health: BackendHealth;
  readonly #forwarder: Forwarder;
  #lastDropWarning = 0;

  constructor(options: BalancerOptions) {
    super();
    const settings = resolveBalancerOptions(options);
    this.#options = options;
    this.#settings = settings;
    this.#chooser = new BackendChooser(this.#pool, {
      strategy: settings.strategy,
      ...(settings.sticky ? { sticky: settings.sticky } : {}),
      clientIdleMs: settings.clientIdleMs,
    });
    this.#health = new BackendHealth({
      ...(settings.healthCheck ? { healthCheck: settings.healthCheck } : {}),
      failTimeoutMs: settings.failTimeoutMs,
      ...(options.logger ? { logger: options.logger } : {}),
      onChange: (backend, healthy, reason) => {
        const status = backendStatus(backend, this.#chooser.countClients(Date.now()).get(backend.id) ?? 0);
        if (healthy) this.emit('up', status);
        else this.emit('down', status, reason);
      },
    });
    this.#forwarder = new Forwarder({
      proxyTimeoutMs: settings.proxyTimeoutMs,
      choose: (ctx) => this.#choose(ctx),
      noteFailure: (backend, err) => this.#health.noteFailure(backend, err),
      unavailableMessage: () => this.#unavailableMessage(),
    });

    const { limits } = settings;
    this.server = http.createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        // Node checks both timeouts only every connectionsCheckingInterval (30 s by default).
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      },
      (req, res) => this.handleRequest(req, res),
    );
    this.server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    this.server.maxConnections = limits.maxConnections;
    this.server.on('drop', () => {
      const now = Date.now();
      if (now - this.#lastDropWarning < 10_000) return;
      this.#lastDropWarning = now;
      this.#options.logger?.warn(
        `maxConnections ${limits.maxConnections} reached: new connections are closed on accept`,
      );
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
    for (const backend of options.backends) this.add(backend);
  }

  /** The strategy for clients that are not pinned; settable at run time (pins stay). */
  get strategy(): Strategy {
    return this.#chooser.strategy;
  }
  set strategy(strategy: Strategy) {
    this.#chooser.strategy = strategy;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). Rejects on EADDRINUSE etc. */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops health checks, closes the server, its client connections and WebSocket tunnels, and pooled upstream sockets. */
  close(): Promise<void> {
    for (const backend of this.#pool.values()) backend.stopChecks?.();
    this.#forwarder.closeTunnels();
    return new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    }).then(() => this.#forwarder.closeAgents());
  }

  /** Status of every backend, in the order they were added. */
  backends(): BackendStatus[] {
    const clients = this.#chooser.countClients(Date.now());
    return [...this.#pool.values()].map((b) => backendStatus(b, clients.get(b.id) ?? 0));
  }

  /**
   * Adds a backend at run time. It starts healthy (a connection error or failed checks take it
   * down). Throws StickyConfigError for a bad config or an id already in use.
   */
  add(config: BackendConfig): BackendStatus {
    const valid = validateBackend(config);
    if (this.#pool.has(valid.id)) throw new StickyConfigError(`backend id ${valid.id} is already in the balancer`);
    const backend = createBackendState(valid);
    this.#pool.set(backend.id, backend);
    this.#health.watch(backend, () => this.#pool.get(backend.id) === backend);
    return backendStatus(backend, 0);
  }

  /** Removes a backend: no new requests; in-flight ones finish; its pinned clients are re-pinned. False when unknown. */
  remove(id: string): boolean {
    const backend = this.#pool.get(id);
    if (!backend) return false;
    backend.stopChecks?.();
    return this.#pool.delete(id);
  }

  /** Stops giving a backend new clients; clients pinned to it stay until idle for `clientIdleMs`. False when unknown. */
  drain(id: string): boolean {
    return this.#setDraining(id, true);
  }

  /** Undoes `drain(id)`. False when unknown. */
  resume(id: string): boolean {
    return this.#setDraining(id, false);
  }

  /** The request handler, for mounting the balancer on a server of your own. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      if (this.#options.onRequest?.(req, res)) return;
    } catch (err) {
      this.#options.logger?.warn(`onRequest threw: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) return fail(res, 500, 'the onRequest hook threw an error');
      res.destroy();
      return;
    }
    const target = checkRequestTarget(req.url, req.headers.host);
    if (!target.ok) return fail(res, 400, target.reason);
    req.url = target.path;
    this.#forwarder.web(req, res, this.#prepare(req));
  }

  /** The `upgrade` handler (WebSocket), for mounting the balancer on a server of your own. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that resets before the tunnel is up must not crash the process.
    socket.on('error', () => socket.destroy());
    const target = checkRequestTarget(req.url, req.headers.host);
    if (!target.ok) {
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n400 Bad Request: ${target.reason}\n`,
      );
      return;
    }
    req.url = target.path;
    this.#forwarder.ws(req, socket, head, this.#prepare(req));
  }

  /** Reads what routing needs from the request and rewrites its forwarded headers for the app. */
  #prepare(req: http.IncomingMessage): RequestContext {
    const { cookie, clientId } = this.#chooser.readPin(req, Date.now());
    const { trustProxy } = this.#settings;
    const address = clientAddress(req, trustProxy);
    setForwardedHeaders(req, trustProxy);
    // A request body that is not there cannot be lost, so such a request can be sent again.
    const bodyless = !req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0';
    return {
      address,
      cookie,
      ...(clientId ? { clientId } : {}),
      clientKey: clientId ?? address,
      bodyless,
      tried: new Set(),
      attempt: 0,
    };
  }

  #choose(ctx: RequestContext): Choice | undefined {
    const now = Date.now();
    this.#health.reviveExpired(this.#pool.values(), now);
    return this.#chooser.choose(ctx, now);
  }

  #setDraining(id: string, draining: boolean): boolean {
    const backend = this.#pool.get(id);
    if (!backend) return false;
    backend.draining = draining;
    return true;
  }

  #unavailableMessage(): string {
    const states = [...this.#pool.values()].map(
      (b) => `${b.id} ${b.healthy ? (b.draining ? 'draining' : 'up') : 'down'}`,
    );
    return `no backend can serve this request (${states.length ? states.join(', ') : 'no backends configured'})`;
  }
}

/**
 * Creates a balancer (not listening yet: call `listen()`). Throws StickyConfigError for bad options.
 *
 * @example
 * const balancer = createBalancer({
 *   backends: [
 *     { id: 'a', url: 'http://127.0.0.1:3001' },
 *     { id: 'b', url: 'http://127.0.0.1:3002' },
 *   ],
 *   sticky: { cookie: 'SRV', secret: process.env.STICKY_SECRET!, maxIdleMs: 30 * 60_000 },
 *   healthCheck: { path: '/healthz', intervalMs: 1000 },
 * });
 * balancer.on('down', (backend, reason) => console.warn(`${backend.id} down: ${reason}`));
 * await balancer.listen(8080, '0.0.0.0');
 */
export function createBalancer(options: BalancerOptions): Balancer {
  return new Balancer(options);
}
