import {
  type SessionChange,
  type SessionData,
  type SessionLifecycleEventName,
  StoreOperationError,
} from '@sessionkit/core';
import type { KeySpace } from './keys.js';
import type { Layout } from './layouts.js';
import type { Link } from './link.js';
import type { NearCache } from './near-cache.js';
import type { PrincipalIndex } from './principal-index.js';
import { redactError } from './redact.js';
import type { ScriptRunner } from './script-runner.js';

/** Patches that lost the race with another write to a field their principal was computed from are retried this often. */
const FILE_ATTEMPTS = 20;

/** What the session operations need from the store itself: its principal function and its events. */
export interface StoreHooks {
  principalOf(data: SessionData): string | undefined;
  lifecycle(event: SessionLifecycleEventName, sid: string, principal?: string): void;
  listenerCount(event: SessionLifecycleEventName): number;
}

/**
 * The operations on one session (read, write, merge, extend, remove) in either layout: the
 * command or script each sends, the principal index kept alongside, the near cache's fence after
 * each write, and the `created` / `destroyed` events from the scripts' replies.
 */
export class SessionOps {
  readonly #format: 'hash' | 'json';
  readonly #layout: Layout;
  readonly #keys: KeySpace;
  readonly #link: Link;
  readonly #near: NearCache | undefined;
  readonly #runner: ScriptRunner;
  readonly #index: PrincipalIndex;
  readonly #maxSessionBytes: number;
  readonly #tombstoneTtlMs: number;
  readonly #store: StoreHooks;

  constructor(options: {
    format: 'hash' | 'json';
    layout: Layout;
    keys: KeySpace;
    link: Link;
    near: NearCache | undefined;
    runner: ScriptRunner;
    index: PrincipalIndex;
    maxSessionBytes: number;
    tombstoneTtlMs: number;
    store: StoreHooks;
  }) {
    this.#format = options.format;
    this.#layout = options.layout;
    this.#keys = options.keys;
    this.#link = options.link;
    this.#near = options.near;
    this.#runner = options.runner;
    this.#index = options.index;
    this.#maxSessionBytes = options.maxSessionBytes;
    this.#tombstoneTtlMs = options.tombstoneTtlMs;
    this.#store = options.store;
  }

  async read(sid: string): Promise<SessionData | null> {
    const key = this.#keys.session(sid);
    // Without an entry nothing is awaited: the command goes out in this turn, as without the cache.
    const hit = this.#near?.get(key, sid);
    const cached = hit && (await hit);
    if (cached) return cached;
    const driver = await this.#link.ready();
    try {
      if (this.#near)
        return await this.#near.fill(
          key,
          () => this.#layout.read(driver, key, sid),
          () => driver.pttl(key),
        );
      return await this.#layout.read(driver, key, sid);
    } catch (err) {
      throw this.#runner.mapReply(err, sid);
    }
  }

