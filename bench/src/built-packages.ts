// The bench measures sessionkit as users install it: the packages' built `dist`, not their
// TypeScript source (tsx's transform adds a `__name(...)` call to every closure made at run time,
// which the tsup build has not). Bench children resolve `@sessionkit/*` through the
// `sessionkit-dist` export condition of each package.json; this makes sure `dist` is current.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The Node option that makes a child load `@sessionkit/*` from `dist`. */
export const DIST_CONDITION = '--conditions=sessionkit-dist';

const PACKAGES_DIR = join(import.meta.dirname, '..', '..', 'packages');

/** Newest modification time under `dir`, ms (0 when it does not exist). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** Built packages (those with a build script) whose `src` changed after their `dist` was built, or that have no `dist`. */
export function stalePackages(): string[] {
  return readdirSync(PACKAGES_DIR).filter((name) => {
    const manifest = join(PACKAGES_DIR, name, 'package.json');
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.build) return false;
    const src = newest(join(PACKAGES_DIR, name, 'src'));
    return src > 0 && newest(join(PACKAGES_DIR, name, 'dist')) < src;
  });
}

/**
 * Builds the packages (`pnpm build`) when any `dist` is older than its source.
 * @throws Error when the build fails, or when the bench was not started by pnpm and a build is needed.
 */
export function ensureBuilt(log: (line: string) => void): void {
  const stale = stalePackages();
  if (stale.length === 0) return;
  const pnpm = process.env.npm_execpath;
  if (!pnpm?.includes('pnpm')) throw new Error(`packages/{${stale.join(',')}}: dist is older than src; run pnpm build`);
  log(`building the packages (dist older than src: ${stale.join(', ')})`);
  const built = spawnSync(process.execPath, [pnpm, 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0)
    throw new Error(`pnpm build failed (exit ${built.status}); the bench measures the built packages`);
}
