import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { StickyConfigError } from './errors.js';
import { clientAddress, setForwardedHeaders } from './forwarded.js';
import { rendezvousPick } from './hashing.js';
import { startChecks } from './health-check.js';
import {
  positiveOrUndefined,
  resolveHealthCheck,
  validateBackend,
  validateBackends,
  validateSticky,
  validateStrategy,
  type BackendConfig,
  type HealthCheckOptions,
  type ResolvedHealthCheck,
  type StickyCookieOptions,
  type Strategy,
} from './options.js';
import { checkRequestTarget } from './request-target.js';
import { createPicker, type Picker } from './strategies.js';
import { removeCookie, StickyCookie, type CookieCheck, type StickyPin } from './sticky-cookie.js';

export interface BalancerLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface BalancerOptions {
  /** The upstream instances. May be empty and filled later with `add()`. */
  backends: BackendConfig[];
  /** How a client that is not pinned gets a backend. Default `'round-robin'`. */
  strategy?: Strategy;
  /** Cookie-insert stickiness. Without it every request is balanced on its own (ip-hash is sticky by address anyway). */
  sticky?: StickyCookieOptions;
  /** Active health checks. Without them a backend marked down on a connection error is tried again after `failTimeoutMs`. */
  healthCheck?: HealthCheckOptions;
  /**
   * Proxy hops in front of the balancer to trust. 0 (default): nobody; the app gets the socket
   * address as `X-Forwarded-For`, and `X-Forwarded-Proto`/`-Host` from the connection and `Host`.
   * n: the last n `X-Forwarded-For` entries and those proxies' `-Proto`/`-Host` are kept.
   */
  trustProxy?: number;
  /** Most client connections open at once (`server.maxConnections`); more are closed on accept. Default 4096. */
  maxConnections?: number;
  /** A client must send its complete request headers within this, ms, or gets a 408 and is disconnected (slowloris). Default 10000. */
  headersTimeoutMs?: number;
  /** A client must send its complete request, body included, within this, ms (raise it for slow uploads). At least `headersTimeoutMs`. Default 60000. */
  requestTimeoutMs?: number;
  /** An idle keep-alive client connection is closed after this, ms. Default 5000. */
  keepAliveTimeoutMs?: number;
  /** A client that sent nothing for this long is idle: it leaves `clients` counts and a draining backend lets it go, ms. Default 60000. */
  clientIdleMs?: number;
  /** Without active health checks, how long a backend stays down after a connection error, ms (nginx `fail_timeout`). Default 10000. */
  failTimeoutMs?: number;
  /** A backend that has not answered within this gets the request a 502, ms. Default 60000. */
  proxyTimeoutMs?: number;
  /**
   * Called first for every HTTP request. Return true when you handled it (answered `res` or will
   * answer it); the balancer then leaves it alone. This is how to serve your own routes (status
   * pages, control endpoints) on the balancer's port. Exceptions become a 500.
   */
  onRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** Receives one line per health change and per failed request. Default: silent (listen to events instead). */
  logger?: BalancerLogger;
}

/** A snapshot of one backend, as returned by `backends()` and passed to `up`/`down` listeners. */
export interface BackendStatus {
  id: string;
  url: string;
  weight: number;
  /** False after `fall` failed checks or one connection error, true again after `rise` good checks. */
  healthy: boolean;
  /** Set by `drain(id)`: no new clients, pinned clients stay until idle. */
  draining: boolean;
  /** In-flight HTTP requests plus open WebSocket tunnels. */
  connections: number;
  /** Distinct clients (sticky client id, or address without `sticky`) seen within `clientIdleMs`. */
  clients: number;
  /** Requests sent to this backend since it was added. */
  requests: number;
  /** The last failure: health check or connection error. */
  lastError?: string;
}

interface BackendState {
  id: string;
  url: string;
  weight: number;
  target: URL;
  healthy: boolean;
  draining: boolean;
  connections: number;
  requests: number;
  lastError?: string;
  successes: number;
  failures: number;
  /** Without active checks: when a passively downed backend is tried again (ms epoch). */
  retryAt?: number;
  stopChecks?: () => void;
}

