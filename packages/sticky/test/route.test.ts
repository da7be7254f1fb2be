import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { routeOfSessionId, sessionIdGenerator, StickyConfigError, stickyRoute, stickyRouteKoa } from '../src/index.js';
import { MapStore } from './support/map-store.js';
import { send } from './support/http.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const SID_PATTERN = /^[A-Za-z0-9._:-]{8,160}$/;

describe('stickyRoute, cookie mode', () => {
  it('Express: sets route=<route> until the client sends it back', async () => {
    const app = express();
    app.use(stickyRoute({ route: 'a' }));
    app.get('/', (_req, res) => void res.send('hi'));
    const url = await serve(app);
    const first = await send(url, { cookieName: 'route' });
    expect(first.headers['set-cookie']).toEqual(['route=a; Path=/; HttpOnly; SameSite=Lax']);
    expect((await send(url, { cookie: 'route=a', cookieName: 'route' })).headers['set-cookie']).toBeUndefined();
    // A client that failed over from another instance is re-tagged.
    expect((await send(url, { cookie: 'route=b', cookieName: 'route' })).cookie).toBe('route=a');
  });

  it('Koa: same behaviour, custom cookie name', async () => {
    const app = new Koa();
    app.use(stickyRouteKoa({ route: 'k1', cookieName: 'SRV' }));
    app.use((ctx) => {
      ctx.body = 'hi';
    });
    const url = await serve(app.callback());
    expect((await send(url, { cookieName: 'SRV' })).cookie).toBe('SRV=k1');
    expect((await send(url, { cookie: 'SRV=k1' })).headers['set-cookie']).toBeUndefined();
  });

  it('refuses bad options with StickyConfigError', () => {
    expect(() => stickyRoute({ route: 'a.b' })).toThrow(StickyConfigError);
    expect(() => stickyRoute({ route: '' })).toThrow(/route "" must match/);
    expect(() => stickyRoute({ route: 'a', cookieName: 'bad name' })).toThrow(/not a valid cookie name/);
    expect(() => stickyRoute({ route: 'a', mode: 'header' as never })).toThrow(
      /mode must be 'cookie' or 'session-id-suffix'/,
    );
    expect(() => stickyRouteKoa({ route: 'a', mode: 'session-id-suffix' })).toThrow(/genid: sessionIdGenerator\('a'\)/);
  });
});

