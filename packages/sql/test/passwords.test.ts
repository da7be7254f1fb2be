import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createStore } from '@sessionkit/core';
import { sparePort } from '@sessionkit/test-suite';
import { describe, it } from 'vitest';
import '../src/index.js';

const PASSWORD = 'S3cr3tPW';

/** Everything a store URL with a password can make the store say: thrown errors (message, stack, cause) and every event. */
async function everythingSaid(url: string): Promise<string> {
  const said: string[] = [];
  try {
    const store = createStore(url, { operationTimeoutMs: 1000 });
    for (const event of ['error', 'disconnect', 'connect'] as const)
      store.on(event, (...args: unknown[]) => said.push(`${event} ${inspect(args, { depth: 6 })}`));
    for (const call of [
      () => store.get('password-sid'),
      () => store.set('password-sid', { a: 1 }, { ttlMs: 1000 }),
      () => store.length(),
    ]) {
      await call().then(
        () => said.push('ok'),
        (err: unknown) => said.push(inspect(err, { depth: 6 }), String((err as Error).stack)),
      );
    }
    await store.close().catch((err: unknown) => said.push(inspect(err, { depth: 6 })));
  } catch (err) {
    said.push(inspect(err, { depth: 6 }), String((err as Error).stack));
  }
  return said.join('\n');
}

describe('no message or event of the SQL store quotes a URL password', () => {
  it('unreachable servers, unknown hosts and databases, refused logins, settings the driver refuses', async () => {
    const closed = await sparePort();
    const urls = [
      `postgres://app:${PASSWORD}@127.0.0.1:${closed}/test`,
      `postgres://app:${PASSWORD}@sessionkit-no-such-host.invalid/test`,
      `postgres://postgres:${PASSWORD}@127.0.0.1:5432/sessionkit_no_such_database`,
      `postgres://app:p%ZZ${PASSWORD}@127.0.0.1:5432/test`,
      `mysql://app:${PASSWORD}@127.0.0.1:${closed}/test`,
      `mysql://root:${PASSWORD}@127.0.0.1:3306/test`,
      `mariadb://root:${PASSWORD}@sessionkit-no-such-host.invalid:3306/test`,
      `mysql://root:${PASSWORD}@127.0.0.1:3306/test?charset=NO_SUCH_CHARSET`,
      `mysql://app:p%ZZ${PASSWORD}@127.0.0.1:3306/test`,
    ];
    for (const url of urls) {
      const said = await everythingSaid(url);
      assert.ok(said.length > 0);
      assert.ok(
        !said.includes(PASSWORD),
        `${url.replace(PASSWORD, '***')} said:\n${said
          .split('\n')
          .filter((line) => line.includes(PASSWORD))
          .join('\n')}`,
      );
    }
  }, 60_000);
});
