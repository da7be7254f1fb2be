import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@sessionkit/memory';
import '@sessionkit/sql';
import { Client, runSwitchSuite } from '@sessionkit/adapter-suite';
import { MemorySessionStore } from '@sessionkit/memory';
import { describe, expect, it } from 'vitest';
import { session } from '../src/index.js';
import { COOKIE, startSessionApp } from './support/session-app.js';

// One app, one switch: the same routes on cookie://, on a store URL and on a SessionStore handed
// in, through real hono + @hono/node-server.
runSwitchSuite({
  name: 'Hono',
  cookie: COOKIE,
  start: async (store) => {
    const app = await startSessionApp(store);
    return { ...app, strategy: app.sessions.strategy };
  },
  session: (options) => session(options as never),
  regenerateKeepsData: true,
});

describe('Hono session() and its store', () => {
  it('a store made from a URL keeps its sessions past the app (SQLite file); close() leaves a store handed in open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hono-session-'));
    const given = new MemorySessionStore();
    try {
      await session({ store: given, secret: 'a hono session() secret of 32+ characters' }).close();
      await expect(given.get('anything-at-all-0123456789')).resolves.toBeNull();
      const url = `sqlite:${join(dir, 'sessions.db')}`;
      const first = await startSessionApp(url);
      const client = new Client(first.url);
      await client.post('/login');
      await first.close();
      const again = await startSessionApp(url);
      try {
        const back = new Client(again.url);
        back.cookies.set(COOKIE, client.cookies.get(COOKIE)!);
        expect(await back.json('/me')).toMatchObject({ user: 'alice' });
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
