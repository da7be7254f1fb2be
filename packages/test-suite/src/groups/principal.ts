import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { principalOf, type SessionStore } from '@sessionkit/core';
import type { GroupContext } from '../types.js';
import { rejection, sleep } from '../util.js';

const TTL = { ttlMs: 60_000 };

/** The sids `idsByPrincipal(id)` yields, sorted; fails on a sid yielded twice. */
export async function sidsOf(store: SessionStore, id: string | number): Promise<string[]> {
  const sids: string[] = [];
  for await (const sid of store.idsByPrincipal(id)) sids.push(sid);
  assert.equal(
    new Set(sids).size,
    sids.length,
    `idsByPrincipal(${JSON.stringify(id)}) yielded a sid twice: ${sids.join(', ')}`,
  );
  return sids.sort();
}

/** A user id no other test uses (principal indexes may be shared by every test of a backend). */
function user(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

export function principalGroup(t: GroupContext): void {
  t.test('the index follows a login, a change of user and a logout made through patch', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      const [ann, bob] = [user('ann'), user('bob')];
      await store.set(sid, { cart: [] }, TTL);
      assert.deepEqual(await sidsOf(store, ann), []);
      await store.patch(sid, { set: { passport: { user: ann } }, unset: [] }, TTL); // login mid-session
      assert.deepEqual(await sidsOf(store, ann), [sid]);
      await store.patch(sid, { set: { cart: ['tea'] }, unset: [] }, TTL); // the principal is untouched
      assert.deepEqual(await sidsOf(store, ann), [sid]);
      await store.patch(sid, { set: { passport: { user: bob } }, unset: [] }, TTL); // change of user
      assert.deepEqual(await sidsOf(store, ann), []);
      assert.deepEqual(await sidsOf(store, bob), [sid]);
      await store.patch(sid, { set: {}, unset: ['passport'] }, TTL); // logout
      assert.deepEqual(await sidsOf(store, bob), []);
      assert.deepEqual(await store.get(sid), { cart: ['tea'] });
    }),
  );

  t.test('the index follows whole-session writes, userId, numbers, touch and a patch that creates', () =>
    t.withStore(async (store) => {
      const [sid, created] = [t.sid(), t.sid()];
      const cy = user('cy');
      const numeric = 100_000 + Math.floor(Math.random() * 1e9);
      await store.set(sid, { userId: numeric }, TTL);
      assert.deepEqual(await sidsOf(store, numeric), [sid]);
      assert.deepEqual(await sidsOf(store, String(numeric)), [sid]);
      await store.set(sid, { userId: cy, cart: [] }, TTL); // replace: another user
      assert.deepEqual(await sidsOf(store, numeric), []);
      assert.deepEqual(await sidsOf(store, cy), [sid]);
      await store.touch(sid, { ttlMs: 120_000 });
      assert.deepEqual(await sidsOf(store, cy), [sid]);
      await store.patch(created, { set: { passport: { user: cy } }, unset: [] }, TTL); // patch creates, logged in
      assert.deepEqual(await sidsOf(store, cy), [sid, created].sort());
      await store.set(sid, { cart: [] }, TTL); // replace: anonymous
      assert.deepEqual(await sidsOf(store, cy), [created]);
    }),
  );

  t.test('a patch of other keys onto an expired session of a user starts an anonymous one', () =>
    t.withStore(async (store) => {
      const sid = t.sid();
      const hal = user('hal');
      await store.set(sid, { userId: hal, cart: [] }, { ttlMs: 1000 });
      assert.deepEqual(await sidsOf(store, hal), [sid]);
      await sleep(2100);
      // a late request of the expired session adds to its cart: the session starts from that change
      await store.patch(sid, { set: { cart: ['tea'] }, unset: [] }, TTL);
      assert.deepEqual(await store.get(sid), { cart: ['tea'] });
      assert.deepEqual(await sidsOf(store, hal), []);
    }),
  );

  t.test('destroy, expiry and clear take sessions out of the index; other users and anonymous sessions stay', () =>
    t.withStore(async (store) => {
      const [dee, eve] = [user('dee'), user('eve')];
      const [destroyed, expiring, kept, other, anonymous] = [t.sid(), t.sid(), t.sid(), t.sid(), t.sid()];
      await store.set(destroyed, { userId: dee }, TTL);
      await store.set(expiring, { userId: dee }, { ttlMs: 1000 });
      await store.set(kept, { passport: { user: dee } }, TTL);
      await store.set(other, { userId: eve }, TTL);
      await store.set(anonymous, { cart: [] }, TTL);
      assert.deepEqual(await sidsOf(store, dee), [destroyed, expiring, kept].sort());
      await store.destroy(destroyed);
      assert.deepEqual(await sidsOf(store, dee), [expiring, kept].sort());
      await sleep(2100);
      await t.probe?.reclaim?.();
      assert.deepEqual(await sidsOf(store, dee), [kept]);
      assert.deepEqual(await sidsOf(store, eve), [other]);
      assert.deepEqual(await store.get(anonymous), { cart: [] });
      await store.clear();
      assert.deepEqual(await sidsOf(store, dee), []);
      assert.deepEqual(await sidsOf(store, eve), []);
      // a session stored after clear() is indexed again
      await store.set(kept, { userId: dee }, TTL);
      assert.deepEqual(await sidsOf(store, dee), [kept]);
    }),
  );

  t.test(
    'destroyByPrincipal returns the count, the next read of each is null, and late saves do not bring them back',
    () =>
      t.withStore(async (store) => {
        const [fay, gus] = [user('fay'), user('gus')];
        const fays = Array.from({ length: 5 }, () => t.sid());
        const guss = Array.from({ length: 2 }, () => t.sid());
        const anonymous = t.sid();
        await Promise.all(
          fays.map((sid, i) =>
            store.set(sid, i % 2 ? { userId: fay, device: i } : { passport: { user: fay }, device: i }, TTL),
          ),
        );
        await Promise.all(guss.map((sid) => store.set(sid, { userId: gus }, TTL)));
        await store.set(anonymous, { cart: ['tea'] }, TTL);
        assert.equal(await store.destroyByPrincipal(fay), 5);
        for (const sid of fays) assert.equal(await store.get(sid), null, `session ${sid} of ${fay} is still readable`);
        assert.deepEqual(await sidsOf(store, fay), []);
        // a request that loaded one of them before the call saves late: it stays logged out
        await store.patch(fays[0] as string, { set: { cart: ['late'] }, unset: [] }, TTL);
        await store.touch(fays[1] as string, TTL);
        assert.equal(await store.get(fays[0] as string), null);
        assert.equal(await store.get(fays[1] as string), null);
        assert.equal(await store.destroyByPrincipal(fay), 0);
        assert.deepEqual(await sidsOf(store, gus), [...guss].sort());
        assert.deepEqual(await store.get(anonymous), { cart: ['tea'] });
      }),
  );

  t.test('a custom principal function is honoured', () =>
    t.withStore(
      async (store) => {
        const sid = t.sid();
        const hal = user('hal');
        await store.set(sid, { account: { id: hal }, userId: 'not-this-one' }, TTL);
        assert.deepEqual(await sidsOf(store, hal), [sid]);
        assert.deepEqual(await sidsOf(store, 'not-this-one'), []);
        assert.equal(await store.destroyByPrincipal(hal), 1);
        assert.equal(await store.get(sid), null);
      },
      { principal: (data) => (data['account'] as { id?: string } | undefined)?.id },
    ),
  );

  t.test('a principal function that throws: sessions are saved without an index entry, reported once', async () => {
    const errors: unknown[] = [];
    await t.withStore(
      async (store) => {
        store.on('error', (err) => errors.push(err));
        const [a, b] = [t.sid(), t.sid()];
        await store.set(a, { userId: 'ivy' }, TTL);
        await store.patch(b, { set: { userId: 'ivy' }, unset: [] }, TTL);
        assert.deepEqual(await store.get(a), { userId: 'ivy' });
        assert.deepEqual(await store.get(b), { userId: 'ivy' });
        assert.deepEqual(await sidsOf(store, 'ivy'), []);
      },
      {
        principal: () => {
          throw new Error('principal lookup failed');
        },
      },
    );
    assert.equal(errors.length, 1, `expected one error event, got ${errors.length}`);
    assert.match(String(errors[0]), /principal\(data\) failed/);
  });

  t.test(
    'a session whose principal id is over 256 bytes is saved as anonymous; such an id is refused as a query',
    async () => {
      const errors: unknown[] = [];
      await t.withStore(async (store) => {
        store.on('error', (err) => errors.push(err));
        const sid = t.sid();
        const long = 'u'.repeat(257);
        await store.set(sid, { userId: long, cart: [] }, TTL);
        assert.deepEqual(await store.get(sid), { userId: long, cart: [] });
        for (const bad of [long, '', Number.NaN, null, { id: 1 }]) {
          const err = await rejection(sidsOf(store, bad as string));
          assert.equal(
            err.code,
            'ERR_PRINCIPAL_INVALID',
            `idsByPrincipal(${String(bad)}) rejected with ${err.message}`,
          );
          assert.equal((await rejection(store.destroyByPrincipal(bad as string))).code, 'ERR_PRINCIPAL_INVALID');
        }
        assert.equal((await store.get(sid)) !== null, true);
        // An indexed store meets the long id when it writes; one without an index when it scans.
        assert.deepEqual(await sidsOf(store, 'u'), []);
      });
      assert.equal(errors.length, 1);
    },
  );

  t.test('20 concurrent requests of one user on one instance leave an index equal to the truth', () =>
    t.withStore(async (store) => {
      await concurrentRequests([store, store], t.sid);
    }),
  );

  const createPeer = t.createPeer;
  if (!createPeer) {
    t.skipTest(
      '20 concurrent requests of one user through 2 instances leave an index equal to the truth',
      'no createPeer: a single-process store',
    );
    return;
  }
  t.test('20 concurrent requests of one user through 2 instances leave an index equal to the truth', async () => {
    const first = await t.createStore({});
    let second: SessionStore | undefined;
    try {
      second = await createPeer(first, {});
      await concurrentRequests([first, second], t.sid);
    } finally {
      await second?.close();
      await first.close();
    }
  });
}

