import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Statements or commands this process's backend driver has sent since it started. */
let sent = 0;

export function backendCallsSent(): number {
  return sent;
}

/**
 * Counts every statement or command the driver of `engine` sends from this process, by wrapping
 * the one driver method each goes through: pg `Client#query` (what `Pool#query` calls), mysql2
 * `Connection#query` / `#execute` (what the pools and the promise wrappers call), better-sqlite3
 * `Statement#run` / `#get` / `#all` / `#iterate`, ioredis and node-redis `sendCommand` (one per
 * command sent, so an EVALSHA counts once however many commands its script runs). Counted at the
 * client because the PostgreSQL and MariaDB servers are shared: their global counters would
 * include other clients' work.
 */
export function countBackendCalls(engine: 'postgres' | 'mysql' | 'sqlite' | 'redis'): void {
  if (engine === 'postgres') {
    const pg = require('pg') as { Client: { prototype: object } };
    wrap(pg.Client.prototype, ['query']);
  } else if (engine === 'mysql') {
    const mysql = require('mysql2') as { Connection: { prototype: object } };
    wrap(mysql.Connection.prototype, ['query', 'execute']);
  } else if (engine === 'sqlite') {
    const Database = require('better-sqlite3') as new (file: string) => { prepare(sql: string): object; close(): void };
    const probe = new Database(':memory:');
    wrap(Object.getPrototypeOf(probe.prepare('select 1')) as object, ['run', 'get', 'all', 'iterate']);
    probe.close();
  } else {
    const ioredis = require('ioredis') as { Redis: { prototype: object } };
    wrap(ioredis.Redis.prototype, ['sendCommand']);
    // node-redis does not export its client class; find the prototype that defines sendCommand.
    const { createClient } = require('redis') as { createClient(): object };
    let prototype: object | null = createClient();
    while (prototype && !Object.hasOwn(prototype, 'sendCommand'))
      prototype = Object.getPrototypeOf(prototype) as object | null;
    if (!prototype) throw new Error('cannot count Redis commands: node-redis sendCommand not found');
    wrap(prototype, ['sendCommand']);
  }
}

function wrap(prototype: object, methods: string[]): void {
  const target = prototype as Record<string, unknown>;
  for (const method of methods) {
    const original = target[method];
    if (typeof original !== 'function')
      throw new Error(`cannot count backend calls: driver method ${method} not found`);
    target[method] = function counted(this: unknown, ...args: unknown[]) {
      sent += 1;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}
