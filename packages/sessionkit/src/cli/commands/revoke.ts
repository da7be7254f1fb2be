import { isSessionStoreError } from '@sessionkit/core';
import { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { count, printJson } from '../format.js';
import { withStore } from '../open-store.js';
import { withCommonOptions, type CommonOptions } from '../options.js';

export function revokeCommand(): Command {
  return withCommonOptions(
    new Command('revoke')
      .description(
        'log out: destroy every session of one user (--principal), or one session (--sid); prints how many were destroyed',
      )
      .argument('<url>', 'store URL')
      .option(
        '--principal <id>',
        'the user whose sessions to destroy (the id principal(data) gives, by default passport.user ?? userId)',
      )
      .option('--sid <sid>', 'one session to destroy'),
  ).action(async (url: string, options: CommonOptions & { principal?: string; sid?: string }) => {
    if ((options.principal === undefined) === (options.sid === undefined)) {
      throw new CliError('revoke needs exactly one of --principal <id> or --sid <sid>', EXIT.usage);
    }
    await withStore(url, { use: 'read', timeoutMs: options.timeout }, async (store) => {
      let revoked: number;
      if (options.principal !== undefined) revoked = await store.destroyByPrincipal(options.principal);
      else {
        const sid = options.sid as string;
        // A session that does not decode is still there to destroy.
        const live =
          (await store.get(sid).catch((err: unknown) => {
            if (isSessionStoreError(err, 'ERR_SESSION_DECODE')) return {};
            throw err;
          })) !== null;
        await store.destroy(sid);
        revoked = live ? 1 : 0;
      }
      const target = options.principal !== undefined ? { principal: options.principal } : { sid: options.sid };
      if (options.json) printJson({ store: store.name, ...target, revoked });
      else
        process.stdout.write(
          `revoked ${count(revoked)} session${revoked === 1 ? '' : 's'} ${options.principal !== undefined ? `of ${options.principal}` : options.sid}\n`,
        );
    });
  });
}
