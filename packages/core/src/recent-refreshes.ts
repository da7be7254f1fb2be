/**
 * When this process last wrote each browser-session sid (bounded, oldest forgotten first). A
 * browser-session cookie has no `expires`, so unlike a `maxAge` cookie the stored session cannot
 * tell when its expiry was last refreshed; each process remembers it instead. Another instance, or
 * this one after a restart, refreshes such a session once more, which is harmless.
 */
export class RecentRefreshes {
  readonly #at = new Map<string, number>();
  readonly #max: number;

  /** `max`: most sids remembered. */
  constructor(max = 10_000) {
    this.#max = max;
  }

  get(sid: string): number | undefined {
    return this.#at.get(sid);
  }

  set(sid: string, at: number): void {
    this.#at.delete(sid);
    this.#at.set(sid, at);
    if (this.#at.size > this.#max) this.#at.delete(this.#at.keys().next().value!);
  }

  delete(sid: string): void {
    this.#at.delete(sid);
  }
}