  async write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void> {
    const hash = this.#format === 'hash';
    const principal = this.#store.principalOf(data) ?? '';
    const reply = (await this.#runner.run(
      'set',
      sid,
      this.#layout.set(data, json, ttlMs, this.#index.indexArgs(sid, 'set', hash ? principal : '', [])),
    )) as unknown[];
    await this.#index.refile(sid, reply, principal, ttlMs);
    await this.#near?.fence();
    this.#refill(sid);
    if (Number(reply[hash ? 2 : 1]) === 0) this.#store.lifecycle('created', sid, principal || undefined);
  }

  async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    if (this.#format !== 'hash') {
      const reply = (await this.#runner.run(
        'patch',
        sid,
        this.#layout.patch(change, ttlMs, this.#maxSessionBytes, this.#index.indexArgs(sid, 'keep', '', [])),
      )) as unknown[];
      await this.#near?.fence();
      if (Number(reply[0]) === 1) this.#refill(sid);
      // a new session is the change itself
      if (Number(reply[0]) === 1 && Number(reply[1]) === 0)
        this.#store.lifecycle('created', sid, this.#store.principalOf(change.set));
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const plan = await this.#index.plan(sid, change);
      const index = this.#index.indexArgs(sid, plan.mode, plan.principal, plan.guards);
      const reply = await this.#runner.run(
        'patch',
        sid,
        this.#layout.patch(change, ttlMs, this.#maxSessionBytes, index),
      );
      const status = Number((reply as unknown[])[0]);
      if (status === -1) {
        // A field the principal was computed from changed since it was read: read it again.
        if (attempt < FILE_ATTEMPTS) continue;
        throw new StoreOperationError(
          `the session was changed by ${FILE_ATTEMPTS} other writes while its principal was read`,
        );
      }
      await this.#near?.fence();
      if (status !== 1) return;
      this.#refill(sid);
      await this.#index.refile(sid, reply, plan.mode === 'keep' ? undefined : plan.principal, ttlMs);
      if (Number((reply as unknown[])[2]) === 0)
        this.#store.lifecycle('created', sid, (plan.mode === 'keep' ? '' : plan.principal) || undefined);
      return;
    }
  }

  async extend(sid: string, ttlMs: number): Promise<void> {
    const key = this.#keys.session(sid);
    if (this.#format === 'hash') {
      // The script extends the principal's set too, so the set never expires before a member.
      const reply = await this.#runner.run('touch', sid, {
        script: 'sessionkitHashTouch',
        argv: [Math.ceil(ttlMs), sid, this.#index.setPrefix],
      });
      await this.#index.refile(sid, reply, undefined, ttlMs);
      await this.#near?.fence();
      return;
    }
    this.#near?.drop(key);
    const driver = await this.#link.ready();
    try {
      // PEXPIRE does nothing for a missing key, so a touch never creates or resurrects a session.
      await driver.pexpire(key, Math.ceil(ttlMs));
    } catch (err) {
      throw redactError(err);
    } finally {
      this.#near?.drop(key);
    }
    await this.#near?.fence();
  }

  async remove(sid: string): Promise<void> {
    if (this.#format !== 'hash') {
      const [ended, text] = (await this.#runner.run('destroy', sid, {
        script: 'sessionkitDestroy',
        argv: [Math.ceil(this.#tombstoneTtlMs)],
      })) as [number, string];
      await this.#near?.fence();
      if (Number(ended) === 1 && this.#store.listenerCount('destroyed') > 0)
        this.#store.lifecycle('destroyed', sid, this.#principalOfText(String(text)));
      return;
    }
    const reply = (await this.#runner.run('destroy', sid, {
      script: 'sessionkitHashDestroy',
      argv: [Math.ceil(this.#tombstoneTtlMs), sid, this.#index.setPrefix, ''],
    })) as unknown[];
    await this.#index.refile(sid, reply, '', 0);
    await this.#near?.fence();
    if (Number(reply[0]) === 1) this.#store.lifecycle('destroyed', sid, String(reply[1] ?? '') || undefined);
  }

  /**
   * After a set or patch through this store, and its fence: reads the session back in the
   * background, which fills the near cache (the write dropped the entry), so the next request on
   * this instance costs no round trip. The fence has made Redis deliver this write's own
   * invalidation before the read is sent, so the fill is refused only by a later write of another
   * client, as any fill is.
   */
  #refill(sid: string): void {
    if (!this.#near) return;
    this.read(sid).catch(() => {
      // a failed read-back only leaves the entry out: the next read goes to Redis
    });
  }

  /** The principal of a stored JSON session, `undefined` when anonymous or undecodable. */
  #principalOfText(text: string): string | undefined {
    try {
      const data: unknown = JSON.parse(text);
      return typeof data === 'object' && data !== null && !Array.isArray(data)
        ? this.#store.principalOf(data as SessionData)
        : undefined;
    } catch {
      return undefined;
    }
  }
}
