import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Statements this process has sent to a SQL engine since it started. */
let statements = 0;

export function statementsSent(): number {
  return statements;
}

/**
 * Counts every statement the driver of `engine` sends in this process, by wrapping the one driver
 * method each statement goes through: pg `Client#query` (what `Pool#query` calls), mysql2
 * `Connection#query` / `#execute` (what the pools and the promise wrappers call), better-sqlite3
 * `Statement#run` / `#get` / `#all` / `#iterate`. Counted at the client because the PostgreSQL and
 * MariaDB servers are shared: their global counters would include other clients' work.
 */
export function countStatements(engine: 'postgres' | 'mysql' | 'sqlite'): void {
  if (engine === 'postgres') {
    const pg = require('pg') as { Client: { prototype: Record<string, unknown> } };
    wrap(pg.Client.prototype, ['query']);
  } else if (engine === 'mysql') {
    const mysql = require('mysql2') as { Connection: { prototype: Record<string, unknown> } };
    wrap(mysql.Connection.prototype, ['query', 'execute']);
  } else {
    const Database = require('better-sqlite3') as new (file: string) => { prepare(sql: string): object; close(): void };
    const probe = new Database(':memory:');
    wrap(Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>, ['run', 'get', 'all', 'iterate']);
    probe.close();
  }
}

function wrap(prototype: Record<string, unknown>, methods: string[]): void {
  for (const method of methods) {
    const original = prototype[method];
    if (typeof original !== 'function') throw new Error(`cannot count statements: driver method ${method} not found`);
    prototype[method] = function counted(this: unknown, ...args: unknown[]) {
      statements += 1;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}