describe('session id suffix', () => {
  it('sessionIdGenerator makes unique ids with the route suffix that match the sid pattern', () => {
    const genid = sessionIdGenerator('node-1');
    const ids = new Set(Array.from({ length: 1000 }, genid));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(SID_PATTERN);
      expect(routeOfSessionId(id)).toBe('node-1');
    }
    expect(() => sessionIdGenerator('a.b')).toThrow(StickyConfigError);
  });

  it('routeOfSessionId parses the suffix', () => {
    expect(routeOfSessionId('abcdefgh.a')).toBe('a');
    expect(routeOfSessionId('abc.def.route_2')).toBe('route_2');
    expect(routeOfSessionId('abcdefgh')).toBeUndefined();
    expect(routeOfSessionId('.a')).toBeUndefined();
    expect(routeOfSessionId('abcdefgh.')).toBeUndefined();
    expect(routeOfSessionId('abcdefgh.a:b')).toBeUndefined();
  });

  // express-session's genid may return any 1–256 characters without control characters; the route
  // is only ever the part after the last dot, and only when it is a route name.
  it.each([
    ['a/b+c%d.a', 'a'],
    ['%2F%2Fevil.example.a', 'a'],
    ['été.a', 'a'],
    [`${'x'.repeat(254)}.a`, 'a'],
    ['x.y.route_2', 'route_2'],
    ['x.a/evil', undefined],
    ['x.a%2F', undefined],
    ['x.a%2Eb', undefined],
    ['x%2Ea', undefined],
    ['x.a+', undefined],
    ['x.a b', undefined],
    ['x.a ', undefined],
    ['x.a\n', undefined],
    ['x.a\u0000', undefined],
    ['x.a\uD800', undefined],
    ['x.\uD83D\uDE00', undefined],
    ['x.é', undefined],
    ['x.ａ', undefined], // fullwidth a
    [`x.${'r'.repeat(65)}`, undefined],
    ['x.', undefined],
    ['.a', undefined],
    ['a', undefined],
    ['', undefined],
  ])('routeOfSessionId(%j) is %j', (sid, route) => {
    expect(routeOfSessionId(sid)).toBe(route);
  });

  it('routeOfSessionId with the configured routes: any other name is no route', () => {
    const routes = ['a', 'b'];
    expect(routeOfSessionId('abcdefgh.a', routes)).toBe('a');
    expect(routeOfSessionId('abcdefgh.b', new Set(routes))).toBe('b');
    expect(routeOfSessionId('abcdefgh.c', routes)).toBeUndefined();
    expect(routeOfSessionId('abcdefgh.A', routes)).toBeUndefined();
    expect(routeOfSessionId('abcdefgh.constructor', routes)).toBeUndefined();
    expect(routeOfSessionId('abcdefgh.__proto__', routes)).toBeUndefined();
    expect(routeOfSessionId('abcdefgh.a', [])).toBeUndefined();
    expect(routeOfSessionId(undefined as unknown as string, routes)).toBeUndefined();
    expect(routeOfSessionId(42 as unknown as string)).toBeUndefined();
  });

  it('Express: sessions with unusual ids from another genid are re-bound to this instance and keep their data', async () => {
    // An instance whose genid makes ids that express-session accepts but sessionIdGenerator never
    // would; the sticky instance shares its store and must re-bind each one to route 'a'.
    const shared = new Map<string, string>();
    const unusual = ['a/b+c%d.b', 'x.a/evil', 'été.b', '%2F%2Fevil.example.b', 'x.y.z', 'plain', 'x.a%2F', 'x.b+'];
    let next = 0;
    const other = express();
    other.use(
      session({
        secret: 'route-test-secret',
        store: new MapStore(shared),
        resave: false,
        saveUninitialized: false,
        genid: () => unusual[next++] as string,
      }),
    );
    other.get('/', (req, res) => {
      (req.session as unknown as { views: number }).views = 1;
      res.json({ sid: req.sessionID });
    });
    const sticky = express();
    sticky.use(
      session({
        secret: 'route-test-secret',
        store: new MapStore(shared),
        resave: false,
        saveUninitialized: false,
        genid: sessionIdGenerator('a'),
      }),
    );
    sticky.use(stickyRoute({ route: 'a', mode: 'session-id-suffix' }));
    sticky.get('/', (req, res) => {
      const s = req.session as unknown as { views?: number };
      s.views = (s.views ?? 0) + 1;
      res.json({ sid: req.sessionID, views: s.views });
    });
    const [otherUrl, stickyUrl] = await Promise.all([serve(other), serve(sticky)]);
    for (const id of unusual) {
      const first = await send(otherUrl, { cookieName: 'connect.sid' });
      expect(JSON.parse(first.body)).toEqual({ sid: id });
      const moved = await send(stickyUrl, { cookie: first.cookie as string, cookieName: 'connect.sid' });
      const onA = JSON.parse(moved.body) as { sid: string; views: number };
      expect([id, onA.views]).toEqual([id, 2]);
      expect(routeOfSessionId(onA.sid, ['a'])).toBe('a');
      expect(onA.sid).toMatch(SID_PATTERN);
      expect(shared.has(id)).toBe(false);
      // ...and it now stays: the next request keeps the re-bound id.
      const again = JSON.parse((await send(stickyUrl, { cookie: moved.cookie as string })).body) as {
        sid: string;
        views: number;
      };
      expect(again).toEqual({ sid: onA.sid, views: 3 });
    }
  });

  it('Express: a session failing over to another instance is re-bound to it and keeps its data', async () => {
    // Two instances sharing one session map, as they would share Redis. Each needs its own Store
    // object: express-session attaches its genid to the store it is given.
    const shared = new Map<string, string>();
    const instance = (route: string) => {
      const app = express();
      app.use(
        session({
          secret: 'route-test-secret',
          store: new MapStore(shared),
          resave: false,
          saveUninitialized: false,
          genid: sessionIdGenerator(route),
        }),
      );
      app.use(stickyRoute({ route, mode: 'session-id-suffix' }));
      app.get('/', (req, res) => {
        const s = req.session as unknown as { views?: number };
        s.views = (s.views ?? 0) + 1;
        res.json({ route, sid: req.sessionID, views: s.views });
      });
      return app;
    };
    const [urlA, urlB] = await Promise.all([serve(instance('a')), serve(instance('b'))]);
    const first = await send(urlA, { cookieName: 'connect.sid' });
    const onA = JSON.parse(first.body) as { sid: string; views: number };
    expect(routeOfSessionId(onA.sid)).toBe('a');
    expect(decodeURIComponent(first.cookie as string)).toContain(`s:${onA.sid}.`);
    const again = JSON.parse((await send(urlA, { cookie: first.cookie as string })).body) as {
      sid: string;
      views: number;
    };
    expect(again).toMatchObject({ sid: onA.sid, views: 2 });

    const moved = await send(urlB, { cookie: first.cookie as string, cookieName: 'connect.sid' });
    const onB = JSON.parse(moved.body) as { sid: string; views: number };
    expect(onB.views).toBe(3);
    expect(routeOfSessionId(onB.sid)).toBe('b');
    expect(decodeURIComponent(moved.cookie as string)).toContain(`s:${onB.sid}.`);
    expect(shared.has(onA.sid)).toBe(false);
    expect(shared.has(onB.sid)).toBe(true);
  });

  it('Express: without express-session in front the request fails with a clear error', async () => {
    const app = express();
    app.use(stickyRoute({ route: 'a', mode: 'session-id-suffix' }));
    app.get('/', (_req, res) => void res.send('unreachable'));
    app.use(
      (err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
        void res.status(500).send(err.message),
    );
    const url = await serve(app);
    const reply = await send(url);
    expect(reply.status).toBe(500);
    expect(reply.body).toContain('must come after express-session');
  });
});
