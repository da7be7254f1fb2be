/**
 * A small cache of prepared statements keyed by SQL text, so each is prepared once, on first use.
 * The dialect's texts are fixed, so it holds a handful; `max` bounds it anyway (oldest dropped).
 */
export class StatementCache<S> {
  readonly #entries = new Map<string, S>();

  constructor(
    readonly prepare: (sql: string) => S,
    readonly max = 64,
  ) {}

  get(sql: string): S {
    let statement = this.#entries.get(sql);
    if (statement === undefined) {
      statement = this.prepare(sql);
      if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(sql, statement);
    }
    return statement;
  }
}
