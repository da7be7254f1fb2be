import { createRequire } from 'node:module';
import { StoreConfigError } from './errors.js';

/**
 * Small pieces every store needs while it reads its options: number checks, optional drivers and
 * URL query parameters. Each throws `StoreConfigError` with a message that names the option and
 * says what it accepts, so a misconfigured store fails at start-up with an actionable message.
 */

/**
 * Checks an option that counts something (entries, bytes, connections): a whole number of 1 or more.
 * `value` may come from JavaScript callers without types or from a URL, so it is checked, not trusted.
 * @param value the option's value as given.
 * @param name the option's name, as the caller spells it (e.g. `maxSizeBytes`).
 * @returns `value`, now known to be a positive integer.
 * @throws StoreConfigError `"<name> must be a positive integer (a whole number of 1 or more), got <value>"`.
 * @example
 * const max = positiveInteger(options.max ?? 10_000, 'max');
 */
export function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new StoreConfigError(`${name} must be a positive integer (a whole number of 1 or more), got ${shown(value)}`);
  }
  return value;
}

/**
 * Checks an option that measures something (a duration in ms, a size): a finite number above 0,
 * fractions allowed.
 * @param value the option's value as given.
 * @param name the option's name, as the caller spells it (e.g. `operationTimeoutMs`).
 * @returns `value`, now known to be a finite number > 0.
 * @throws StoreConfigError `"<name> must be a positive number (finite, above 0), got <value>"`.
 * @example
 * const timeoutMs = positiveNumber(options.operationTimeoutMs ?? 2000, 'operationTimeoutMs');
 */
export function positiveNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new StoreConfigError(`${name} must be a positive number (finite, above 0), got ${shown(value)}`);
  }
  return value;
}

/** Where {@link loadOptionalDriver} resolves the driver from, and what it tells the user to install. */
export interface OptionalDriverOptions {
  /**
   * The module that depends on the driver, usually `import.meta.url` of the calling package. With
   * pnpm and other strict layouts a driver is only visible from the packages that declare it, so
   * resolving from `@sessionkit/core` itself would miss it.
   */
  from: string | URL;
  /**
   * The npm package to install, when it differs from `moduleName` (e.g. `mysql2` for `mysql2/promise`).
   * Default: the package part of `moduleName`.
   */
  packageName?: string;
}

/**
 * Loads an optional driver (a peer dependency such as `pg` or `ioredis`) on first use, so importing
 * a store package does not require every driver it could use.
 *
 * Only "this very module is not installed" (`MODULE_NOT_FOUND` / `ERR_MODULE_NOT_FOUND` naming
 * `moduleName` or its package) becomes the "install it" message. Any other error while loading
 * (the driver's own missing dependency, a syntax error, a failed native build) propagates as it
 * is, because "npm install" would not fix it and would hide the real cause.
 * @param moduleName what to `require`, e.g. `'pg'`, `'mysql2/promise'`.
 * @param forWhat who needs it, for the message, e.g. `'a postgres:// session store'`.
 * @returns the module's exports.
 * @throws StoreConfigError `"<forWhat> needs the "<package>" package: npm install <package>"` when it is not installed.
 * @example
 * type Pg = typeof import('pg');
 * const { Pool } = loadOptionalDriver<Pg>('pg', 'a postgres:// session store', { from: import.meta.url });
 */
export function loadOptionalDriver<T>(moduleName: string, forWhat: string, options: OptionalDriverOptions): T {
  const packageName = options.packageName ?? packageOf(moduleName);
  try {
    return createRequire(options.from)(moduleName) as T;
  } catch (err) {
    if (!isMissing(err, moduleName, packageName)) throw err;
    throw new StoreConfigError(`${forWhat} needs the "${packageName}" package: npm install ${packageName}`);
  }
}

