import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { closeServer, MAX_HEADER_SIZE, noise } from '@sessionkit/adapter-suite';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { session, type HonoSessionOptions, type SessionEnv } from '../../src/index.js';

export const COOKIE = 'sid';

/**
 * The sealed-cookie suite's app (and the same routes over a server store) on real Hono with
 * `session()` from this package, served by @hono/node-server. Errors answer `{ code }` with the
 * HTTPException's status, else 500.
 */
export async function startSessionApp(
  store: HonoSessionOptions['store'],
  options: Partial<HonoSessionOptions> & { onInvalid?: (reason: string) => void } = {},
) {
  const { onInvalid, ...rest } = options;
  const sessions = session({
    store,
    secret: 'a hono session() secret of 32+ characters',
    cookie: { name: COOKIE },
    ...rest,
  });
  if (onInvalid) sessions.on('invalid', ({ reason }) => onInvalid(reason));
  const app = new Hono<SessionEnv>();
  app.use(sessions);
  app.get('/me', (c) => {
    const current = c.get('session');
    return c.json({ sessionID: current.id ?? null, user: current.get('user') ?? null, keys: current.keys().sort() });
  });
  app.get('/blob', (c) => c.json({ blob: c.get('session').get('blob') ?? null }));
  app.post('/login', (c) => {
    c.get('session').set('user', 'alice');
    return c.json({ ok: true });
  });
  app.post('/set/:key/:value', (c) => {
    c.get('session').set(c.req.param('key'), c.req.param('value'));
    return c.json({ ok: true });
  });
  app.post('/fill/:bytes', (c) => {
    c.get('session').set('blob', noise(Number(c.req.param('bytes'))));
    return c.json({ ok: true });
  });
  app.post('/logout', (c) => {
    c.get('session').destroy();
    return c.json({ ok: true });
  });
  app.post('/regenerate', (c) => {
    const current = c.get('session');
    current.regenerate();
    current.set('user', 'bob');
    return c.json({ ok: true });
  });
  app.onError((err, c) => {
    const status = err instanceof HTTPException ? err.status : 500;
    const code =
      ((err instanceof HTTPException ? err.cause : err) as { code?: string } | undefined)?.code ?? 'ERR_UNKNOWN';
    return c.json({ code }, status);
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve(
      { fetch: app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: { maxHeaderSize: MAX_HEADER_SIZE } },
      () => resolve(started),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await closeServer(server as Server);
      await sessions.close();
    },
    revokeUser: (id: string) => sessions.revokeUser(id),
    sessions,
  };
}
