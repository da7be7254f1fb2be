import { createRequire } from 'node:module';
import { StoreConfigError } from '@sessionkit/core';

const requireFromHere = createRequire(import.meta.url);

/**
 * Loads an optional peer dependency on first use, so importing `@sessionkit/sql` does not need
 * all three drivers installed.
 * @throws StoreConfigError naming the package to install when it is missing.
 */
export function loadDriver<T>(moduleName: string, packageName: string, forScheme: string): T {
  try {
    return requireFromHere(moduleName) as T;
  } catch (err) {
    const missing =
      (err as { code?: string }).code === 'MODULE_NOT_FOUND' &&
      String((err as Error).message).includes(`'${moduleName}'`);
    if (!missing) throw err;
    throw new StoreConfigError(
      `${forScheme} session stores need the "${packageName}" package: npm install ${packageName}`,
    );
  }
}
