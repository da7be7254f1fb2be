/**
 * Every item of a keyset-paged listing, fetched as it is iterated: `fetch(after)` gives up to
 * `size` items whose key is greater than `after` (`''` first), in key order; a shorter page is the last.
 */
export async function* keysetPages<T>(
  fetch: (after: string) => Promise<T[]>,
  size: number,
  keyOf: (item: T) => string,
): AsyncIterable<T> {
  let after = '';
  for (;;) {
    const page = await fetch(after);
    yield* page;
    if (page.length < size) return;
    after = keyOf(page[page.length - 1] as T);
  }
}
