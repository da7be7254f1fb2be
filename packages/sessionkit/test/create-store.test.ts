import { describe, expect, it } from 'vitest';
import {
  createStore,
  MemorySessionStore,
  RedisSessionStore,
  registeredSchemes,
  ReplicatedSessionStore,
  SqlSessionStore,
  type SessionStore,
} from '../src/index.js';

// Every scheme reaches its adapter. Stores connect lazily, so nothing here needs a server.
const cases: [string, new (...args: never[]) => SessionStore][] = [
  ['memory://', MemorySessionStore],
  ['redis://127.0.0.1:6379/0', RedisSessionStore],
  ['rediss://127.0.0.1:6380', RedisSessionStore],
  ['redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster', RedisSessionStore],
  ['redis+cluster://127.0.0.1:7000,127.0.0.1:7001', RedisSessionStore],
  ['postgres://postgres@127.0.0.1:5432/test', SqlSessionStore],
  ['postgresql://postgres@127.0.0.1:5432/test', SqlSessionStore],
  ['mysql://root@127.0.0.1:3306/test', SqlSessionStore],
  ['mariadb://root@127.0.0.1:3306/test', SqlSessionStore],
  ['sqlite::memory:', SqlSessionStore],
  ['cluster://127.0.0.1:0?node=solo', ReplicatedSessionStore],
];

describe('createStore with every adapter registered', () => {
  it.each(cases)('%s', async (url, kind) => {
    const store = createStore(url, { secret: 'umbrella-test-secret-0123456789' });
    try {
      expect(store).toBeInstanceOf(kind);
    } finally {
      await store.close();
    }
  });

  it('lists every known scheme for an unknown one', () => {
    const schemes = registeredSchemes().map((s) => s.scheme);
    for (const scheme of [
      'memory',
      'redis',
      'rediss',
      'redis+sentinel',
      'redis+cluster',
      'postgres',
      'postgresql',
      'mysql',
      'mariadb',
      'sqlite',
      'cluster',
    ]) {
      expect(schemes).toContain(scheme);
    }
    expect(() => createStore('mongodb://127.0.0.1/sessions')).toThrow(/Known: .*redis: .*sqlite: .*cluster: /);
  });
});
