import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@sessionkit/memory';
import '@sessionkit/sql';
import { runSwitchSuite } from '@sessionkit/adapter-suite';
import { MemorySessionStore } from '@sessionkit/memory';
import { describe, expect, it } from 'vitest';
import { session } from '../src/index.js';
import { COOKIE, startSessionApp } from './support/session-app.js';

// One app, one switch: the same routes (written for @fastify/session's request.session) on
// cookie://, on a store URL and on a SessionStore handed in, through real fastify 5.
runSwitchSuite({
  name: 'Fastify',
  cookie: COOKIE,
  start: async (store) => {
    const app = await startSessionApp(store);
    return { ...app, strategy: app.sessions.strategy };
  },
  session: (options) => session(options as never),
  regenerateKeepsData: false,
});

describe('Fastify session() and its store', () => {
  it('a store made from a URL closes with the app; a store handed in stays open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fastify-session-'));
    const given = new MemorySessionStore();
    try {
      const handedIn = await startSessionApp(given);
      await handedIn.close();
      await expect(given.get('anything-at-all-0123456789')).resolves.toBeNull();
      const owned = await startSessionApp(`sqlite:${join(dir, 'sessions.db')}`);
      const backing = owned.sessions.store!.store;
      await expect(backing.get('anything-at-all-0123456789')).resolves.toBeNull();
      await owned.close();
      await expect(backing.get('anything-at-all-0123456789')).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
