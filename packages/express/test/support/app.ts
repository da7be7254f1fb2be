import express, { type NextFunction, type Request, type Response } from 'express';
import session, { type SessionOptions, type Store } from 'express-session';

export const SECRET = 'test secret';
export const COOKIE = 'sid';

export interface AppHooks {
  /** Awaited by `/set` after the session is loaded and before it is changed. */
  beforeWrite?: () => Promise<void>;
}

type Bag = Record<string, unknown>;

/** A small shop app: login, read, set one key, logout, regenerate. Errors answer `{ code }` with their status. */
export function sessionApp(store: Store, options: Partial<SessionOptions> = {}, hooks: AppHooks = {}): express.Express {
  const app = express();
  app.use(session({ store, secret: SECRET, name: COOKIE, resave: false, saveUninitialized: false, ...options }));

  app.post('/login', (req, res) => {
    (req.session as unknown as Bag)['user'] = 'alice';
    res.json({ ok: true });
  });
  app.get('/me', (req, res) => {
    const bag = req.session as unknown as Bag | undefined;
    res.json({
      hasSession: bag !== undefined,
      sessionID: req.sessionID ?? null,
      user: bag?.['user'] ?? null,
      keys: bag
        ? Object.keys(bag)
            .filter((key) => key !== 'cookie')
            .sort()
        : [],
    });
  });
  app.post('/set/:key/:value', async (req, res) => {
    await hooks.beforeWrite?.();
    // With failMode 'open' a request may have no session while the store is down.
    if (!req.session) return void res.json({ ok: false });
    (req.session as unknown as Bag)[String(req.params['key'])] = req.params['value'];
    res.json({ ok: true });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
  });
  app.post('/regenerate', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      (req.session as unknown as Bag)['user'] = 'bob';
      res.json({ ok: true });
    });
  });
  app.use((err: Error & { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'ERR_UNKNOWN', message: err.message });
  });
  return app;
}
