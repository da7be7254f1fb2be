import { byteLength, principalOf } from '@sessionkit/core';
import { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { expiryOf } from '../expiry.js';
import { bytes, duration, printJson } from '../format.js';
import { withStore } from '../open-store.js';
import { redactSession } from '../redact.js';
import { readEntries } from '../store-entries.js';
import { withCommonOptions, type CommonOptions } from '../options.js';

export function showCommand(): Command {
  return withCommonOptions(
    new Command('show')
      .description(
        'print one session: its user, expiry and size, and its keys with values redacted (--reveal prints them)',
      )
      .argument('<url>', 'store URL')
      .argument('<sid>', 'session id (the cookie value without its s: prefix and signature)')
      .option('--reveal', 'print the stored values as they are'),
  ).action(async (url: string, sid: string, options: CommonOptions & { reveal?: boolean }) => {
    await withStore(url, { use: 'read', timeoutMs: options.timeout }, async (store) => {
      const { entries, undecodable } = readEntries(store, [sid]);
      let found;
      for await (const entry of entries) found = entry;
      if (undecodable.length) throw new CliError(`session ${sid} is stored but does not decode`, EXIT.failed);
      if (!found) throw new CliError(`no live session ${JSON.stringify(sid)} in ${store.name}`, EXIT.notFound);
      const { expiresAt, source } = expiryOf(found);
      const size = byteLength(JSON.stringify(found.data));
      let principal: string | null;
      try {
        principal = principalOf(found.data) ?? null;
      } catch {
        principal = null;
      }
      const data = options.reveal ? found.data : redactSession(found.data);
      if (options.json) {
        printJson({
          sid,
          store: store.name,
          principal,
          expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
          expirySource: source,
          bytes: size,
          redacted: !options.reveal,
          data,
        });
        return;
      }
      const left =
        expiresAt === null
          ? 'unknown'
          : `${new Date(expiresAt).toISOString()} (in ${duration(expiresAt - Date.now())}${source === 'cookie' ? ', from cookie.expires' : ''})`;
      process.stdout.write(
        [
          `sid        ${sid}`,
          `principal  ${principal ?? '(anonymous)'}`,
          `expires    ${left}`,
          `size       ${bytes(size)}`,
          `data${options.reveal ? '' : '       (values redacted; --reveal prints them)'}`,
          JSON.stringify(data, null, 2),
          '',
        ].join('\n'),
      );
    });
  });
}
