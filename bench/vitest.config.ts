import { defineConfig } from 'vitest/config';

// The bench's own tests (table building, docs rendering); run with `pnpm exec vitest run -c bench/vitest.config.ts`.
export default defineConfig({
  test: { root: import.meta.dirname, include: ['test/**/*.test.ts'] },
});
