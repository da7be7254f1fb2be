/**
 * The contract between the near cache and a Redis client library: what a client needs to provide
 * so that {@link NearCache} can serve reads from memory. One implementation per client library
 * (ioredis: `IoredisTrackingLink`, node-redis: `NodeRedisTrackingLink`, chosen in
 * `near-cache-open.ts`); adding another client means implementing this interface only.
 *
 * An implementation owns whatever extra connection it needs (an invalidation connection for the
 * `REDIRECT` mode, or none for a RESP3 client that receives invalidations on the data connection
 * itself), and must uphold these rules, which the cache's correctness rests on:
 *
 * 1. Call {@link InvalidationListener.tracking} only when every read the store sends on its data
 *    connection from that moment on is tracked by Redis (`CLIENT TRACKING on` acknowledged on that
 *    connection) and its invalidations reach {@link InvalidationListener.invalidate}.
 * 2. Call {@link InvalidationListener.lost} synchronously as soon as either condition may no longer
 *    hold: the data connection closed or is reconnecting (a new connection is not tracked until
 *    tracking is enabled on it again), or the invalidation connection closed. Then re-establish
 *    tracking by itself after every reconnect, and call `tracking()` again.
 * 3. Pass every invalidation message's keys to {@link InvalidationListener.invalidate} (`null`
 *    for a message without keys: Redis flushed a database), in the order they arrive.
 * 4. {@link InvalidationLink.fence} must resolve only after Redis processed a command sent after
 *    the call (a PING on either connection).
 * 5. Call {@link InvalidationListener.refused} once when Redis refuses client-side caching for
 *    good (the CLIENT command disabled or not allowed to this user, tracking or REDIRECT refused),
 *    and then stop trying.
 */
export interface InvalidationLink {
  /** Begins: sets up the invalidation path and enables tracking, reporting to `listener`. */
  start(listener: InvalidationListener): void;
  /**
   * A fence for writes: resolves once Redis has sent the invalidations of every write answered
   * before the call to their targets. A command that Redis receives after a write's reply was
   * read is processed in a later event loop iteration than the write, and Redis flushes every
   * client's pending output (the invalidation messages included) at the end of each iteration;
   * so the reply to a PING sent now is that fence. On the receiving instance those messages then
   * reach the socket before any request caused by the write's response does, and are processed
   * first. Resolves (never rejects) within a bounded time, also when no connection is up.
   */
  fence(): Promise<void>;
  /**
   * Stops: closes the connections the link opened and turns tracking off on the data connection
   * when it is still open (best effort). Resolves within a bounded time.
   */
  close(): Promise<void>;
}

/** What a link reports to; {@link NearCache} implements it. */
export interface InvalidationListener {
  /** Tracking is established: reads sent from now on are tracked and their invalidations delivered. */
  tracking(): void;
  /** Tracking may be broken: flush everything and stop caching until `tracking()` comes again. */
  lost(): void;
  /** These keys changed on the server; `null`: all keys (a FLUSHALL / FLUSHDB). */
  invalidate(keys: readonly string[] | null): void;
  /** Redis refuses client-side caching for good: `reason` says what it answered. */
  refused(reason: string): void;
}

/** The channel Redis publishes invalidations on for a `REDIRECT` target in RESP2. */
export const INVALIDATION_CHANNEL = '__redis__:invalidate';

/** One connection's invalidation path, shared by every near cache on that client. */
export interface SharedTrackingLink {
  /** Closed for a reason other than a refused REDIRECT: the next store on the client gets a new link. */
  readonly replaceable: boolean;
  join(listener: InvalidationListener): void;
  leave(listener: InvalidationListener): Promise<void>;
  fence(): Promise<void>;
}

/**
 * The link of `client` for one more near cache. Tracking is a property of the data connection,
 * which has one REDIRECT target, so all stores on one client share one link (created by `create`
 * and kept in `links`); it reports to each of them and closes when the last one leaves. A refused
 * link stays: the server's answer will not change.
 */
export function attachShared<C extends object>(
  links: WeakMap<C, SharedTrackingLink>,
  client: C,
  create: (client: C) => SharedTrackingLink,
): InvalidationLink {
  let link = links.get(client);
  if (!link || link.replaceable) {
    link = create(client);
    links.set(client, link);
  }
  const shared = link;
  let listener: InvalidationListener | undefined;
  return {
    start(l) {
      listener = l;
      shared.join(l);
    },
    fence: () => shared.fence(),
    async close() {
      if (listener) await shared.leave(listener);
      listener = undefined;
    },
  };
}