/** What one client request carries through its attempts. */
interface RequestContext {
  address: string;
  cookie: CookieCheck;
  /** Sticky client id (from the cookie, or new), fixed across retries. */
  clientId?: string;
  /** Key of the client in the activity table: its sticky client id, or its address. */
  clientKey: string;
  bodyless: boolean;
  tried: Set<string>;
  attempt: number;
  /** Why the previous attempt failed, for the 502 when no backend is left to retry on. */
  lastFailure?: string;
}

interface Choice {
  backend: BackendState;
  /** Set-Cookie value to send with the response, when the pin is new or refreshed. */
  setCookie?: string;
}

/** Connection errors that prove the request never reached the backend: safe to retry any request without a body. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
/** RFC 9110 §9.2.2 idempotent methods: repeating them has the effect of sending them once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const MAX_TRACKED_CLIENTS = 100_000;

export interface Balancer {
  on(event: 'up', listener: (backend: BackendStatus) => void): this;
  on(event: 'down', listener: (backend: BackendStatus, reason: string) => void): this;
  once(event: 'up', listener: (backend: BackendStatus) => void): this;
  once(event: 'down', listener: (backend: BackendStatus, reason: string) => void): this;
}

/**
 * A Node reverse proxy in front of several instances of one app. Create it with
 * `createBalancer()`. Emits `up` (status) and `down` (status, reason) when a backend's health
 * changes; it never emits `error`.
 */
export class Balancer extends EventEmitter {
  /** The HTTP server; listen through `listen()`. */
  readonly server: http.Server;
  private readonly pool = new Map<string, BackendState>();
  /** Client key -> backend and last request time, oldest first (re-inserted on every request). */
  private readonly activeClients = new Map<string, { backendId: string; lastSeen: number }>();
  private readonly proxy = createProxyServer({});
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private readonly tunnels = new Set<Duplex>();
  private readonly pendingCookie = new WeakMap<http.IncomingMessage, string>();
  private readonly sticky?: StickyCookie;
  private readonly healthCheck?: ResolvedHealthCheck;
  private readonly trustProxy: number;
  private readonly clientIdleMs: number;
  private readonly failTimeoutMs: number;
  private readonly proxyTimeoutMs: number;
  private lastDropWarning = 0;
  private currentStrategy: Strategy;
  private picker: Picker;

  constructor(private readonly options: BalancerOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new StickyConfigError('createBalancer needs an options object');
    validateBackends(options.backends);
    this.currentStrategy = validateStrategy(options.strategy ?? 'round-robin');
    this.picker = createPicker(this.currentStrategy);
    if (options.sticky) {
      validateSticky(options.sticky);
      this.sticky = new StickyCookie(options.sticky);
    }
    if (options.healthCheck) this.healthCheck = resolveHealthCheck(options.healthCheck);
    const trustProxy = options.trustProxy ?? 0;
    if (!Number.isInteger(trustProxy) || trustProxy < 0) {
      throw new StickyConfigError(`trustProxy must be a whole number of proxy hops (0 or more), got ${String(trustProxy)}`);
    }
    this.trustProxy = trustProxy;
    const limits = resolveServerLimits(options);
    positiveOrUndefined(options.clientIdleMs, 'clientIdleMs');
    positiveOrUndefined(options.failTimeoutMs, 'failTimeoutMs');
    positiveOrUndefined(options.proxyTimeoutMs, 'proxyTimeoutMs');
    this.clientIdleMs = options.clientIdleMs ?? 60_000;
    this.failTimeoutMs = options.failTimeoutMs ?? 10_000;
    this.proxyTimeoutMs = options.proxyTimeoutMs ?? 60_000;

    this.proxy.on('proxyRes', (proxyRes, req) => {
      const cookie = this.pendingCookie.get(req);
      if (cookie === undefined) return;
      const existing = proxyRes.headers['set-cookie'] ?? [];
      proxyRes.headers['set-cookie'] = [...existing, cookie];
    });
    // Errors always reach the per-call callbacks; this listener only keeps a stray one from throwing.
    this.proxy.on('error', () => {});
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
      if (now - this.lastDropWarning < 10_000) return;
      this.lastDropWarning = now;
      this.options.logger?.warn(`maxConnections ${limits.maxConnections} reached: new connections are closed on accept`);
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    for (const backend of options.backends) this.add(backend);
  }

