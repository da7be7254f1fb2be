import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One vitest project per package, example, and the bench, that has a test/ directory.
const projectDirs = ['packages', 'examples']
  .flatMap((parent) => readdirSync(parent).map((name) => `${parent}/${name}`))
  .concat('bench')
  .filter((dir) => existsSync(`${dir}/test`));

export default defineConfig({
  test: {
    projects: projectDirs.map((dir) => ({
      extends: true,
      test: {
        name: dir.split('/').at(-1),
        root: dir,
        include: ['test/**/*.test.ts'],
      },
    })),
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests start servers and child processes; on a 2-core machine more workers only add contention.
    maxWorkers: 2,
  },
});
