import {
  type PrincipalFunction,
  type SessionChange,
  type SessionData,
  principalOfChange,
  touchesKeys,
  UNDECIDED,
} from '@sessionkit/core';
import type { KeySpace } from './keys.js';
import type { IndexArgs } from './layouts.js';
import type { ScriptRunner } from './script-runner.js';
import { MARKER_FIELD } from './scripts.js';

/** How a patch files its session in the principal index, as {@link PrincipalIndex.plan} decides. */
export interface FilePlan {
  mode: 'keep' | 'set';
  principal: string;
  guards: [string, string][];
}

/**
 * The principal index of the hash layout: a set per principal, `<prefix>\0principal\0<id>`, whose
 * members are sids. Kept by the session scripts themselves where the set shares the session's slot
 * (`scripted`), else by separate commands on the set's slot right after each write.
 */
export class PrincipalIndex {
  readonly #keys: KeySpace;
  /** Hash layout: the script keeps the sets (one slot, or not a Cluster); `false`: separate commands. */
  readonly #scripted: boolean;
  readonly #format: 'hash' | 'json';
  /** The keys the principal is read from; `undefined`: any key may be. */
  readonly #principalKeys: ReadonlySet<string> | undefined;
  readonly #principalFn: PrincipalFunction;
  /** The store's principalOf: the principal of a whole session, `undefined` when anonymous. */
  readonly #principalOf: (data: SessionData) => string | undefined;
  readonly #runner: ScriptRunner;

  constructor(options: {
    keys: KeySpace;
    scripted: boolean;
    format: 'hash' | 'json';
    principalKeys: ReadonlySet<string> | undefined;
    principalFn: PrincipalFunction;
    principalOf: (data: SessionData) => string | undefined;
    runner: ScriptRunner;
  }) {
    this.#keys = options.keys;
    this.#scripted = options.scripted;
    this.#format = options.format;
    this.#principalKeys = options.principalKeys;
    this.#principalFn = options.principalFn;
    this.#principalOf = options.principalOf;
    this.#runner = options.runner;
  }

