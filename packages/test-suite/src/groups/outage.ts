import assert from 'node:assert/strict';
import type { SessionStore } from '@sessionkit/core';
import type { GroupContext } from '../types.js';
import { eventually, rejection } from '../util.js';

const TIMEOUT_MS = 1000;
// "Fails fast" means within operationTimeoutMs plus scheduling delay, never a driver's own minutes
// long retry; the slack is wide so a busy machine cannot fail it, while a hang still does.
const HANG_MS = TIMEOUT_MS + 10_000;

/**
 * Runs a call that the backend being up should answer; on a busy machine a call may still miss
 * the short operationTimeoutMs this group uses, so an unavailable answer is retried.
 */
async function whileUp<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_STORE_UNAVAILABLE' || Date.now() > deadline) throw err;
    }
  }
}

export function outageGroup(t: GroupContext): void {
  const backend = t.backend;
  if (!backend) {
    t.skipTest('calls fail fast while the backend is down and recover after', 'no backend to stop for this store');
    return;
  }
  t.test(
    'calls fail fast with StoreUnavailableError while the backend is down, and recover after',
    () =>
      t.withStore(
        async (store: SessionStore) => {
          const events: string[] = [];
          store.on('disconnect', () => events.push('disconnect'));
          store.on('connect', () => events.push('connect'));
          const sid = t.sid();
          await whileUp(() => store.set(sid, { before: true }, { ttlMs: 120_000 }));
          await backend.stop();
          try {
            const calls: [string, () => Promise<unknown>][] = [
              ['get', () => store.get(sid)],
              ['set', () => store.set(t.sid(), { a: 1 }, { ttlMs: 60_000 })],
              ['patch', () => store.patch(sid, { set: { during: true }, unset: [] }, { ttlMs: 60_000 })],
              ['touch', () => store.touch(sid, { ttlMs: 60_000 })],
              ['destroy', () => store.destroy(t.sid())],
              ['length', () => store.length()],
            ];
            for (const [method, call] of calls) {
              const started = Date.now();
              const err = await rejection(call());
              const took = Date.now() - started;
              assert.equal(err.code, 'ERR_STORE_UNAVAILABLE', `${method}: ${err.message}`);
              assert.ok(took < HANG_MS, `${method} took ${took} ms with operationTimeoutMs ${TIMEOUT_MS}`);
            }
            assert.ok(await eventually(async () => events.includes('disconnect'), 10_000), 'no disconnect event');
          } finally {
            await backend.start();
          }
          const recovered = await eventually(async () => (await store.get(sid)) !== null, 20_000, 200);
          assert.ok(recovered, 'the store did not recover after the backend came back');
          assert.deepEqual(await whileUp(() => store.get(sid)), { before: true });
          await whileUp(() => store.patch(sid, { set: { after: true }, unset: [] }, { ttlMs: 60_000 }));
          assert.deepEqual(await whileUp(() => store.get(sid)), { before: true, after: true });
          const reconnected = async () => events.lastIndexOf('connect') > events.indexOf('disconnect');
          assert.ok(
            await eventually(reconnected, 10_000),
            `no connect event after the disconnect (saw ${events.join(', ')})`,
          );
        },
        { operationTimeoutMs: TIMEOUT_MS },
      ),
    60_000,
  );
}
