import { noise } from '@sessionkit/adapter-suite';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  cookieSession,
  sessionCookieInfo,
  type CookieSessionMiddleware,
  type CookieSessionOptions,
  type InvalidCookieEvent,
} from '../../src/index.js';

type Bag = Record<string, unknown> & {
  regenerate(cb: (err?: unknown) => void): void;
  destroy(cb: (err?: unknown) => void): void;
  save(cb: (err?: unknown) => void): void;
  reload(cb: (err?: unknown) => void): void;
  touch(): void;
  cookie: { maxAge: number | null; originalMaxAge: number | null; expires: Date | null };
  id: string;
};

/**
 * A small app over `cookieSession`: `/me` reads, `/set/:key` sets a key from the JSON body,
 * `/fill/:bytes` stores a string of that many random-looking characters, `/logout`, `/regenerate`,
 * `/save`, `/reload`, `/touch`, `/remember`. Errors answer `{ code, message }` with their status.
 */
export function cookieApp(options: CookieSessionOptions): {
  app: express.Express;
  sessions: CookieSessionMiddleware;
  invalid: InvalidCookieEvent[];
} {
  const app = express();
  const sessions = cookieSession(options);
  const invalid: InvalidCookieEvent[] = [];
  sessions.on('invalid', (event) => invalid.push(event));
  app.use(sessions);
  app.use(express.json({ limit: '1mb' }));
  const bag = (req: Request) => (req as unknown as { session: Bag | undefined }).session;

  app.get('/me', (req, res) => {
    const session = bag(req);
    const keys = session
      ? Object.keys(session)
          .filter((key) => key !== 'cookie')
          .sort()
      : [];
    res.json({
      id: session?.id ?? null,
      keys,
      data: session ? Object.fromEntries(keys.map((k) => [k, session[k]])) : null,
      maxAge: session?.cookie.originalMaxAge ?? null,
    });
  });
  app.post('/set/:key', (req, res) => {
    bag(req)![String(req.params['key'])] = req.body?.value;
    res.json({ ok: true, info: sessionCookieInfo(req) ?? null });
  });
  app.post('/fill/:bytes', (req, res) => {
    bag(req)!['blob'] = noise(Number(req.params['bytes']));
    res.json({ ok: true });
  });
  app.post('/logout', (req, res, next) =>
    bag(req)!.destroy((err) => (err ? next(err) : res.json({ ok: true, hasSession: bag(req) !== undefined }))),
  );
  app.post('/regenerate', (req, res, next) => {
    const before = bag(req)!.id;
    bag(req)!.regenerate((err) => {
      if (err) return next(err);
      if (req.body?.user) bag(req)!['user'] = req.body.user;
      res.json({ before, after: bag(req)!.id });
    });
  });
  app.post('/save-then-change', (req, res, next) => {
    bag(req)!['saved'] = 'yes';
    bag(req)!.save((err) => {
      if (err) return next(err);
      bag(req)!['unsaved'] = 'yes';
      bag(req)!.reload((reloadErr) =>
        reloadErr
          ? next(reloadErr)
          : res.json({
              keys: Object.keys(bag(req)!)
                .filter((k) => k !== 'cookie')
                .sort(),
            }),
      );
    });
  });
  app.post('/save-big/:bytes', (req, res) => {
    bag(req)!['blob'] = noise(Number(req.params['bytes']));
    bag(req)!.save((err) => {
      // The app drops what did not fit, so the response itself can seal the rest.
      if (err) delete bag(req)!['blob'];
      res.json({ code: (err as { code?: string } | undefined)?.code ?? null });
    });
  });
  app.post('/touch', (req, res) => {
    bag(req)!.touch();
    res.json({ ok: true });
  });
  app.post('/remember', (req, res) => {
    bag(req)!.cookie.maxAge = Number(req.body?.ms);
    res.json({ ok: true });
  });
  app.post('/stream', (req, res) => {
    bag(req)!['streamed'] = true;
    res.write('a');
    res.end('b');
  });
  app.use((err: Error & { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'ERR_UNKNOWN', message: err.message });
  });
  return { app, sessions, invalid };
}

export { noise };
