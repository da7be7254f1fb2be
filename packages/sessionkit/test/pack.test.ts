import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Packs every package as it would be published, installs the tarballs with plain npm into a
// scratch app outside the workspace, and runs it with import and with require. Broken exports
// maps, missing files or types fail here rather than in users' apps.
const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const fixture = fileURLToPath(new URL('./fixtures/scratch-app', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'sessionkit-pack-'));
const tarballs = join(scratch, 'tarballs');
const app = join(scratch, 'app');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('packed packages installed with npm', () => {
  it('install into a scratch app; a session survives two requests with import and with require, on Express, Fastify and Hono; types resolve', async () => {
    // Private workspace packages (the shared adapter scenarios) are never published.
    const packages = readdirSync(join(root, 'packages')).filter(
      (name) =>
        !(JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { private?: boolean })
          .private,
    );
    // pnpm pack runs each package's prepack (the tsup build) and applies its publishConfig.
    for (const name of packages) {
      await run('pnpm', ['pack', '--pack-destination', tarballs], {
        cwd: join(root, 'packages', name),
        timeout: 300_000,
      });
    }
    const files = readdirSync(tarballs);
    expect(files).toHaveLength(packages.length);

    const local: Record<string, string> = {};
    for (const file of files) {
      const name =
        file.startsWith('sessionkit-') && !file.startsWith('sessionkit-0')
          ? `@sessionkit/${file.replace(/^sessionkit-(.+)-\d+\.\d+\.\d+\.tgz$/, '$1')}`
          : 'sessionkit';
      local[name] = `file:${join(tarballs, file)}`;
    }
    cpSync(fixture, app, { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'scratch-app',
        private: true,
        dependencies: {
          ...local,
          express: '^5.1.0',
          'express-session': '^1.19.0',
          'koa-session': '^7.0.2',
          fastify: '^5.0.0',
          '@fastify/cookie': '^11.0.0',
          '@fastify/session': '^11.0.0',
          hono: '^4.0.0',
          '@hono/node-server': '^2.0.0',
          // The driver version the workspace tests; left to ">=5" npm takes ioredis 6, whose
          // declarations import the untyped redis-errors and fail this app's strict type check.
          ioredis: '^5.9.0',
          '@types/express': '^5.0.3',
          '@types/express-session': '^1.18.2',
          '@types/node': '^20.19.0',
          // ioredis (@sessionkit/redis's peer) imports redis-errors, which ships no types
          '@types/redis-errors': '^1.2.3',
        },
        // every @sessionkit dependency of a tarball resolves to its tarball, never the registry
        overrides: local,
      }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, timeout: 900_000 });

    const esm = await run(process.execPath, ['app.mjs'], { cwd: app, timeout: 30_000 });
    expect(JSON.parse(esm.stdout)).toEqual({ user: 'ann', visits: 2, format: 'esm' });
    const cjs = await run(process.execPath, ['app.cjs'], { cwd: app, timeout: 30_000 });
    expect(JSON.parse(cjs.stdout)).toEqual({ user: 'ann', visits: 2, format: 'cjs' });
    // Plain Fastify (@fastify/session) and Hono (@hono/node-server) apps on the packed adapters.
    const fastify = await run(process.execPath, ['fastify-app.mjs'], { cwd: app, timeout: 30_000 });
    expect(JSON.parse(fastify.stdout)).toEqual({ user: 'ann', visits: 2, framework: 'fastify' });
    const hono = await run(process.execPath, ['hono-app.mjs'], { cwd: app, timeout: 30_000 });
    expect(JSON.parse(hono.stdout)).toEqual({ user: 'ann', visits: 2, framework: 'hono' });
    // session({ store }) on both: the same app on 'cookie://' (sealed) and 'memory://' (a store).
    const switched = await run(process.execPath, ['switch-apps.mjs'], { cwd: app, timeout: 60_000 });
    expect(JSON.parse(switched.stdout)).toEqual([
      { framework: 'fastify', strategy: 'cookie', user: 'ann', visits: 2, sealed: true },
      { framework: 'fastify', strategy: 'server', user: 'ann', visits: 2, sealed: false },
      { framework: 'hono', strategy: 'cookie', user: 'ann', visits: 2, sealed: true },
      { framework: 'hono', strategy: 'server', user: 'ann', visits: 2, sealed: false },
    ]);

    // Client-side storage through the same packed exports: session({ store: 'cookie://' }) and sessionkit/cookie.
    for (const [script, format] of [
      ['cookie.mjs', 'esm'],
      ['cookie.cjs', 'cjs'],
    ] as const) {
      const result = await run(process.execPath, [script], { cwd: app, timeout: 30_000 });
      expect(JSON.parse(result.stdout)).toEqual({ user: 'ann', visits: 2, format, strategy: 'cookie', sealed: true });
    }

    // the `sessionkit` bin installed by npm runs from the built ESM file
    const bin = await run(join(app, 'node_modules', '.bin', 'sessionkit'), ['stats', 'nosuch://x'], {
      cwd: app,
      timeout: 30_000,
    }).catch((err: { code: number; stderr: string }) => err);
    expect(bin).toMatchObject({ code: 2, stderr: expect.stringContaining('Known: memory:') });
    const help = await run(join(app, 'node_modules', '.bin', 'sessionkit'), ['migrate', '--help'], {
      cwd: app,
      timeout: 30_000,
    });
    expect(help.stdout).toContain('Usage: sessionkit migrate');

    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(
      run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, timeout: 300_000 }),
    ).resolves.toBeDefined();
    // Timeouts only catch hangs: this test took 5 min on 2 cores kept busy by stress-ng, and 9 min
    // with more work beside it.
  }, 1_500_000);
});
