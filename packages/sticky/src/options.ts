import { StickyConfigError } from './errors.js';

/** How a backend is chosen for a client that is not pinned yet. */
export type Strategy = 'round-robin' | 'least-connections' | 'ip-hash';
export const STRATEGIES: readonly Strategy[] = ['round-robin', 'least-connections', 'ip-hash'];

/** One upstream instance. `id` is also its route name (cookie value, HAProxy/nginx server name). */
export interface BackendConfig {
  /** `^[A-Za-z0-9_-]{1,64}$`, unique. */
  id: string;
  /** `http://host:port` (https works for the Node balancer too). A path prefix is kept. */
  url: string;
  /** Relative share of new clients, integer 1..256. Default 1. */
  weight?: number;
}

/** Cookie-insert stickiness, as HAProxy's `cookie <name> insert indirect nocache`. */
export interface StickyCookieOptions {
  /** Cookie name (RFC 6265 token). */
  cookie: string;
  /** HMAC-SHA256 key, at least 16 characters. An array rotates keys: the first signs, all verify. */
  secret: string | string[];
  /** Re-pin a client whose cookie was last refreshed longer ago than this (HAProxy `maxidle`), ms. Default: none. */
  maxIdleMs?: number;
  /** Re-pin a client whose cookie was issued longer ago than this (HAProxy `maxlife`), ms. Default: none. */
  maxLifeMs?: number;
  /** Add `Secure` to the cookie. Default false. */
  secure?: boolean;
  /** `SameSite` attribute. Default `'Lax'`. */
  sameSite?: 'Strict' | 'Lax' | 'None';
}

/** Active health checks: `GET path` on every backend. */
export interface HealthCheckOptions {
  /** Path requested on each backend, e.g. `/healthz`. A 2xx or 3xx answer is a success. */
  path: string;
  /** Time between two checks of one backend, ms. Default 2000. */
  intervalMs?: number;
  /** A check that has not answered within this is a failure, ms. Default 1000. */
  timeoutMs?: number;
  /** Consecutive successes that bring a down backend up. Default 2. */
  rise?: number;
  /** Consecutive failures that take an up backend down. Default 3. */
  fall?: number;
}

export interface ResolvedHealthCheck {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function validateBackend(backend: BackendConfig): Required<BackendConfig> & { target: URL } {
  if (typeof backend !== 'object' || backend === null)
    throw new StickyConfigError('backend must be an object { id, url, weight? }');
  const { id, url } = backend;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new StickyConfigError(
      `backend id ${JSON.stringify(id)} must match ${ID} (it is used as a cookie value and a server name)`,
    );
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new StickyConfigError(
      `backend ${id}: url ${JSON.stringify(url)} is not a valid URL (expected http://host:port)`,
    );
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new StickyConfigError(`backend ${id}: url must start with http:// or https://, got ${target.protocol}`);
  }
  const weight = backend.weight ?? 1;
  if (!Number.isInteger(weight) || weight < 1 || weight > 256) {
    throw new StickyConfigError(`backend ${id}: weight must be an integer from 1 to 256, got ${String(weight)}`);
  }
  return { id, url: target.href.replace(/\/$/, ''), weight, target };
}

export function validateBackends(backends: readonly BackendConfig[]): void {
  if (!Array.isArray(backends)) throw new StickyConfigError('backends must be an array of { id, url, weight? }');
  const seen = new Set<string>();
  for (const backend of backends) {
    const { id } = validateBackend(backend);
    if (seen.has(id)) throw new StickyConfigError(`backend id ${id} is used twice`);
    seen.add(id);
  }
}

