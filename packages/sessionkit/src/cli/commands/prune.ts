import type { SessionStore } from '@sessionkit/core';
import { Command } from 'commander';
import { count, printJson } from '../format.js';
import { withStore } from '../open-store.js';
import { withCommonOptions, type CommonOptions } from '../options.js';

/** Why a store has nothing for `prune` to do. */
function noPruneReason(store: SessionStore): string {
  if (store.name === 'redis')
    return 'Redis removes expired sessions itself (each key carries its TTL); there is nothing to prune.';
  return `the ${store.name} store removes expired sessions itself; there is nothing to prune.`;
}

export function pruneCommand(): Command {
  return withCommonOptions(
    new Command('prune')
      .description(
        'delete expired sessions and tombstones from a SQL table now, e.g. from cron with pruneIntervalMs=0 in the app',
      )
      .argument('<url>', 'store URL, e.g. postgres://app@db/app?table=sessions'),
  ).action(async (url: string, options: CommonOptions) => {
    await withStore(url, { use: 'read', timeoutMs: options.timeout }, async (store) => {
      const prune = (store as { prune?: () => Promise<number> | number }).prune;
      if (!store.name.startsWith('sql:') || typeof prune !== 'function') {
        const reason = noPruneReason(store);
        if (options.json) printJson({ store: store.name, applicable: false, pruned: 0, reason });
        else process.stdout.write(`${reason}\n`);
        return;
      }
      const started = Date.now();
      const pruned = await prune.call(store);
      if (options.json) printJson({ store: store.name, applicable: true, pruned, ms: Date.now() - started });
      else
        process.stdout.write(
          `pruned ${count(pruned)} expired rows (sessions and tombstones) from ${store.name} in ${Date.now() - started} ms\n`,
        );
    });
  });
}