/**
 * Three rounds of 20 concurrent requests of one user (login by set or patch, change of user,
 * logout, cart edits, destroy) over 6 sessions, alternating between the two instances; after each
 * round both instances' indexes equal what the sessions say.
 */
async function concurrentRequests([a, b]: [SessionStore, SessionStore], sid: () => string): Promise<void> {
  const [jo, kim] = [user('jo'), user('kim')];
  const sids = Array.from({ length: 6 }, sid);
  await Promise.all(sids.map((s) => a.set(s, { cart: [] }, TTL)));
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const store = i % 2 ? b : a;
        const s = sids[(i * 7 + round) % sids.length] as string;
        switch ((i + round) % 6) {
          case 0:
            return store.set(s, { passport: { user: jo }, n: i }, TTL);
          case 1:
            return store.patch(s, { set: { passport: { user: jo } }, unset: [] }, TTL);
          case 2:
            return store.patch(s, { set: { cart: [i] }, unset: [] }, TTL);
          case 3:
            return store.patch(s, { set: {}, unset: ['passport'] }, TTL);
          case 4:
            return store.patch(s, { set: { passport: { user: kim } }, unset: [] }, TTL);
          default:
            return round === 1 ? store.destroy(s) : store.patch(s, { set: { userId: jo }, unset: ['passport'] }, TTL);
        }
      }),
    );
    const truth = new Map<string, string[]>([
      [jo, []],
      [kim, []],
    ]);
    for (const s of sids) {
      const data = await a.get(s);
      const owner = data ? principalOf(data) : undefined;
      if (owner !== undefined) truth.get(owner)?.push(s);
    }
    for (const [id, expected] of truth) {
      for (const [name, store] of [
        ['first', a],
        ['second', b],
      ] as const) {
        assert.deepEqual(
          await sidsOf(store, id),
          expected.sort(),
          `round ${round}: the ${name} instance's index for ${id} differs from the sessions`,
        );
      }
    }
  }
}
