import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // createRequire(import.meta.url) loads the optional drivers; the CJS build needs import.meta.url shimmed.
  shims: true,
});
