import { loadOptionalDriver } from '@sessionkit/core';

/**
 * Loads an optional peer dependency on first use, so importing `@sessionkit/sql` does not need
 * all three drivers installed.
 * @throws StoreConfigError naming the package to install when it is missing; other load errors propagate.
 */
export function loadDriver<T>(moduleName: string, packageName: string, forScheme: string): T {
  return loadOptionalDriver<T>(moduleName, `a ${forScheme} session store`, { from: import.meta.url, packageName });
}
