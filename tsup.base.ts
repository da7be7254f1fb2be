import { defineConfig, type Options } from 'tsup';

/**
 * The build every package shares: ESM + CJS with .d.ts for each entry. `shims` gives the CJS build
 * a working `import.meta.url`, which stores use to load optional drivers with createRequire.
 */
export function packageBuild(entry: string[] = ['src/index.ts'], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    shims: true,
    ...extra,
  });
}
