// The Koa example (examples/koa) is tested here: a test/ folder there would make a second vitest
// project named "koa", next to packages/koa.
import { describeExample } from './support/example-scenario.js';

describeExample({ name: 'koa', instance: 'koa-1', secret: 'koa-example-test-secret' });
