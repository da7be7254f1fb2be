/**
 * An in-process principal index: principal id → the sids of that user's sessions, and the reverse.
 * Stores that hold sessions in the process (memory, cluster) keep one in step with every way a
 * session comes and goes; Redis and SQL keep theirs in the backend. Not thread-safe across
 * processes, and it holds no data: callers decide which sids are live.
 *
 * Cost: one `Map` entry per logged-in session plus one `Set` per user; anonymous sessions cost nothing.
 *
 * @example
 * const index = new PrincipalIndex();
 * index.assign('sid-1', 'alice');
 * index.sids('alice'); // ['sid-1']
 * index.assign('sid-1', undefined); // logged out
 */
export class PrincipalIndex {
  readonly #byPrincipal = new Map<string, Set<string>>();
  readonly #bySid = new Map<string, string>();

  /** Number of sessions that have a principal. */
  get size(): number {
    return this.#bySid.size;
  }

  /** Records that `sid` now belongs to `principal` (`undefined`: anonymous), moving it from any other user. */
  assign(sid: string, principal: string | undefined): void {
    const previous = this.#bySid.get(sid);
    if (previous === principal) return;
    if (previous !== undefined) this.#unlink(sid, previous);
    if (principal === undefined) return;
    this.#bySid.set(sid, principal);
    let sids = this.#byPrincipal.get(principal);
    if (!sids) this.#byPrincipal.set(principal, (sids = new Set()));
    sids.add(sid);
  }

  /** Forgets `sid`; returns the principal it had, if any. */
  remove(sid: string): string | undefined {
    const previous = this.#bySid.get(sid);
    if (previous !== undefined) this.#unlink(sid, previous);
    return previous;
  }

  /** The principal `sid` is filed under, or `undefined`. */
  principalOf(sid: string): string | undefined {
    return this.#bySid.get(sid);
  }

  /** A copy of the sids filed under `principal` (empty when none), so callers may change the index while walking it. */
  sids(principal: string): string[] {
    const sids = this.#byPrincipal.get(principal);
    return sids ? [...sids] : [];
  }

  /** Number of sessions filed under `principal`. */
  count(principal: string): number {
    return this.#byPrincipal.get(principal)?.size ?? 0;
  }

  /** Every principal with its session count. */
  *principals(): Generator<[principal: string, sessions: number]> {
    for (const [principal, sids] of this.#byPrincipal) yield [principal, sids.size];
  }

  clear(): void {
    this.#byPrincipal.clear();
    this.#bySid.clear();
  }

  #unlink(sid: string, principal: string): void {
    this.#bySid.delete(sid);
    const sids = this.#byPrincipal.get(principal);
    if (!sids) return;
    sids.delete(sid);
    if (sids.size === 0) this.#byPrincipal.delete(principal);
  }
}
