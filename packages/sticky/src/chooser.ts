import type { IncomingMessage } from 'node:http';
import type { BackendState } from './backend.js';
import { rendezvousPick } from './hashing.js';
import { validateStrategy, type StickyCookieOptions, type Strategy } from './options.js';
import { createPicker, type Picker } from './strategies.js';
import { removeCookie, StickyCookie, type CookieCheck, type StickyPin } from './sticky-cookie.js';

const MAX_TRACKED_CLIENTS = 100_000;

/** What choosing a backend needs to know about one client request; fixed across its retries except `tried`. */
export interface ClientContext {
  address: string;
  cookie: CookieCheck;
  /** Sticky client id (from the cookie, or new), fixed across retries. */
  clientId?: string;
  /** Key of the client in the activity table: its sticky client id, or its address. */
  clientKey: string;
  /** Backends this request already failed on. */
  tried: Set<string>;
}

export interface Choice {
  backend: BackendState;
  /** Set-Cookie value to send with the response, when the pin is new or refreshed. */
  setCookie?: string;
}

export interface ChooserOptions {
  strategy: Strategy;
  sticky?: StickyCookieOptions;
  clientIdleMs: number;
}

/**
 * Chooses a backend for each request and keeps clients pinned: a valid sticky cookie wins (also on
 * a draining backend while its client is active), ip-hash keeps an active client on its draining
 * backend, everyone else is balanced by the strategy over healthy, non-draining backends. Tracks
 * which clients are active where, for `clients` counts and draining.
 */
export class BackendChooser {
  readonly #pool: ReadonlyMap<string, BackendState>;
  readonly #sticky?: StickyCookie;
  readonly #clientIdleMs: number;
  /** Client key -> backend and last request time, oldest first (re-inserted on every request). */
  readonly #activeClients = new Map<string, { backendId: string; lastSeen: number }>();
  #strategy: Strategy;
  #picker: Picker;

  constructor(pool: ReadonlyMap<string, BackendState>, options: ChooserOptions) {
    this.#pool = pool;
    this.#strategy = options.strategy;
    this.#picker = createPicker(options.strategy);
    if (options.sticky) this.#sticky = new StickyCookie(options.sticky);
    this.#clientIdleMs = options.clientIdleMs;
  }

  get strategy(): Strategy {
    return this.#strategy;
  }
  set strategy(strategy: Strategy) {
    this.#strategy = validateStrategy(strategy);
    this.#picker = createPicker(this.#strategy);
  }

  /**
   * Reads the client's sticky cookie and removes it from the request: the routing cookie is the
   * balancer's business (HAProxy `indirect`), the app never sees it.
   */
  readPin(req: IncomingMessage, now: number): { cookie: CookieCheck; clientId?: string } {
    const sticky = this.#sticky;
    if (!sticky) return { cookie: { state: 'absent' } };
    const cookie = sticky.check(req.headers.cookie, now);
    const rest = removeCookie(req.headers.cookie, sticky.name);
    if (rest === undefined) delete req.headers.cookie;
    else req.headers.cookie = rest;
    const clientId =
      cookie.state === 'valid' || cookie.state === 'expired' ? cookie.pin.clientId : sticky.newClientId();
    return { cookie, clientId };
  }

  /** The backend for this request, or undefined when none can serve it. */
  choose(ctx: ClientContext, now: number): Choice | undefined {
    const usable = (b: BackendState | undefined): b is BackendState => b?.healthy === true && !ctx.tried.has(b.id);
    const { cookie, clientKey } = ctx;

    // 1. A valid pin wins, also on a draining backend while the client is active there.
    if (cookie.state === 'valid') {
      const pinned = this.#pool.get(cookie.pin.backendId);
      if (usable(pinned) && (!pinned.draining || this.#isActive(clientKey, pinned.id, now))) {
        return this.#chosen(pinned, clientKey, now, cookie.pin);
      }
    }
    // 2. ip-hash is an affinity too: keep an active client on its draining backend.
    if (this.#strategy === 'ip-hash' && cookie.state !== 'valid') {
      const hashed = rendezvousPick(ctx.address, [...this.#pool.values()].filter(usable));
      if (hashed?.draining && this.#isActive(clientKey, hashed.id, now)) return this.#chosen(hashed, clientKey, now);
    }
    // 3. Otherwise balance over healthy, non-draining backends. A forged cookie is never honoured:
    //    its request goes elsewhere than the backend it names whenever another one can serve.
    let candidates = [...this.#pool.values()].filter((b) => usable(b) && !b.draining);
    if (cookie.state === 'invalid' && candidates.length > 1)
      candidates = candidates.filter((b) => b.id !== cookie.claimed);
    if (candidates.length === 0) return undefined;
    const picked = this.#picker(candidates, ctx.address);
    return this.#chosen(picked, clientKey, now, undefined, ctx.clientId);
  }

  /** Distinct active clients per backend id; forgets clients idle longer than `clientIdleMs`. */
  countClients(now: number): Map<string, number> {
    // Entries are ordered by last request, so the idle ones are at the front.
    for (const [key, seen] of this.#activeClients) {
      if (now - seen.lastSeen <= this.#clientIdleMs) break;
      this.#activeClients.delete(key);
    }
    const counts = new Map<string, number>();
    for (const seen of this.#activeClients.values()) counts.set(seen.backendId, (counts.get(seen.backendId) ?? 0) + 1);
    return counts;
  }

  #chosen(backend: BackendState, clientKey: string, now: number, pin?: StickyPin, newClientId?: string): Choice {
    this.#activeClients.delete(clientKey);
    this.#activeClients.set(clientKey, { backendId: backend.id, lastSeen: now });
    if (this.#activeClients.size > MAX_TRACKED_CLIENTS) {
      this.#activeClients.delete(this.#activeClients.keys().next().value as string);
    }
    const sticky = this.#sticky;
    if (!sticky) return { backend };
    if (pin) {
      // Still pinned: re-send the cookie only to refresh its last-seen time for maxIdleMs.
      if (!sticky.needsRefresh(pin, now)) return { backend };
      return { backend, setCookie: sticky.serialize({ ...pin, lastSeenAt: now }) };
    }
    const fresh: StickyPin = {
      backendId: backend.id,
      clientId: newClientId ?? sticky.newClientId(),
      issuedAt: now,
      lastSeenAt: now,
    };
    return { backend, setCookie: sticky.serialize(fresh) };
  }

  #isActive(clientKey: string, backendId: string, now: number): boolean {
    const seen = this.#activeClients.get(clientKey);
    return seen !== undefined && seen.backendId === backendId && now - seen.lastSeen <= this.#clientIdleMs;
  }
}
