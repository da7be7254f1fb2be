// `npx tsx bench/src/hot-path-ops.ts`: what each step of a request costs in the memory store and
// the session tracker, in CPU ns per operation, without HTTP, next to what express-session's
// MemoryStore does for the same request (JSON.parse on get, JSON.stringify on set). The session is
// the bench's: an express-session cookie, a cart and a user. `bench/analysis.md` quotes it.
import session from 'express-session';
import { changeBetween, decodeSession, formKeyTexts, keyTexts, normalizeChange, privateSlot } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { SESSION_MAX_AGE_MS } from './backend-config.js';

const OPS = Number(process.env.HOT_PATH_OPS ?? 200_000);
const SessionClass = session.Session as unknown as new (
  req: unknown,
  data: object,
) => session.Session & Record<string, unknown>;
const CookieClass = session.Cookie as unknown as new (options: object) => session.Cookie;
const sess = new SessionClass(
  { sessionID: 'hot-path' },
  { cart: { 'sku-1': 2, 'sku-3': 1 }, user: { id: 3, name: 'user 3', locale: 'en-GB' } },
);
sess.cookie = new CookieClass({ maxAge: SESSION_MAX_AGE_MS, httpOnly: true, path: '/' });
const json = JSON.stringify(sess);
const sid = 'hot-path-sid-0001';
// A write request's change: a cart item added, the cookie expiry moved.
const saved: Record<string, unknown> = {
  ...(JSON.parse(json) as Record<string, unknown>),
  cart: { 'sku-1': 3, 'sku-3': 1 },
};
(saved['cookie'] as { expires: string }).expires = new Date(Date.now() + SESSION_MAX_AGE_MS + 5).toISOString();
const stored = formKeyTexts(json);
const current = keyTexts(saved);
const change = changeBetween(stored, current);

async function measure(label: string, op: () => unknown): Promise<void> {
  for (let i = 0; i < OPS / 10; i++) await op();
  const cpu = process.cpuUsage();
  for (let i = 0; i < OPS; i++) await op();
  const used = process.cpuUsage(cpu);
  console.log(`${label.padEnd(58)} ${(((used.user + used.system) * 1000) / OPS).toFixed(0).padStart(6)} ns CPU`);
}

console.log(`${OPS} operations each, one at a time, each awaited; a ${json.length}-character session`);
const slot = privateSlot<string>();
const weak = new WeakMap<object, string>();
await measure('JSON.parse (MemoryStore get)', () => JSON.parse(json));
await measure('JSON.stringify (MemoryStore set)', () => JSON.stringify(sess));
await measure('decodeSession (parse, remember the stored form)', () => decodeSession(sid, json));
await measure('JSON.parse + a private slot set and get', () => {
  const data = JSON.parse(json) as object;
  slot.set(data, json);
  return slot.get(data);
});
await measure('JSON.parse + a WeakMap set and get', () => {
  const data = JSON.parse(json) as object;
  weak.set(data, json);
  return weak.get(data);
});
await measure('keyTexts (the saved session, key by key)', () => keyTexts(sess));
// Two texts in turn: formKeyTexts remembers the last text it cut.
const other = json.replace('"sku-1":2', '"sku-1":4');
let turn = 0;
await measure('stored keys: cut out of the stored text', () => formKeyTexts(turn++ % 2 ? json : other));
await measure('stored keys: decoded and encoded again', () => keyTexts(JSON.parse(json) as object));
await measure('changeBetween (diff, changed keys decoded)', () => changeBetween(stored, current));
await measure('normalizeChange (value rules on the change)', () => normalizeChange(change));
await measure('setTimeout + clearTimeout (the former bound per call)', () =>
  clearTimeout(setTimeout(() => {}, 2000).unref()),
);

const store = new MemorySessionStore();
await store.set(sid, JSON.parse(json) as Record<string, unknown>, { ttlMs: SESSION_MAX_AGE_MS });
const theirs = new session.MemoryStore();
await new Promise<void>((resolve) => theirs.set(sid, sess as unknown as session.SessionData, () => resolve()));
await measure('MemorySessionStore get', () => store.get(sid));
await measure('MemorySessionStore patch (the change above)', () =>
  store.patch(sid, change, { ttlMs: SESSION_MAX_AGE_MS }),
);
await measure('MemorySessionStore touch', () => store.touch(sid, { ttlMs: SESSION_MAX_AGE_MS }));
await measure(
  'MemoryStore get (callback on setImmediate)',
  () => new Promise<void>((resolve) => theirs.get(sid, () => resolve())),
);
await measure(
  'MemoryStore set (callback on setImmediate)',
  () => new Promise<void>((resolve) => theirs.set(sid, sess as unknown as session.SessionData, () => resolve())),
);
await measure('setImmediate alone', () => new Promise<void>((resolve) => setImmediate(resolve)));
await store.close();
