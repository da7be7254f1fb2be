import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SessionLifecycleEvent, SessionLifecycleEventName, SessionStore } from '@sessionkit/core';
import type { GroupContext } from '../types.js';
import { eventually, sleep } from '../util.js';

const TTL = { ttlMs: 60_000 };
/** How long an event may take to arrive (keyspace notifications, sweeps): only catches a hang. */
const ARRIVAL_MS = 15_000;

/**
 * Records the lifecycle events of one kind. A payload that is not `{ sid: string, principal?: string }`
 * is recorded with an empty sid, so the test fails on it (a listener's own throw would only become
 * an `error` event).
 */
function record(store: SessionStore, event: SessionLifecycleEventName): SessionLifecycleEvent[] {
  const seen: SessionLifecycleEvent[] = [];
  store.on(event, (...args: unknown[]) => {
    const [payload] = args as [SessionLifecycleEvent | undefined];
    const good =
      args.length === 1 &&
      typeof payload?.sid === 'string' &&
      (payload.principal === undefined || typeof payload.principal === 'string');
    seen.push(good ? payload : { sid: '', principal: `malformed ${event} event: ${JSON.stringify(args)}` });
  });
  return seen;
}

function wellFormed(events: SessionLifecycleEvent[]): void {
  const bad = events.filter((e) => e.sid === '');
  assert.deepEqual(bad, [], 'lifecycle events must carry one { sid, principal? } argument');
}

function arrived(events: SessionLifecycleEvent[], sid: string): Promise<boolean> {
  return eventually(async () => events.some((e) => e.sid === sid), ARRIVAL_MS, 25);
}

function of(events: SessionLifecycleEvent[], sid: string): SessionLifecycleEvent[] {
  return events.filter((e) => e.sid === sid);
}

export function eventsGroup(t: GroupContext): void {
  const declared = (event: SessionLifecycleEventName, name: string, register: () => void) => {
    const says = t.events?.[event];
    if (says === true) register();
    else t.skipTest(name, typeof says === 'string' ? says : `the store does not declare that it delivers '${event}'`);
  };

  declared('created', "'created' for a new session, with its principal; not for a write to a live one", () =>
    t.test("'created' for a new session, with its principal; not for a write to a live one", () =>
      t.withStore(async (store) => {
        const created = record(store, 'created');
        const owner = `lee-${randomBytes(4).toString('hex')}`;
        const [bySet, byPatch, marker] = [t.sid(), t.sid(), t.sid()];
        await store.set(bySet, { userId: owner }, TTL);
        await store.patch(byPatch, { set: { cart: [] }, unset: [] }, TTL);
        assert.ok(await arrived(created, bySet), `no 'created' for ${bySet}`);
        assert.ok(await arrived(created, byPatch), `no 'created' for a patch that created ${byPatch}`);
        assert.ok(
          of(created, bySet).every((e) => e.principal === owner),
          `'created' without principal ${owner}: ${JSON.stringify(of(created, bySet))}`,
        );
        assert.ok(
          of(created, byPatch).every((e) => e.principal === undefined),
          "an anonymous session's 'created' names a principal",
        );
        const before = [of(created, bySet).length, of(created, byPatch).length];
        await store.set(bySet, { userId: owner, cart: ['tea'] }, TTL);
        await store.patch(byPatch, { set: { cart: ['tea'] }, unset: [] }, TTL);
        await store.touch(bySet, TTL);
        await store.set(marker, { cart: [] }, TTL);
        assert.ok(await arrived(created, marker), `no 'created' for ${marker}`);
        assert.deepEqual(
          [of(created, bySet).length, of(created, byPatch).length],
          before,
          "a write to a live session emitted 'created'",
        );
        wellFormed(created);
      }),
    ),
  );

  declared(
    'destroyed',
    "'destroyed' for destroy and destroyByPrincipal, with the principal; not for an absent sid",
    () =>
      t.test("'destroyed' for destroy and destroyByPrincipal, with the principal; not for an absent sid", () =>
        t.withStore(async (store) => {
          const owner = `max-${randomBytes(4).toString('hex')}`;
          const [single, devices, marker] = [t.sid(), [t.sid(), t.sid()], t.sid()];
          await store.set(single, { passport: { user: owner } }, TTL);
          await Promise.all(devices.map((sid) => store.set(sid, { userId: owner }, TTL)));
          await store.set(marker, { cart: [] }, TTL);
          const destroyed = record(store, 'destroyed');
          await store.destroy(single);
          assert.ok(await arrived(destroyed, single), `no 'destroyed' for ${single}`);
          assert.ok(
            of(destroyed, single).every((e) => e.principal === owner),
            `'destroyed' without principal: ${JSON.stringify(destroyed)}`,
          );
          const count = of(destroyed, single).length;
          await store.destroy(single); // absent now
          await store.destroy(t.sid()); // never existed
          assert.equal(await store.destroyByPrincipal(owner), 2);
          for (const sid of devices) {
            assert.ok(await arrived(destroyed, sid), `no 'destroyed' for ${sid} after destroyByPrincipal`);
            assert.ok(of(destroyed, sid).every((e) => e.principal === owner));
          }
          await store.destroy(marker);
          assert.ok(await arrived(destroyed, marker));
          assert.equal(of(destroyed, single).length, count, "destroying an absent sid emitted 'destroyed'");
          wellFormed(destroyed);
        }),
      ),
  );

  declared('expired', "'expired' for a session whose TTL passed, not 'destroyed'", () =>
    t.test("'expired' for a session whose TTL passed, not 'destroyed'", () =>
      t.withStore(async (store) => {
        const owner = `ned-${randomBytes(4).toString('hex')}`;
        const [sid, anonymous] = [t.sid(), t.sid()];
        const expired = record(store, 'expired');
        const destroyed = record(store, 'destroyed');
        await store.set(sid, { userId: owner }, { ttlMs: 1000 });
        await store.set(anonymous, { cart: [] }, { ttlMs: 1000 });
        await sleep(2100);
        // Give the store every chance to notice: its sweep, and a read.
        await t.probe?.reclaim?.();
        assert.equal(await store.get(sid), null);
        assert.equal(await store.get(anonymous), null);
        assert.ok(await arrived(expired, sid), `no 'expired' for ${sid}`);
        assert.ok(await arrived(expired, anonymous), `no 'expired' for ${anonymous}`);
        // The principal is optional here (the data may be gone when the backend reports the expiry), but never wrong.
        assert.ok(of(expired, sid).every((e) => e.principal === undefined || e.principal === owner));
        assert.deepEqual(of(destroyed, sid), []);
        wellFormed(expired);
      }),
    ),
  );
}