  /**
   * Destroys (with tombstones) every live session filed under `principal`, tombstones living
   * `tombstoneTtlMs`; resolves to the sids this call ended.
   */
  async remove(principal: string, tombstoneTtlMs: number): Promise<string[]> {
    const sids: string[] = [];
    for await (const sid of this.members(principal)) sids.push(sid);
    const argv = [Math.ceil(tombstoneTtlMs), '', this.setPrefix, principal];
    const replies = await Promise.all(
      sids.map((sid) =>
        this.#runner.run('destroyByPrincipal', sid, {
          script: 'sessionkitHashDestroy',
          argv: [argv[0]!, sid, argv[2]!, principal],
        }),
      ),
    );
    const ended = sids.filter((_, i) => Number((replies[i] as unknown[])[0]) === 1);
    const set = this.#keys.setPrefix + principal;
    if (!this.#scripted && sids.length)
      await this.#runner.command((driver) => driver.command(set, ['SREM', set, ...sids]));
    return ended;
  }

  /** The set key prefix the scripts get: `''` when the store keeps the sets with separate commands. */
  get setPrefix(): string {
    return this.#scripted ? this.#keys.setPrefix : '';
  }

  indexArgs(sid: string, mode: 'keep' | 'set', principal: string, guards: [string, string][]): IndexArgs {
    return { sid, setPrefix: this.setPrefix, mode, principal, guards };
  }

  /**
   * How a patch files the session: `keep` when it touches no key the principal is read from;
   * else `set` with the principal of the change when the change alone decides it (a login sets
   * `passport`); else the principal keys it does not change are read first and sent as guards.
   */
  async plan(sid: string, change: SessionChange): Promise<FilePlan> {
    const keys = this.#principalKeys;
    if (keys && !touchesKeys(change, keys)) return { mode: 'keep', principal: '', guards: [] };
    const decided = principalOfChange(change, this.#principalFn);
    if (decided !== UNDECIDED) return { mode: 'set', principal: decided ?? '', guards: [] };
    const known = new Map<string, unknown>();
    for (const key of change.unset) known.set(key, undefined);
    for (const [key, value] of Object.entries(change.set)) known.set(key, value);
    // Read what the change leaves as it is, and have the script check it is still so.
    const fields = keys ? [...keys].filter((key) => !known.has(key)) : undefined;
    const key = this.#keys.session(sid);
    const stored = await this.#runner.command(async (driver) => {
      if (fields) {
        const values = fields.length
          ? ((await driver.command(key, ['HMGET', key, ...fields])) as (string | null)[])
          : [];
        return fields.map((field, i) => [field, values[i] ?? null] as const);
      }
      const all = await driver.hgetall(key);
      const left: [string, string][] = [];
      for (let i = 0; i + 1 < all.length; i += 2) {
        const field = all[i]!;
        if (field !== MARKER_FIELD && !known.has(field)) left.push([field, all[i + 1]!]);
      }
      return left;
    });
    const data: SessionData = {};
    const guards: [string, string][] = [];
    for (const [field, text] of stored) {
      guards.push([field, text ?? '']);
      if (text !== null) {
        try {
          data[field] = JSON.parse(text);
        } catch {
          // undecodable: the principal function sees the key as absent
        }
      }
    }
    for (const [key, value] of known)
      if (value === undefined) delete data[key];
      else data[key] = value;
    return { mode: 'set', principal: this.#principalOf(data) ?? '', guards };
  }

  /**
   * On a Cluster without a hash tag the scripts leave the sets alone and return the principal they
   * found (`reply[1]`); this files the sid under `next` (`undefined`: where it was, for a touch
   * or a patch that kept it; `''`: nowhere) with separate commands on the set's slot.
   */
  async refile(sid: string, reply: unknown, next: string | undefined, ttlMs: number): Promise<void> {
    if (this.#scripted || this.#format !== 'hash' || !Array.isArray(reply) || Number(reply[0]) !== 1) return;
    const previous = String(reply[1] ?? '');
    const now = next ?? previous;
    const ttl = Math.ceil(ttlMs);
    await this.#runner.command(async (driver) => {
      const work: Promise<unknown>[] = [];
      const old = this.#keys.setPrefix + previous;
      if (previous && previous !== now) work.push(driver.command(old, ['SREM', old, sid]));
      if (now) {
        // one script on the set's slot: SADD, then the TTL raised to cover this member, never lowered
        const set = this.#keys.setPrefix + now;
        work.push(driver.script('sessionkitFile', set, set, [ttl, sid]));
      }
      await Promise.all(work);
    });
  }

  /** The live sids of `principal`; dead members are removed from its set on the way. */
  async *members(principal: string): AsyncIterable<string> {
    const set = this.#keys.setPrefix + principal;
    const sessionPrefix = this.#keys.session('');
    if (this.#scripted) {
      // the set twice: the scripts take two keys, and these two share the slot trivially
      const live = await this.#runner.command((driver) =>
        driver.script('sessionkitMembers', set, set, [sessionPrefix, principal]),
      );
      yield* (live as unknown[]).map(String);
      return;
    }
    const sids = ((await this.#runner.command((driver) => driver.command(set, ['SMEMBERS', set]))) as unknown[]).map(
      String,
    );
    const markers = await this.#runner.command((driver) =>
      Promise.all(
        sids.map((sid) => driver.command(this.#keys.session(sid), ['HGET', this.#keys.session(sid), MARKER_FIELD])),
      ),
    );
    const dead = sids.filter((_, i) => markers[i] !== `=${principal}`);
    if (dead.length) await this.#runner.command((driver) => driver.command(set, ['SREM', set, ...dead]));
    yield* sids.filter((_, i) => markers[i] === `=${principal}`);
  }
}
