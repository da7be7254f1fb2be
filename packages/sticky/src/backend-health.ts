import type { BalancerLogger } from './balancer-options.js';
import type { BackendState } from './backend.js';
import { startChecks } from './health-check.js';
import type { ResolvedHealthCheck } from './options.js';

/** Connection errors that prove the request never reached the backend: safe to retry any request without a body. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

export interface BackendHealthOptions {
  /** Active checks; without them a backend downed by a connection error comes back after `failTimeoutMs`. */
  healthCheck?: ResolvedHealthCheck;
  failTimeoutMs: number;
  logger?: BalancerLogger;
  /** Called after a backend went up or down. */
  onChange(backend: BackendState, healthy: boolean, reason: string): void;
}

/**
 * Whether each backend is up: active health checks (`rise` good / `fall` failed checks in a row),
 * passive marking on connection errors, and, without active checks, a retry after `failTimeoutMs`.
 */
export class BackendHealth {
  readonly #options: BackendHealthOptions;

  constructor(options: BackendHealthOptions) {
    this.#options = options;
  }

  /** Starts active checks of a backend, when configured. `isCurrent` tells whether it is still in the pool. */
  watch(backend: BackendState, isCurrent: () => boolean): void {
    const check = this.#options.healthCheck;
    if (!check) return;
    backend.stopChecks = startChecks(backend.target, check, (failure) => {
      if (isCurrent()) this.#report(backend, check, failure);
    });
  }

  /** Without active checks: brings back the backends whose `failTimeoutMs` has passed. */
  reviveExpired(backends: Iterable<BackendState>, now: number): void {
    if (this.#options.healthCheck) return;
    for (const b of backends) {
      if (!b.healthy && b.retryAt !== undefined && now >= b.retryAt) this.#set(b, true, 'fail timeout elapsed');
    }
  }

  /** Records a failed request; connection errors that prove the backend is unreachable mark it down. Returns whether the request was never sent. */
  noteFailure(backend: BackendState, err: NodeJS.ErrnoException): boolean {
    const notSent = err.code !== undefined && NOT_SENT.has(err.code);
    backend.lastError = describeError(err);
    if (notSent) {
      if (!this.#options.healthCheck) backend.retryAt = Date.now() + this.#options.failTimeoutMs;
      backend.successes = 0;
      this.#set(backend, false, `connection error: ${backend.lastError}`);
    } else {
      this.#options.logger?.warn(`backend ${backend.id}: request failed: ${backend.lastError}`);
    }
    return notSent;
  }

  #report(backend: BackendState, check: ResolvedHealthCheck, failure: string | undefined): void {
    if (failure === undefined) {
      backend.failures = 0;
      backend.successes++;
      if (!backend.healthy && backend.successes >= check.rise) this.#set(backend, true, 'health check passed');
    } else {
      backend.successes = 0;
      backend.failures++;
      backend.lastError = failure;
      if (backend.healthy && backend.failures >= check.fall) this.#set(backend, false, failure);
    }
  }

  #set(backend: BackendState, healthy: boolean, reason: string): void {
    if (backend.healthy === healthy) return;
    backend.healthy = healthy;
    if (healthy) backend.retryAt = undefined;
    this.#options.logger?.[healthy ? 'info' : 'warn'](
      `backend ${backend.id} ${backend.url} is ${healthy ? 'UP' : 'DOWN'}: ${reason}`,
    );
    this.#options.onChange(backend, healthy, reason);
  }
}

/** `ECONNRESET socket hang up`: the code once, then the message. */
export function describeError(err: NodeJS.ErrnoException): string {
  return err.code && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message;
}
