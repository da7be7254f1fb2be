import { isSessionStoreError, type SessionStore } from '@sessionkit/core';
import { Command } from 'commander';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { columns, count, duration, printJson } from '../format.js';
import { checkStoreUrl, openStore } from '../open-store.js';
import { positiveInteger, withCommonOptions, type CommonOptions } from '../options.js';
import { copySessions, EXPIRY_MARGIN_MS, type CopyOutcome } from '../migrate/copy.js';
import { FOREIGN_SOURCES, openSource } from '../migrate/open-source.js';
import { progressFor } from '../migrate/progress.js';
import type { MigrationSource } from '../migrate/source.js';
import { defaultStatePath, loadState, saveState, type MigrationState } from '../migrate/state.js';

interface MigrateOptions extends CommonOptions {
  dryRun?: boolean;
  state?: string;
  restart?: boolean;
  batchSize: number;
  concurrency: number;
  maxRows?: number;
  defaultTtl: number;
  verify: boolean;
}

/** The summary `migrate --json` prints (and the text output shows). */
export interface MigrateSummary {
  from: string;
  to: string;
  outcome: CopyOutcome;
  dryRun: boolean;
  resumed: boolean;
  counts: MigrationState['counts'];
  skipped: MigrationState['skipped'];
  /** Live sessions on each side at the start of the migration and now. */
  rowCounts: {
    sourceAtStart: number;
    sourceAtEnd: number | null;
    targetAtStart: number | null;
    targetAtEnd: number | null;
  };
  /**
   * On a run that started on an empty target: the target holds at least every copied session not
   * missing and not expired since (`passed`), or not. `null` when the counts cannot be compared
   * (resumed, dry run, stopped early, or the target held sessions before).
   */
  countCheck: { expectedAtLeast: number; passed: boolean } | null;
  statePath: string | null;
  ms: number;
}

const SOURCES_HELP = `
Sources: any sessionkit store URL, or
${FOREIGN_SOURCES.map((s) => `  ${s.example}`).join('\n')}
A redis://…?format=json URL is read like connect-redis (its layout), with each key's own TTL.

Each session keeps its remaining lifetime (less ${EXPIRY_MARGIN_MS / 1000} s). The place in the source is saved after every
batch in the state file, so the same command resumes a run stopped by Ctrl-C, --max-rows or an outage.
Run it while the app still serves from the source, then switch the app to the target.

Exit codes: 0 copied everything, 1 a store failed (resumable), 2 usage, 4 some rows skipped (see the
summary), 5 stopped at --max-rows (resumable), 130 interrupted (resumable).`;

export function migrateCommand(): Command {
  return withCommonOptions(
    new Command('migrate')
      .description(
        'copy every session with its remaining TTL from connect-redis, connect-pg-simple, express-mysql-session or any sessionkit store into a sessionkit store',
      )
      .argument('<from>', 'source URL (see below)')
      .argument('<to>', 'target sessionkit store URL, e.g. postgres://app@db/app?table=sessions')
      .option('--dry-run', 'read and count what would be copied; write nothing')
      .option('--state <file>', 'where the place in the source is saved (default: sessionkit-migrate-<hash>.json here)')
      .option('--restart', 'ignore a saved state and copy from the start')
      .option('--batch-size <n>', 'sessions read per batch', positiveInteger, 500)
      .option('--concurrency <n>', 'writes in flight at once', positiveInteger, 16)
      .option('--max-rows <n>', 'stop after reading this many rows (run again to continue)', positiveInteger)
      .option(
        '--default-ttl <ms>',
        'TTL for sessions whose expiry neither the source nor cookie.expires tells',
        positiveInteger,
        86_400_000,
      )
      .option('--no-verify', 'do not read each copied session back from the target')
      .addHelpText('after', SOURCES_HELP),
  ).action(async (from: string, to: string, options: MigrateOptions) => {
    const code = await migrate(from, to, options);
    process.exitCode = code;
  });
}

