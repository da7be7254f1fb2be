/**
 * Decides whether tests that need a real engine (PostgreSQL, MariaDB, Redis, a binary) run.
 * When `check` fails: with `CI=true` it throws, so a missing engine fails the run; elsewhere it
 * prints one line naming the engine and how to start it, and returns false so the suite is skipped.
 */
export async function engineAvailable(
  engine: string,
  check: () => Promise<unknown>,
  howToStart: string,
): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const line = `${engine} is not available (${reason}); ${howToStart}`;
    if (process.env['CI'] === 'true') throw new Error(`CI=true requires ${line}`);
    console.warn(`[sessionkit] skipping: ${line}`);
    return false;
  }
}