export function validateStrategy(strategy: unknown): Strategy {
  if (!STRATEGIES.includes(strategy as Strategy)) {
    throw new StickyConfigError(`strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  return strategy as Strategy;
}

export function validateCookieName(name: unknown, what = 'cookie name'): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new StickyConfigError(`${what} ${JSON.stringify(name)} is not a valid cookie name (RFC 6265 token)`);
  }
  return name;
}

export function validateSticky(sticky: StickyCookieOptions): void {
  validateCookieName(sticky.cookie, 'sticky.cookie');
  const secrets = Array.isArray(sticky.secret) ? sticky.secret : [sticky.secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 16)) {
    throw new StickyConfigError(
      'sticky.secret must be a string of at least 16 characters (or a non-empty array of them)',
    );
  }
  positiveOrUndefined(sticky.maxIdleMs, 'sticky.maxIdleMs');
  positiveOrUndefined(sticky.maxLifeMs, 'sticky.maxLifeMs');
  if (sticky.sameSite !== undefined && !['Strict', 'Lax', 'None'].includes(sticky.sameSite)) {
    throw new StickyConfigError(`sticky.sameSite must be Strict, Lax or None, got ${JSON.stringify(sticky.sameSite)}`);
  }
}

export function resolveHealthCheck(check: HealthCheckOptions): ResolvedHealthCheck {
  if (typeof check.path !== 'string' || !check.path.startsWith('/')) {
    throw new StickyConfigError(`healthCheck.path must start with /, got ${JSON.stringify(check.path)}`);
  }
  const resolved = {
    path: check.path,
    intervalMs: check.intervalMs ?? 2000,
    timeoutMs: check.timeoutMs ?? 1000,
    rise: check.rise ?? 2,
    fall: check.fall ?? 3,
  };
  for (const key of ['intervalMs', 'timeoutMs', 'rise', 'fall'] as const) {
    positiveOrUndefined(resolved[key], `healthCheck.${key}`);
  }
  return resolved;
}

export function positiveOrUndefined(value: unknown, name: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
    throw new StickyConfigError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  }
}

/** Options shared by `haproxyConfig()` and `nginxConfig()`. */
export interface ProxyConfigOptions {
  /** Where the balancer listens: a port (all interfaces) or `host:port`. */
  listen: number | string;
  backends: BackendConfig[];
  /** Default `'round-robin'`. `'ip-hash'` renders consistent hashing of the client address. */
  strategy?: Strategy;
  /** Cookie insert by the balancer (HAProxy only; nginx open source cannot insert cookies). No secret: HAProxy's cookie is not signed. */
  sticky?: Omit<StickyCookieOptions, 'secret'>;
  /**
   * Route by the tag `stickyRoute()` puts on responses instead: `'cookie'` reads `cookieName`
   * (default `route`), `'session-id-suffix'` reads the `.route` suffix of the session cookie
   * `cookieName` (default `connect.sid`, signed or not). Route = backend id.
   */
  route?: { mode: 'cookie' | 'session-id-suffix'; cookieName?: string };
  /** HAProxy: active checks. nginx open source: turned into passive `max_fails=fall fail_timeout=interval*fall`. */
  healthCheck?: HealthCheckOptions;
}

export interface ResolvedProxyConfig {
  listen: { host?: string; port: number };
  backends: (Required<BackendConfig> & { hostPort: string })[];
  strategy: Strategy;
  sticky?: Omit<StickyCookieOptions, 'secret'>;
  route?: { mode: 'cookie' | 'session-id-suffix'; cookieName: string };
  healthCheck?: ResolvedHealthCheck;
}

/** Validates what both config renderers need; throws StickyConfigError. */
export function resolveProxyConfig(options: ProxyConfigOptions): ResolvedProxyConfig {
  validateBackends(options.backends);
  if (options.backends.length === 0) throw new StickyConfigError('at least one backend is needed to render a config');
  const listen = /^(?:(.+):)?(\d{1,5})$/.exec(String(options.listen));
  if (!listen || Number(listen[2]) > 65535)
    throw new StickyConfigError(`listen must be a port or host:port, got ${JSON.stringify(options.listen)}`);
  if (options.sticky && options.route)
    throw new StickyConfigError(
      'choose either sticky (cookie insert by the balancer) or route (tag set by stickyRoute), not both',
    );
  if (options.sticky) validateCookieName(options.sticky.cookie, 'sticky.cookie');
  let route: ResolvedProxyConfig['route'];
  if (options.route) {
    const { mode } = options.route;
    if (mode !== 'cookie' && mode !== 'session-id-suffix')
      throw new StickyConfigError(`route.mode must be 'cookie' or 'session-id-suffix', got ${JSON.stringify(mode)}`);
    route = {
      mode,
      cookieName: validateCookieName(
        options.route.cookieName ?? (mode === 'cookie' ? 'route' : 'connect.sid'),
        'route.cookieName',
      ),
    };
  }
  return {
    listen: { ...(listen[1] ? { host: listen[1] } : {}), port: Number(listen[2]) },
    backends: options.backends.map((b) => {
      const { id, url, weight, target } = validateBackend(b);
      if (target.protocol !== 'http:' || (target.pathname !== '/' && target.pathname !== '')) {
        throw new StickyConfigError(`backend ${id}: configs take plain http://host:port URLs, got ${url}`);
      }
      return { id, url, weight, hostPort: target.host.includes(':') ? target.host : `${target.host}:80` };
    }),
    strategy: validateStrategy(options.strategy ?? 'round-robin'),
    ...(options.sticky ? { sticky: options.sticky } : {}),
    ...(route ? { route } : {}),
    ...(options.healthCheck ? { healthCheck: resolveHealthCheck(options.healthCheck) } : {}),
  };
}