async function migrate(from: string, to: string, options: MigrateOptions): Promise<ExitCode> {
  const started = Date.now();
  const dryRun = options.dryRun === true;
  const statePath = dryRun ? null : (options.state ?? defaultStatePath(from, to));
  const source = openSource(from, options.timeout);
  let target: SessionStore | undefined;
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write('\nstopping after the batch in progress (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    // A dry run only checks that the target URL names a store; it opens nothing there.
    if (dryRun) checkStoreUrl(to);
    else target = openStore(to, { use: 'write', timeoutMs: options.timeout });
    const { state, resumed } = statePath
      ? loadState(statePath, from, to, options.restart === true)
      : loadState('', from, to, true);
    const [sourceAtStart, targetNow] = await Promise.all([source.count(), target?.length() ?? 0]);
    if (!resumed) state.targetAtStart = targetNow;
    const progress = progressFor(sourceAtStart + state.counts.read, !options.json);
    const copiedExpiries: number[] = [];
    let outcome: CopyOutcome;
    try {
      outcome = await copySessions(
        source,
        target,
        state,
        {
          batchSize: options.batchSize,
          concurrency: options.concurrency,
          dryRun,
          verify: options.verify,
          defaultTtlMs: options.defaultTtl,
          maxRows: options.maxRows,
          statePath: statePath ?? undefined,
          interrupted: () => interrupted,
          progress,
        },
        copiedExpiries,
      );
    } finally {
      progress.stop();
    }
    let sourceAtEnd: number | null = null;
    let targetAtEnd: number | null = null;
    let countCheck: MigrateSummary['countCheck'] = null;
    if (outcome === 'done') {
      [sourceAtEnd, targetAtEnd] = await Promise.all([source.count(), target?.length() ?? null]);
      if (targetAtEnd !== null && !resumed && state.targetAtStart === 0) {
        const now = Date.now();
        const expiredSince = copiedExpiries.filter((at) => at <= now).length;
        const expectedAtLeast = state.counts.copied - state.counts.missing - expiredSince;
        countCheck = { expectedAtLeast, passed: targetAtEnd >= expectedAtLeast };
      }
      if (statePath) {
        state.done = true;
        saveState(statePath, state);
      }
    }
    const summary: MigrateSummary = {
      from: state.from,
      to: state.to,
      outcome,
      dryRun,
      resumed,
      counts: state.counts,
      skipped: state.skipped,
      rowCounts: { sourceAtStart, sourceAtEnd, targetAtStart: dryRun ? null : state.targetAtStart, targetAtEnd },
      countCheck,
      statePath,
      ms: Date.now() - started,
    };
    if (options.json) printJson(summary);
    else process.stdout.write(`${render(summary, source)}\n`);
    if (outcome === 'interrupted') return EXIT.interrupted;
    if (outcome === 'paused') return EXIT.paused;
    const { undecodable, refused, missing } = state.counts;
    return undecodable + refused + missing > 0 || countCheck?.passed === false ? EXIT.rowsSkipped : EXIT.ok;
  } catch (err) {
    if (err instanceof CliError) throw err;
    const place = statePath ? ` The place reached is saved in ${statePath}; run the same command again to resume.` : '';
    const message = isSessionStoreError(err) || err instanceof Error ? err.message : String(err);
    throw new CliError(`migrate stopped: ${message}.${place}`, EXIT.failed);
  } finally {
    process.off('SIGINT', onSigint);
    await Promise.all([source.close().catch(() => {}), target?.close().catch(() => {})]);
  }
}

function render(summary: MigrateSummary, source: MigrationSource): string {
  const { counts, rowCounts } = summary;
  const verb = summary.dryRun ? 'would copy' : 'copied';
  const lines = [
    `${summary.dryRun ? 'dry run: ' : ''}${source.description} → ${summary.to}${summary.resumed ? ' (resumed)' : ''}`,
    columns(
      [
        ['read', counts.read],
        [verb, counts.copied],
        ['already expired', counts.expired],
        ['undecodable', counts.undecodable],
        ['refused by target', counts.refused],
        ['missing on read-back', counts.missing],
        ['TTL estimated', counts.estimatedTtl],
      ],
      '  ',
    ),
  ];
  if (summary.skipped.length) {
    lines.push('skipped (first ones):', ...summary.skipped.map((s) => `  ${JSON.stringify(s.sid)}: ${s.reason}`));
  }
  const end = (n: number | null) => (n === null ? '' : `, ${count(n)} now`);
  const targetCounts =
    rowCounts.targetAtStart === null
      ? ''
      : `; target ${count(rowCounts.targetAtStart)} at start${end(rowCounts.targetAtEnd)}`;
  lines.push(
    `row counts: source ${count(rowCounts.sourceAtStart)} at start${end(rowCounts.sourceAtEnd)}${targetCounts}`,
  );
  if (summary.countCheck) {
    lines.push(
      summary.countCheck.passed
        ? `count check passed: the target holds at least the ${count(summary.countCheck.expectedAtLeast)} sessions copied and still live`
        : `count check FAILED: the target holds fewer than the ${count(summary.countCheck.expectedAtLeast)} sessions copied and still live`,
    );
  }
  const rate = summary.ms > 0 ? Math.round((counts.read * 1000) / summary.ms) : counts.read;
  lines.push(`took ${duration(summary.ms)} (${count(rate)} rows/s)`);
  if (summary.outcome === 'paused')
    lines.push(`stopped at --max-rows; run the same command again to continue (state in ${summary.statePath})`);
  if (summary.outcome === 'interrupted')
    lines.push(`interrupted; run the same command again to continue (state in ${summary.statePath})`);
  if (summary.outcome === 'done' && counts.undecodable + counts.refused + counts.missing > 0) {
    const notCopied = counts.undecodable + counts.refused + counts.missing;
    lines.push(`${count(notCopied)} ${notCopied === 1 ? 'row was' : 'rows were'} not copied (exit code 4)`);
  }
  return lines.join('\n');
}