  /** The strategy for clients that are not pinned; settable at run time (pins stay). */
  get strategy(): Strategy {
    return this.currentStrategy;
  }
  set strategy(strategy: Strategy) {
    this.currentStrategy = validateStrategy(strategy);
    this.picker = createPicker(this.currentStrategy);
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
    for (const backend of this.pool.values()) backend.stopChecks?.();
    for (const socket of this.tunnels) socket.destroy();
    return new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    }).then(() => {
      this.agents.http.destroy();
      this.agents.https.destroy();
    });
  }

  /** Status of every backend, in the order they were added. */
  backends(): BackendStatus[] {
    const clients = this.countClients(Date.now());
    return [...this.pool.values()].map((b) => this.status(b, clients.get(b.id) ?? 0));
  }

  /**
   * Adds a backend at run time. It starts healthy (a connection error or failed checks take it
   * down). Throws StickyConfigError for a bad config or an id already in use.
   */
  add(config: BackendConfig): BackendStatus {
    const { id, url, weight, target } = validateBackend(config);
    if (this.pool.has(id)) throw new StickyConfigError(`backend id ${id} is already in the balancer`);
    const backend: BackendState = { id, url, weight, target, healthy: true, draining: false, connections: 0, requests: 0, successes: 0, failures: 0 };
    this.pool.set(id, backend);
    if (this.healthCheck) {
      backend.stopChecks = startChecks(target, this.healthCheck, (failure) => this.reportCheck(backend, failure));
    }
    return this.status(backend, 0);
  }

  /** Removes a backend: no new requests; in-flight ones finish; its pinned clients are re-pinned. False when unknown. */
  remove(id: string): boolean {
    const backend = this.pool.get(id);
    if (!backend) return false;
    backend.stopChecks?.();
    return this.pool.delete(id);
  }

  /** Stops giving a backend new clients; clients pinned to it stay until idle for `clientIdleMs`. False when unknown. */
  drain(id: string): boolean {
    return this.setDraining(id, true);
  }

  /** Undoes `drain(id)`. False when unknown. */
  resume(id: string): boolean {
    return this.setDraining(id, false);
  }

  /** The request handler, for mounting the balancer on a server of your own. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      if (this.options.onRequest?.(req, res)) return;
    } catch (err) {
      this.options.logger?.warn(`onRequest threw: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) return fail(res, 500, 'the onRequest hook threw an error');
      res.destroy();
      return;
    }
    const target = checkRequestTarget(req.url, req.headers.host);
    if (!target.ok) return fail(res, 400, target.reason);
    req.url = target.path;
    this.forward(req, res, this.prepare(req));
  }

  /** The `upgrade` handler (WebSocket), for mounting the balancer on a server of your own. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that resets before the tunnel is up must not crash the process.
    socket.on('error', () => socket.destroy());
    const target = checkRequestTarget(req.url, req.headers.host);
    if (!target.ok) {
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n400 Bad Request: ${target.reason}\n`);
      return;
    }
    req.url = target.path;
    const ctx = this.prepare(req);
    const choice = this.choose(ctx);
    if (!choice) {
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${this.unavailableMessage()}`);
      return;
    }
    const backend = choice.backend;
    backend.connections++;
    backend.requests++;
    this.tunnels.add(socket);
    socket.once('close', () => {
      backend.connections--;
      this.tunnels.delete(socket);
    });
    this.proxy.ws(req, socket, head, { target: backend.target, agent: false }, (err) => {
      this.noteFailure(backend, err as NodeJS.ErrnoException);
    });
  }

  private prepare(req: http.IncomingMessage): RequestContext {
    const cookie: CookieCheck = this.sticky ? this.sticky.check(req.headers.cookie, Date.now()) : { state: 'absent' };
    if (this.sticky) {
      // The routing cookie is the balancer's business (HAProxy `indirect`): the app never sees it.
      const rest = removeCookie(req.headers.cookie, this.sticky.name);
      if (rest === undefined) delete req.headers.cookie;
      else req.headers.cookie = rest;
    }
    const address = clientAddress(req, this.trustProxy);
    setForwardedHeaders(req, this.trustProxy);
    const clientId = cookie.state === 'valid' || cookie.state === 'expired' ? cookie.pin.clientId : this.sticky?.newClientId();
    // A request body that is not there cannot be lost, so such a request can be sent again.
    const bodyless = !req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0';
    return { address, cookie, ...(clientId ? { clientId } : {}), clientKey: clientId ?? address, bodyless, tried: new Set(), attempt: 0 };
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, ctx: RequestContext): void {
    const choice = this.choose(ctx);
    if (!choice) {
      if (ctx.lastFailure) return fail(res, 502, `${ctx.lastFailure}, and no other backend is left to retry on`);
      return fail(res, 503, this.unavailableMessage());
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
    if (choice.setCookie) this.pendingCookie.set(req, choice.setCookie);
    else this.pendingCookie.delete(req);
    const target = backend.target;
    this.proxy.web(
      req,
      res,
      {
        target,
        agent: target.protocol === 'https:' ? this.agents.https : this.agents.http,
        proxyTimeout: this.proxyTimeoutMs,
        // A retry cannot replay `req` (already consumed); it is bodyless, so an empty stream is the same request.
        ...(attempt > 1 ? { buffer: Readable.from([]) } : {}),
      },
      (err) => {
        if (attempt !== ctx.attempt) return; // a late error from an earlier attempt
        release();
        if (res.destroyed) return; // the client is gone: nobody to answer or retry for
        const error = err as NodeJS.ErrnoException;
        const notSent = this.noteFailure(backend, error);
        const method = req.method ?? 'GET';
        if (!res.headersSent && ctx.bodyless && (notSent || IDEMPOTENT.has(method))) {
          ctx.lastFailure = `backend ${backend.id} failed (${describe(error)})`;
          return this.forward(req, res, ctx);
        }
        if (res.headersSent) return void res.destroy();
        const why = ctx.bodyless ? `${method} is not idempotent` : 'it has a body that was already streamed';
        fail(res, 502, `backend ${backend.id} failed (${describe(error)}) and the request was not retried because ${why}`);
      },
    );
  }

  /** Records a failed request; connection errors that prove the backend is unreachable mark it down. Returns whether the request was never sent. */
  private noteFailure(backend: BackendState, err: NodeJS.ErrnoException): boolean {
    const notSent = err.code !== undefined && NOT_SENT.has(err.code);
    backend.lastError = describe(err);
    if (notSent) {
      if (!this.healthCheck) backend.retryAt = Date.now() + this.failTimeoutMs;
      backend.successes = 0;
      this.setHealth(backend, false, `connection error: ${backend.lastError}`);
    } else {
      this.options.logger?.warn(`backend ${backend.id}: request failed: ${backend.lastError}`);
    }
    return notSent;
  }

  private choose(ctx: RequestContext): Choice | undefined {
    const now = Date.now();
    if (!this.healthCheck) {
      for (const b of this.pool.values()) {
        if (!b.healthy && b.retryAt !== undefined && now >= b.retryAt) this.setHealth(b, true, 'fail timeout elapsed');
      }
    }
    const usable = (b: BackendState | undefined): b is BackendState => b !== undefined && b.healthy && !ctx.tried.has(b.id);
    const { cookie, clientKey } = ctx;

    // 1. A valid pin wins, also on a draining backend while the client is active there.
    if (cookie.state === 'valid') {
      const pinned = this.pool.get(cookie.pin.backendId);
      if (usable(pinned) && (!pinned.draining || this.isActive(clientKey, pinned.id, now))) {
        return this.chosen(pinned, clientKey, now, cookie.pin);
      }
    }
    // 2. ip-hash is an affinity too: keep an active client on its draining backend.
    if (this.currentStrategy === 'ip-hash' && cookie.state !== 'valid') {
      const hashed = rendezvousPick(ctx.address, [...this.pool.values()].filter(usable));
      if (hashed?.draining && this.isActive(clientKey, hashed.id, now)) return this.chosen(hashed, clientKey, now);
    }
    // 3. Otherwise balance over healthy, non-draining backends. A forged cookie is never honoured:
    //    its request goes elsewhere than the backend it names whenever another one can serve.
    let candidates = [...this.pool.values()].filter((b) => usable(b) && !b.draining);
    if (cookie.state === 'invalid' && candidates.length > 1) candidates = candidates.filter((b) => b.id !== cookie.claimed);
    if (candidates.length === 0) return undefined;
    const picked = this.picker(candidates, ctx.address);
    return this.chosen(picked, clientKey, now, undefined, ctx.clientId);
  }

  private chosen(backend: BackendState, clientKey: string, now: number, pin?: StickyPin, newClientId?: string): Choice {
    this.activeClients.delete(clientKey);
    this.activeClients.set(clientKey, { backendId: backend.id, lastSeen: now });
    if (this.activeClients.size > MAX_TRACKED_CLIENTS) {
      this.activeClients.delete(this.activeClients.keys().next().value as string);
    }
    if (!this.sticky) return { backend };
    if (pin) {
      // Still pinned: re-send the cookie only to refresh its last-seen time for maxIdleMs.
      if (!this.sticky.needsRefresh(pin, now)) return { backend };
      return { backend, setCookie: this.sticky.serialize({ ...pin, lastSeenAt: now }) };
    }
    const fresh: StickyPin = { backendId: backend.id, clientId: newClientId ?? this.sticky.newClientId(), issuedAt: now, lastSeenAt: now };
    return { backend, setCookie: this.sticky.serialize(fresh) };
  }

  private isActive(clientKey: string, backendId: string, now: number): boolean {
    const seen = this.activeClients.get(clientKey);
    return seen !== undefined && seen.backendId === backendId && now - seen.lastSeen <= this.clientIdleMs;
  }

  private countClients(now: number): Map<string, number> {
    // Entries are ordered by last request, so the idle ones are at the front.
    for (const [key, seen] of this.activeClients) {
      if (now - seen.lastSeen <= this.clientIdleMs) break;
      this.activeClients.delete(key);
    }
    const counts = new Map<string, number>();
    for (const seen of this.activeClients.values()) counts.set(seen.backendId, (counts.get(seen.backendId) ?? 0) + 1);
    return counts;
  }

  private reportCheck(backend: BackendState, failure: string | undefined): void {
    if (this.pool.get(backend.id) !== backend) return;
    if (failure === undefined) {
      backend.failures = 0;
      backend.successes++;
      if (!backend.healthy && backend.successes >= (this.healthCheck as ResolvedHealthCheck).rise) this.setHealth(backend, true, 'health check passed');
    } else {
      backend.successes = 0;
      backend.failures++;
      backend.lastError = failure;
      if (backend.healthy && backend.failures >= (this.healthCheck as ResolvedHealthCheck).fall) this.setHealth(backend, false, failure);
    }
  }

  private setHealth(backend: BackendState, healthy: boolean, reason: string): void {
    if (backend.healthy === healthy) return;
    backend.healthy = healthy;
    if (healthy) backend.retryAt = undefined;
    const status = this.status(backend, this.countClients(Date.now()).get(backend.id) ?? 0);
    this.options.logger?.[healthy ? 'info' : 'warn'](`backend ${backend.id} ${backend.url} is ${healthy ? 'UP' : 'DOWN'}: ${reason}`);
    if (healthy) this.emit('up', status);
    else this.emit('down', status, reason);
  }

  private setDraining(id: string, draining: boolean): boolean {
    const backend = this.pool.get(id);
    if (!backend) return false;
    backend.draining = draining;
    return true;
  }

  private status(b: BackendState, clients: number): BackendStatus {
    return {
      id: b.id,
      url: b.url,
      weight: b.weight,
      healthy: b.healthy,
      draining: b.draining,
      connections: b.connections,
      clients,
      requests: b.requests,
      ...(b.lastError !== undefined ? { lastError: b.lastError } : {}),
    };
  }

  private unavailableMessage(): string {
    const states = [...this.pool.values()].map((b) => `${b.id} ${b.healthy ? (b.draining ? 'draining' : 'up') : 'down'}`);
    return `no backend can serve this request (${states.length ? states.join(', ') : 'no backends configured'})`;
  }
}

interface ServerLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** The client-side limits with their defaults; throws StickyConfigError for values Node would refuse or ignore. */
function resolveServerLimits(options: BalancerOptions): ServerLimits {
  const limits: ServerLimits = {
    maxConnections: options.maxConnections ?? 4096,
    headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5000,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) throw new StickyConfigError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new StickyConfigError(`headersTimeoutMs (${limits.headersTimeoutMs}) must not be more than requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  return limits;
}

/** Creates a balancer (not listening yet: call `listen()`). Throws StickyConfigError for bad options. */
export function createBalancer(options: BalancerOptions): Balancer {
  return new Balancer(options);
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

function fail(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...(status === 503 ? { 'retry-after': '1' } : {}),
  });
  res.end(`${status} ${REASONS[status] ?? ''}: ${message}\n`);
}

function describe(err: NodeJS.ErrnoException): string {
  return err.code && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message;
}
