import { randomBytes } from 'node:crypto';
import type { BaseStoreOptions, SessionStore } from '@sessionkit/core';
import { badInputGroup } from './groups/bad-input.js';
import { basicGroup } from './groups/basic.js';
import { concurrencyGroup } from './groups/concurrency.js';
import { destroyGroup } from './groups/destroy.js';
import { eventsGroup } from './groups/events.js';
import { expiryGroup } from './groups/expiry.js';
import { idsGroup } from './groups/ids.js';
import { outageGroup } from './groups/outage.js';
import { patchGroup } from './groups/patch.js';
import { principalGroup } from './groups/principal.js';
import { touchGroup } from './groups/touch.js';
import { valuesGroup } from './groups/values.js';
import type { ConformanceOptions, GroupContext, GroupName } from './types.js';

const GROUPS: [GroupName, (t: GroupContext) => void][] = [
  ['basic', basicGroup],
  ['expiry', expiryGroup],
  ['touch', touchGroup],
  ['patch', patchGroup],
  ['concurrency', concurrencyGroup],
  ['destroy', destroyGroup],
  ['ids', idsGroup],
  ['bad-input', badInputGroup],
  ['values', valuesGroup],
  ['principal', principalGroup],
  ['events', eventsGroup],
  ['outage', outageGroup],
];

const GENEROUS_TIMEOUT_MS = 15_000;

/**
 * Registers the conformance tests with vitest's `it`. Every store package runs this against its
 * real backend. Tests are named `<group> › <behaviour>`; groups listed in `skip` and checks that need
 * a probe or backend control which was not given are registered as skipped, never as passing.
 *
 * @example
 * // test/conformance.test.ts of a store package
 * import { it } from 'vitest';
 * runConformanceSuite({
 *   it,
 *   createStore: (options) => new MemorySessionStore(options),
 *   events: { created: true, destroyed: true, expired: true },
 * });
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  for (const [group, register] of GROUPS) {
    const reason = options.skip?.[group];
    if (reason !== undefined) {
      options.it.skip(`${group} › (whole group skipped: ${reason})`);
      continue;
    }
    register({
      ...options,
      sid: () => `conf-${run}-${(counter++).toString(36).padStart(4, '0')}-${randomBytes(6).toString('base64url')}`,
      async withStore(fn: (store: SessionStore) => Promise<void>, storeOptions: BaseStoreOptions = {}) {
        // A generous default: the suite checks what is stored, and on a busy machine a 2 s
        // operationTimeoutMs would turn a slow answer into StoreUnavailableError. Groups that test
        // timeouts pass their own.
        const store = await options.createStore({ operationTimeoutMs: GENEROUS_TIMEOUT_MS, ...storeOptions });
        try {
          await fn(store);
        } finally {
          await store.close();
        }
      },
      test: (name, fn, timeoutMs = 60_000) => options.it(`${group} › ${name}`, fn, timeoutMs),
      skipTest: (name, why) => options.it.skip(`${group} › ${name} (skipped: ${why})`),
    });
  }
}
