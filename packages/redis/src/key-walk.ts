import type { KeySpace } from './keys.js';
import type { Link } from './link.js';
import type { NearCache } from './near-cache.js';
import { redactError } from './redact.js';

/** The sids of every session key, by SCAN with COUNT `scanCount`; a sid may come twice while Redis rehashes. */
export async function* scanSids(link: Link, keys: KeySpace, scanCount: number): AsyncGenerator<string> {
  const driver = await link.ready();
  try {
    for await (const { keys: batch } of driver.scan(keys.pattern, scanCount)) {
      for (const key of batch) {
        const sid = keys.sidOf(key);
        if (sid !== null) yield sid;
      }
    }
  } catch (err) {
    throw redactError(err);
  }
}

/** `clear()`: UNLINKs every session and principal index set, batch by batch as SCAN finds them. */
export async function unlinkAll(
  link: Link,
  keys: KeySpace,
  scanCount: number,
  near: NearCache | undefined,
): Promise<void> {
  near?.flushAll();
  const driver = await link.ready();
  try {
    for await (const batch of driver.scan(keys.pattern, scanCount)) {
      // sessions and the principal index sets; tombstones stay, so late patches are still refused
      const found = batch.keys.filter((key) => keys.sidOf(key) !== null || key.startsWith(keys.setPrefix));
      if (found.length > 0) await driver.unlink({ node: batch.node, keys: found });
    }
  } catch (err) {
    throw redactError(err);
  } finally {
    near?.flushAll();
  }
  await near?.fence();
}
