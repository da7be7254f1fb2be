import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbstractSessionStore,
  FORBIDDEN_KEYS,
  StoreConfigError,
  encodeSession,
  loadOptionalDriver,
  positiveInteger,
  positiveNumber,
  queryOptions,
} from '../src/index.js';

describe('positiveInteger', () => {
  it('returns whole numbers of 1 or more as they are', () => {
    expect(positiveInteger(1, 'max')).toBe(1);
    expect(positiveInteger(10_000, 'max')).toBe(10_000);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5', null, undefined])(
    'refuses %s, naming the option and what it accepts',
    (value) => {
      const err = catchError(() => positiveInteger(value, 'maxSizeBytes'));
      expect(err).toBeInstanceOf(StoreConfigError);
      expect(err.message).toMatch(/^maxSizeBytes must be a positive integer \(a whole number of 1 or more\), got /);
    },
  );

  it('quotes a string it refuses, so control characters cannot reach a log line', () => {
    expect(catchError(() => positiveInteger('5\n', 'max')).message).toContain('got "5\\n"');
  });
});

describe('positiveNumber', () => {
  it('accepts finite numbers above 0, fractions included', () => {
    expect(positiveNumber(0.5, 'operationTimeoutMs')).toBe(0.5);
    expect(positiveNumber(2000, 'operationTimeoutMs')).toBe(2000);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, '2000'])('refuses %s', (value) => {
    expect(catchError(() => positiveNumber(value, 'operationTimeoutMs')).message).toMatch(
      /^operationTimeoutMs must be a positive number \(finite, above 0\), got /,
    );
  });

  it('is the check AbstractSessionStore applies to its options', () => {
    class Nothing extends AbstractSessionStore {
      readonly name = 'nothing';
      protected async read() {
        return null;
      }
      protected async write() {}
      protected async merge() {}
      protected async extend() {}
      protected async remove() {}
      protected async *scanIds() {}
      protected async count() {
        return 0;
      }
      protected async removeAll() {}
    }
    expect(() => new Nothing({ maxSessionKeys: 2.5 })).toThrow(/maxSessionKeys must be a positive integer/);
    expect(() => new Nothing({ operationTimeoutMs: 0 })).toThrow(/operationTimeoutMs must be a positive number/);
    expect(new Nothing({ operationTimeoutMs: 0.5 }).operationTimeoutMs).toBe(0.5);
  });
});

describe('queryOptions', () => {
  const spec = {
    prefix: 'string',
    max: 'integer',
    sweepIntervalMs: 'number',
    createTable: 'boolean',
    peers: 'list',
    ack: ['none', 'one', 'all'],
  } as const;

  it('reads each kind from a URL, its searchParams or a query string, leaving absent ones out', () => {
    const url = new URL('memory://?prefix=app%3A&max=500&sweepIntervalMs=0.5&createTable=false&peers=a:1,,b:2&ack=one');
    const expected = {
      prefix: 'app:',
      max: 500,
      sweepIntervalMs: 0.5,
      createTable: false,
      peers: ['a:1', 'b:2'],
      ack: 'one',
    };
    expect(queryOptions(url, spec)).toEqual(expected);
    expect(queryOptions(url.searchParams, spec)).toEqual(expected);
    expect(queryOptions(url.search, spec)).toEqual(expected);
    expect(queryOptions('max=3', spec)).toEqual({ max: 3 });
    expect(queryOptions(new URL('memory://'), spec)).toEqual({});
  });

  it('types the result from the spec', () => {
    const options = queryOptions('max=3&createTable=1', spec);
    const max: number | undefined = options.max;
    const createTable: boolean | undefined = options.createTable;
    const ack: 'none' | 'one' | 'all' | undefined = options.ack;
    expect([max, createTable, ack]).toEqual([3, true, undefined]);
  });

  it('refuses an unknown parameter, listing the known ones and the likely intended one', () => {
    const err = catchError(() =>
      queryOptions('nearCahce=1', { nearCache: 'boolean', prefix: 'string' }, { what: 'redis://' }),
    );
    expect(err).toBeInstanceOf(StoreConfigError);
    expect(err.message).toBe(
      'redis:// has an unknown parameter "nearCahce" (did you mean "nearCache"?); known: nearCache, prefix',
    );
    expect(catchError(() => queryOptions('zzz=1', spec)).message).toBe(
      'the store URL has an unknown parameter "zzz"; known: prefix, max, sweepIntervalMs, createTable, peers, ack',
    );
  });

  it('does not take inherited names for known ones', () => {
    expect(catchError(() => queryOptions('constructor=1&toString=2', spec)).message).toMatch(
      /unknown parameter "constructor"/,
    );
  });

  it('leaves unknown parameters alone with allowOthers, for URLs that carry driver settings', () => {
    expect(queryOptions('sslmode=require&max=2', spec, { allowOthers: true })).toEqual({ max: 2 });
  });

  it.each([
    ['max=1.5', /parameter max must be a whole number, got "1.5"/],
    ['max=', /parameter max must be a whole number, got ""/],
    ['sweepIntervalMs=soon', /parameter sweepIntervalMs must be a number, got "soon"/],
    ['sweepIntervalMs=Infinity', /parameter sweepIntervalMs must be a number/],
    ['createTable=yes', /parameter createTable must be true, false, 1 or 0, got "yes"/],
    ['ack=most', /parameter ack must be one of none, one, all, got "most"/],
    ['max=1&max=2', /gives the parameter max 2 times; give it once/],
  ])('refuses %s', (query, message) => {
    const err = catchError(() => queryOptions(query, spec, { what: 'memory://' }));
    expect(err).toBeInstanceOf(StoreConfigError);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^memory:\/\//);
  });
});

describe('loadOptionalDriver', () => {
  let dir: string;
  let from: string;

  beforeAll(() => {
    // A tiny node_modules of real packages: one that loads, one whose own dependency is missing, one that throws.
    dir = mkdtempSync(join(tmpdir(), 'sessionkit-drivers-'));
    from = pathToFileURL(join(dir, 'app.js')).href;
    const pkg = (name: string, source: string) => {
      mkdirSync(join(dir, 'node_modules', name), { recursive: true });
      writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
      writeFileSync(join(dir, 'node_modules', name, 'index.js'), source);
    };
    pkg('sk-driver-ok', 'module.exports = { connect: () => "connected" };');
    pkg('sk-driver-broken-dep', 'module.exports = require("sk-driver-inner-dep-not-installed");');
    pkg('sk-driver-throws', 'throw new Error("the native build failed");');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the module when it is installed where `from` can see it', () => {
    const driver = loadOptionalDriver<{ connect(): string }>('sk-driver-ok', 'a test store', { from });
    expect(driver.connect()).toBe('connected');
  });

  it('turns "this module is not installed" into StoreConfigError saying what to install', () => {
    const err = catchError(() => loadOptionalDriver('sk-driver-absent', 'a postgres:// session store', { from }));
    expect(err).toBeInstanceOf(StoreConfigError);
    expect(err.message).toBe(
      'a postgres:// session store needs the "sk-driver-absent" package: npm install sk-driver-absent',
    );
  });

  it('names the package of a subpath, or the one given', () => {
    expect(
      catchError(() => loadOptionalDriver('sk-driver-absent/promise', 'a mysql:// session store', { from })).message,
    ).toMatch(/npm install sk-driver-absent$/);
    expect(catchError(() => loadOptionalDriver('@sk-scope/absent/sub', 'x', { from })).message).toMatch(
      /npm install @sk-scope\/absent$/,
    );
    expect(
      catchError(() => loadOptionalDriver('sk-driver-absent/promise', 'x', { from, packageName: 'sk-other' })).message,
    ).toMatch(/npm install sk-other$/);
  });

  it("lets the driver's own missing dependency through as it is", () => {
    const err = catchError(() => loadOptionalDriver('sk-driver-broken-dep', 'a test store', { from }));
    expect(err).not.toBeInstanceOf(StoreConfigError);
    expect((err as Error & { code?: string }).code).toBe('MODULE_NOT_FOUND');
    expect(err.message).toContain("'sk-driver-inner-dep-not-installed'");
  });

  it('lets any other load error through as it is', () => {
    const err = catchError(() => loadOptionalDriver('sk-driver-throws', 'a test store', { from }));
    expect(err).not.toBeInstanceOf(StoreConfigError);
    expect(err.message).toBe('the native build failed');
  });
});

describe('FORBIDDEN_KEYS', () => {
  it('holds the keys that reach an object prototype, and the codec refuses each of them', () => {
    expect([...FORBIDDEN_KEYS].sort()).toEqual(['__proto__', 'constructor', 'prototype']);
    for (const key of FORBIDDEN_KEYS) {
      expect(() => encodeSession(JSON.parse(`{"${key}": 1}`))).toThrow(`top-level key "${key}" is not allowed`);
    }
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}
