import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The tsx CLI, as the root package.json scripts run it. */
export const TSX = `${ROOT}node_modules/.bin/tsx`;

/** A script started exactly as `pnpm demo` / `pnpm demo:scenarios` start it: `tsx <file> …` from the root. */
export interface Script {
  child: ChildProcess;
  /** Every line printed so far (stdout and stderr). */
  lines: string[];
  /** Resolves with the first line matching `pattern` (already printed or still to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

const started = new Set<Script>();

/**
 * For `afterEach`: kills what every script a test started left running, whole process group
 * (tsx, the script, its instances), and waits for the script to exit.
 */
export async function stopScripts(): Promise<void> {
  for (const script of started) {
    try {
      process.kill(-script.child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await script.exited;
  }
  started.clear();
}

export function runScript(file: string, args: string[], env: Record<string, string> = {}): Script {
  // Its own process group, so a failed test can take down everything it started at once.
  const child = spawn(TSX, [file, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const wake of waiters) wake();
    });
  }
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const waitFor = (pattern: RegExp, timeoutMs = 90_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        for (const line of lines) {
          const match = pattern.exec(line);
          if (match) return finish(() => resolve(match));
        }
        if (child.exitCode !== null)
          finish(() =>
            reject(new Error(`exited (${child.exitCode}) before printing ${pattern}:\n${lines.join('\n')}`)),
          );
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', check);
        settle();
      };
      waiters.add(check);
      child.on('exit', check);
      check();
    });
  const script = { child, lines, waitFor, exited };
  started.add(script);
  return script;
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