/** The package part of a module specifier: `pg`, `mysql2` for `mysql2/promise`, `@scope/name` for `@scope/name/sub`. */
function packageOf(moduleName: string): string {
  const parts = moduleName.split('/');
  return moduleName.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isMissing(err: unknown, moduleName: string, packageName: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return false;
  // Node names the module it could not find in quotes on the first line; later lines list the require stack.
  const firstLine = String((err as Error).message).split('\n', 1)[0] ?? '';
  return firstLine.includes(`'${moduleName}'`) || firstLine.includes(`'${packageName}'`);
}

/**
 * How one URL query parameter is read:
 * - `'string'`: as given (already %-decoded);
 * - `'number'`: a finite number (`Number(text)`), e.g. `60000` or `0.5`;
 * - `'integer'`: a whole number, e.g. `10000`;
 * - `'boolean'`: `true`/`1` or `false`/`0`;
 * - `'list'`: comma-separated, empty items dropped, e.g. `a:1,b:2` → `['a:1', 'b:2']`;
 * - an array of strings: one of those words, e.g. `['none', 'one', 'all']`.
 *
 * Range checks (`>= 1`, `< 65536`) stay with the store's option checks, which see URL and code options alike.
 */
export type QueryParamKind = 'string' | 'number' | 'integer' | 'boolean' | 'list' | readonly string[];

/** Parameter name → how it is read. */
export type QuerySpec = Readonly<Record<string, QueryParamKind>>;

type ValueOf<K extends QueryParamKind> = K extends 'string'
  ? string
  : K extends 'number' | 'integer'
    ? number
    : K extends 'boolean'
      ? boolean
      : K extends 'list'
        ? string[]
        : K extends readonly (infer Word)[]
          ? Word
          : never;

/** The options read from a query: each parameter given, typed by its kind; absent ones are left out. */
export type QueryOptions<S extends QuerySpec> = { -readonly [Name in keyof S]?: ValueOf<S[Name]> };

/** How {@link queryOptions} treats parameters the spec does not name. */
export interface QueryOptionsSettings {
  /** Named in error messages, e.g. `'memory://'`. Default `'the store URL'`. */
  what?: string;
  /**
   * `true` leaves unknown parameters alone, for URLs whose other parameters belong to a driver
   * (e.g. `sslmode` for `pg`). Default `false`: an unknown parameter is refused, so a typo such as
   * `?nearCahce=1` fails instead of being silently ignored.
   */
  allowOthers?: boolean;
}

/**
 * Turns a URL's query parameters into typed store options, from a small spec of name → kind.
 * @param source a `URL`, its `searchParams`, or a raw query string (with or without `?`).
 * @param spec the parameters the store reads and how (see {@link QueryParamKind}).
 * @returns the given parameters, typed; absent ones are not set.
 * @throws StoreConfigError for an unknown parameter (listing the known ones, and the closest one when
 *   it looks like a typo), a parameter given twice, or a value that does not fit its kind.
 * @example
 * const options = queryOptions(new URL('memory://?max=500&sweepIntervalMs=1000'), {
 *   max: 'integer',
 *   sweepIntervalMs: 'number',
 * });
 * // options: { max: 500, sweepIntervalMs: 1000 }
 * queryOptions('?nearCahce=1', { nearCache: 'boolean' }, { what: 'redis://' });
 * // throws StoreConfigError:
 * //   redis:// has an unknown parameter "nearCahce" (did you mean "nearCache"?); known: nearCache
 */
export function queryOptions<const S extends QuerySpec>(
  source: URL | URLSearchParams | string,
  spec: S,
  settings: QueryOptionsSettings = {},
): QueryOptions<S> {
  const what = settings.what ?? 'the store URL';
  const params = source instanceof URL ? source.searchParams : new URLSearchParams(source);
  const known = Object.keys(spec);
  const options: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      if (settings.allowOthers) continue;
      const near = closest(name, known);
      const hint = near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`;
      throw new StoreConfigError(
        `${what} has an unknown parameter ${JSON.stringify(name)}${hint}; known: ${known.join(', ') || 'none'}`,
      );
    }
    const values = params.getAll(name);
    if (values.length > 1) {
      throw new StoreConfigError(`${what} gives the parameter ${name} ${values.length} times; give it once`);
    }
    options[name] = readParam(values[0]!, kind, name, what);
  }
  return options as QueryOptions<S>;
}

function readParam(text: string, kind: QueryParamKind, name: string, what: string): unknown {
  const refuse = (accepted: string): never => {
    throw new StoreConfigError(`${what}: parameter ${name} must be ${accepted}, got ${JSON.stringify(text)}`);
  };
  if (typeof kind !== 'string') return kind.includes(text) ? text : refuse(`one of ${kind.join(', ')}`);
  switch (kind) {
    case 'string':
      return text;
    case 'list':
      return text.split(',').filter(Boolean);
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      return refuse('true, false, 1 or 0');
    case 'number': {
      const n = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isFinite(n) ? n : refuse('a number');
    }
    case 'integer': {
      const n = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isInteger(n) ? n : refuse('a whole number');
    }
  }
}

/** The known name within two edits of `name` (case ignored), if exactly one is closest. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** A value for an error message: strings quoted and cut, so control characters cannot reach a log line. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}
