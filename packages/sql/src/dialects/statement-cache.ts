/**
 * A small bounded cache of prepared statements keyed by SQL text. The JSON_SET form of `patch`
 * varies with the number of keys changed, so its texts are few but not fixed; the oldest is
 * dropped past `max`.
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
