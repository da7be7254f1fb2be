import { Command } from 'commander';
import { printJson } from '../format.js';
import { withStore } from '../open-store.js';
import { positiveInteger, withCommonOptions, type CommonOptions } from '../options.js';

export function listCommand(): Command {
  return withCommonOptions(
    new Command('list')
      .description('print session ids, one per line: all of them, or those of one user')
      .argument('<url>', 'store URL')
      .option(
        '--principal <id>',
        "only this user's sessions (the id principal(data) gives, by default passport.user ?? userId)",
      )
      .option('--limit <n>', 'stop after this many', positiveInteger),
  ).action(async (url: string, options: CommonOptions & { principal?: string; limit?: number }) => {
    await withStore(url, { use: 'read', timeoutMs: options.timeout }, async (store) => {
      const sids = options.principal === undefined ? store.ids() : store.idsByPrincipal(options.principal);
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      const found: string[] = [];
      let listed = 0;
      for await (const sid of sids) {
        if (listed >= limit) break;
        listed++;
        if (options.json) found.push(sid);
        else process.stdout.write(`${sid}\n`);
      }
      if (options.json)
        printJson({ store: store.name, principal: options.principal ?? null, count: listed, sids: found });
    });
  });
}
