import { createRequire } from 'node:module';
import { CliError, EXIT } from './exit-codes.js';

const require = createRequire(import.meta.url);

/**
 * Loads a database client the CLI needs for a migration source (`ioredis`, `pg`, `mysql2/promise`),
 * from the app's own dependencies.
 * @throws CliError (exit 2) naming the package to install.
 */
export function loadDriver<T>(specifier: string, packageName: string, forWhat: string): T {
  try {
    return require(specifier) as T;
  } catch (err) {
    throw new CliError(`${forWhat} needs the ${packageName} package: npm install ${packageName} (${(err as Error).message.split('\n')[0]})`, EXIT.usage);
  }
}
