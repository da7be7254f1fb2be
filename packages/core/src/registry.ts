import { StoreConfigError } from './errors.js';
import type { BaseStoreOptions, SessionStore } from './types.js';

/** Options handed to a factory: the common ones plus anything adapter-specific. */
export type CreateStoreOptions = BaseStoreOptions & Record<string, unknown>;

/**
 * Builds a store from a store URL. Must be synchronous; connections open lazily. `url` is the
 * parsed URL; for a host list (`redis+sentinel://h1:26379,h2:26379/mymaster`), which is not a
 * WHATWG URL, it is parsed with the first host only, and `raw` holds the text as given.
 */
export type StoreFactory = (url: URL, options: CreateStoreOptions, raw: string) => SessionStore;

interface Registration {
  factory: StoreFactory;
  /** Example URL shown in errors, e.g. `redis://127.0.0.1:6379/0`. */
  example: string;
}

// One registry per process, shared by the ESM and CJS copies of this package.
const REGISTRY_KEY = Symbol.for('sessionkit.store-registry');
const registry: Map<string, Registration> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] ??= new Map<
  string,
  Registration
>()) as Map<string, Registration>;

/**
 * Registers a factory for URL schemes (without the colon, e.g. `['redis', 'rediss']`). Store
 * packages call this when imported; registering a scheme again replaces the factory.
 *
 * @example
 * registerStore(
 *   ['memory'],
 *   (url, options) => new MemorySessionStore({ ...options, ...queryOptions(url, URL_PARAMS) }),
 *   'memory://?max=10000',
 * );
 */
export function registerStore(schemes: string[], factory: StoreFactory, example: string): void {
  for (const scheme of schemes) registry.set(scheme.toLowerCase(), { factory, example });
}

/** The registered schemes with an example URL each. */
export function registeredSchemes(): { scheme: string; example: string }[] {
  return [...registry].map(([scheme, { example }]) => ({ scheme, example }));
}

/**
 * Creates a store from a URL such as `SESSION_STORE_URL`: `memory://`, `redis://host:6379`,
 * `postgres://…`, `mysql://…`, `sqlite:./sessions.db`, `cluster://…`. The adapter for a scheme
 * must be imported first (the `sessionkit` package imports all of them).
 * @throws StoreConfigError when the URL does not parse or no adapter is registered for its scheme;
 *   the message lists the known schemes.
 *
 * @example
 * import { createStore } from 'sessionkit';
 * const store = createStore(process.env.SESSION_STORE_URL ?? 'memory://', { operationTimeoutMs: 2000 });
 * await store.set('sid-1', { userId: 'u1' }, { ttlMs: 86_400_000 });
 */
export function createStore(url: string, options: CreateStoreOptions = {}): SessionStore {
  const parsed = parseStoreUrl(url);
  if (!parsed)
    throw new StoreConfigError(`Store URL ${JSON.stringify(redactUrl(url))} does not parse; expected e.g. ${known()}`);
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  const registration = registry.get(scheme);
  if (!registration) {
    throw new StoreConfigError(
      `No session store is registered for "${scheme}:" (${JSON.stringify(redactUrl(parsed.href))}). Known: ${known()}. Import the adapter package (or use the "sessionkit" package, which registers them all).`,
    );
  }
  return registration.factory(parsed, options, url);
}

function parseStoreUrl(text: string): URL | undefined {
  // A host list keeps only its first host: the rest is read by the factory from the raw text.
  const firstHost = text.replace(
    /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?)([^/?#]*)/i,
    (_, head: string, hosts: string) => head + hosts.split(',')[0],
  );
  try {
    return new URL(firstHost);
  } catch {
    return undefined;
  }
}

function known(): string {
  const list = registeredSchemes().map(({ scheme, example }) => `${scheme}: (${example})`);
  return list.length ? list.join(', ') : 'none registered yet';
}

// scheme://, then everything up to whitespace or a quote
const URL_TOKEN = /([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>`]*)/gi;

/**
 * `text` with every URL password and `password=` parameter replaced by `***`, for error messages
 * and events: `redis://u:S3cr3t@host` becomes `redis://u:***@host`. Works on text that is not a
 * valid URL (a bad port, a host list, a password with an unencoded `/ ? # @`), which is exactly
 * when such text ends up in a message: in a URL holding an `@`, everything from the user name's `:`
 * to its last `@` is hidden. That may hide more than the password; never less.
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([?&;][\w.-]*(?:password|passwd|pwd|secret|token)=)[^&#\s]*/gi, '$1***')
    .replace(URL_TOKEN, (token: string, scheme: string, rest: string) => {
      const at = rest.lastIndexOf('@');
      if (at === -1) return token;
      const colon = rest.slice(0, at).indexOf(':');
      return `${scheme}${colon === -1 ? '***' : `${rest.slice(0, colon)}:***`}${rest.slice(at)}`;
    });
}
