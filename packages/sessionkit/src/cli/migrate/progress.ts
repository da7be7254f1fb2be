import { SingleBar } from 'cli-progress';
import { count } from '../format.js';
import type { MigrationCounts } from './state.js';

/** What a migration reports as it goes. */
export interface Progress {
  update(counts: MigrationCounts): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal (rows read of the source's count, copied,
 * skipped, rate, ETA); nothing otherwise, so logs and `--json` output stay clean.
 */
export function progressFor(total: number, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format:
      'migrate {bar} {percentage}% | {value}/{total} read | {copied} copied | {skipped} skipped | ETA {eta_formatted}',
    hideCursor: true,
    etaBuffer: 50,
    fps: 5,
  });
  bar.start(Math.max(total, 1), 0, { copied: '0', skipped: '0' });
  return {
    update(counts) {
      if (counts.read > bar.getTotal()) bar.setTotal(counts.read);
      bar.update(counts.read, {
        copied: count(counts.copied),
        skipped: count(counts.undecodable + counts.refused + counts.missing),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
