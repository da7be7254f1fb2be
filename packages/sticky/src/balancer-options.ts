import type http from 'node:http';
import { StickyConfigError } from './errors.js';
import {
  positiveOrUndefined,
  resolveHealthCheck,
  validateBackends,
  validateSticky,
  validateStrategy,
  type BackendConfig,
  type HealthCheckOptions,
  type ResolvedHealthCheck,
  type StickyCookieOptions,
  type Strategy,
} from './options.js';

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

/** Limits of the client-facing HTTP server. */
export interface ServerLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** Balancer options checked, with their defaults filled in. */
export interface BalancerSettings {
  strategy: Strategy;
  sticky?: StickyCookieOptions;
  healthCheck?: ResolvedHealthCheck;
  trustProxy: number;
  limits: ServerLimits;
  clientIdleMs: number;
  failTimeoutMs: number;
  proxyTimeoutMs: number;
}

/** Checks every balancer option (backends included) and fills in defaults; throws StickyConfigError. */
export function resolveBalancerOptions(options: BalancerOptions): BalancerSettings {
  if (typeof options !== 'object' || options === null)
    throw new StickyConfigError('createBalancer needs an options object');
  validateBackends(options.backends);
  const strategy = validateStrategy(options.strategy ?? 'round-robin');
  if (options.sticky) validateSticky(options.sticky);
  const healthCheck = options.healthCheck ? resolveHealthCheck(options.healthCheck) : undefined;
  const trustProxy = options.trustProxy ?? 0;
  if (!Number.isInteger(trustProxy) || trustProxy < 0) {
    throw new StickyConfigError(
      `trustProxy must be a whole number of proxy hops (0 or more), got ${String(trustProxy)}`,
    );
  }
  const limits = resolveServerLimits(options);
  positiveOrUndefined(options.clientIdleMs, 'clientIdleMs');
  positiveOrUndefined(options.failTimeoutMs, 'failTimeoutMs');
  positiveOrUndefined(options.proxyTimeoutMs, 'proxyTimeoutMs');
  return {
    strategy,
    ...(options.sticky ? { sticky: options.sticky } : {}),
    ...(healthCheck ? { healthCheck } : {}),
    trustProxy,
    limits,
    clientIdleMs: options.clientIdleMs ?? 60_000,
    failTimeoutMs: options.failTimeoutMs ?? 10_000,
    proxyTimeoutMs: options.proxyTimeoutMs ?? 60_000,
  };
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
    if (!Number.isInteger(value) || value <= 0)
      throw new StickyConfigError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new StickyConfigError(
      `headersTimeoutMs (${limits.headersTimeoutMs}) must not be more than requestTimeoutMs (${limits.requestTimeoutMs})`,
    );
  }
  return limits;
}
