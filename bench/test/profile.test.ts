import { describe, expect, it } from 'vitest';
import { frameName, originOf, profileTables, summarizeProfiles, type CpuProfile } from '../src/profile.js';

const ROOT = 'file:///work/repo';
const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });

/**
 * A small profile as the inspector writes it: express-session calls ExpressSessionStore.get, which
 * calls settleWithin, which calls Node's setTimeout; lru-cache is called from the memory store.
 */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4, 8] },
    { id: 2, callFrame: frame('(idle)', '') },
    { id: 3, callFrame: frame('(garbage collector)', '') },
    {
      id: 4,
      callFrame: frame(
        'session',
        `${ROOT}/node_modules/.pnpm/express-session@1.19.0/node_modules/express-session/index.js`,
      ),
      children: [5],
    },
    { id: 5, callFrame: frame('get', `${ROOT}/packages/express/src/express-store.ts`), children: [6, 9] },
    { id: 6, callFrame: frame('settleWithin', `${ROOT}/packages/core/src/timeout.ts`), children: [7] },
    { id: 7, callFrame: frame('setTimeout', 'node:timers') },
    { id: 8, callFrame: frame('parse', '') },
    { id: 9, callFrame: frame('read', `${ROOT}/packages/memory/src/memory-store.ts`), children: [10] },
    {
      id: 10,
      callFrame: frame('get', `${ROOT}/node_modules/.pnpm/lru-cache@11.0.0/node_modules/lru-cache/dist/esm/index.js`),
    },
  ],
  startTime: 0,
  endTime: 1000,
  // Two idle samples and eight busy ones.
  samples: [2, 2, 3, 4, 5, 6, 7, 7, 8, 10],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
};

describe('profile summary', () => {
  it('names where a frame comes from', () => {
    expect(originOf(frame('settleWithin', `${ROOT}/packages/core/src/timeout.ts`))).toBe('sessionkit/core');
    expect(
      originOf(
        frame(
          'x',
          `${ROOT}/node_modules/.pnpm/@redis+client@5.0.0/node_modules/@redis/client/dist/lib/client/index.js`,
        ),
      ),
    ).toBe('@redis/client');
    expect(originOf(frame('x', `${ROOT}/node_modules/.pnpm/ioredis@5.9.0/node_modules/ioredis/built/Redis.js`))).toBe(
      'ioredis',
    );
    expect(originOf(frame('listOnTimeout', 'node:internal/timers'))).toBe('node:timers');
    expect(originOf(frame('parse', ''))).toBe('native');
    expect(originOf(frame('(garbage collector)', ''))).toBe('(garbage collector)');
    expect(originOf(frame('handler', `${ROOT}/bench/src/server.ts`))).toBe('bench');
    expect(frameName(frame('settleWithin', `${ROOT}/packages/core/src/timeout.ts`))).toBe(
      'core/src/timeout.ts:settleWithin',
    );
    expect(
      frameName(frame('', `${ROOT}/node_modules/.pnpm/lru-cache@11.0.0/node_modules/lru-cache/dist/esm/index.js`)),
    ).toBe('lru-cache/dist/esm/index.js:(anonymous)');
  });

  it('adds up self time per request, leaves idle out, and gives each sample to its innermost sessionkit frame', () => {
    // Two windows of 8 busy samples each, over 4 requests that cost 400 µs of process CPU each.
    const summary = summarizeProfiles([PROFILE, PROFILE], 4, 400);
    expect(summary.busySamples).toBe(16);
    expect(summary.busyMicrosPerRequest).toBe(400);
    const self = Object.fromEntries(summary.selfFrames.map((cost) => [cost.name, cost.microsPerRequest]));
    expect(self['(garbage collector)']).toBe(50);
    expect(self['core/src/timeout.ts:settleWithin']).toBe(50);
    expect(self['setTimeout']).toBeUndefined();
    expect(self['node:timers:setTimeout']).toBe(100);
    const origins = Object.fromEntries(summary.origins.map((cost) => [cost.name, cost.share]));
    expect(origins['sessionkit/core']).toBe(1 / 8);
    expect(origins['node:timers']).toBe(2 / 8);
    expect(origins['(idle)']).toBeUndefined();
    const attributed = Object.fromEntries(summary.storeFrames.map((cost) => [cost.name, cost.microsPerRequest]));
    // settleWithin: its own sample and the two setTimeout samples under it.
    expect(attributed['core/src/timeout.ts:settleWithin']).toBe(150);
    expect(attributed['express/src/express-store.ts:get']).toBe(50);
    expect(attributed['memory/src/memory-store.ts:read']).toBe(50);
    // express-session's own frame and the builtin JSON.parse are not under a sessionkit frame.
    expect(summary.storeFrames.reduce((sum, cost) => sum + cost.microsPerRequest, 0)).toBe(250);
    expect(summary.selfFrames[0]!.name).toBe('node:timers:setTimeout');
  });

  it("attributes to their store's own files, and not what their store's callback runs of the app", () => {
    const module = (name: string, file: string) =>
      `${ROOT}/node_modules/.pnpm/${name}@1.0.0/node_modules/${name}/${file}`;
    const theirs: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
        { id: 2, callFrame: frame('optionalCb', module('connect-redis', 'dist/connect-redis.js')), children: [3] },
        // The store calls express-session's callback synchronously: the rest of the request runs under it.
        { id: 3, callFrame: frame('inflate', module('express-session', 'index.js')), children: [4] },
        { id: 4, callFrame: frame('send', module('express', 'lib/response.js')) },
        { id: 5, callFrame: frame('get', module('connect-redis', 'dist/connect-redis.js')), children: [6] },
        {
          id: 6,
          callFrame: frame(
            'sendCommand',
            `${ROOT}/node_modules/.pnpm/@redis+client@5.0.0/node_modules/@redis/client/dist/index.js`,
          ),
        },
      ],
      startTime: 0,
      endTime: 400,
      samples: [2, 4, 4, 6],
    };
    const summary = summarizeProfiles([theirs], 1, 400, ['/connect-redis/']);
    expect(summary.storeFrames.map((cost) => [cost.name, cost.microsPerRequest])).toEqual([
      ['connect-redis/dist/connect-redis.js:optionalCb', 100],
      ['connect-redis/dist/connect-redis.js:get', 100],
    ]);
    // With sessionkit's code as the store's, none of it is.
    expect(summarizeProfiles([theirs], 1, 400).storeFrames).toEqual([]);
  });

  it("stops at the Fastify app's side too: @fastify/session's plugin and Fastify", () => {
    const module = (name: string, file: string) =>
      `${ROOT}/node_modules/.pnpm/${name.replace('/', '+')}@1.0.0/node_modules/${name}/${file}`;
    const theirs: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2] },
        { id: 2, callFrame: frame('get', module('@fastify/session', 'lib/store.js')), children: [3] },
        // MemoryStore calls back synchronously: @fastify/session and Fastify run the rest of the request under it.
        { id: 3, callFrame: frame('callback', module('@fastify/session', 'index.js')), children: [4] },
        { id: 4, callFrame: frame('onSendEnd', module('fastify', 'lib/reply.js')) },
      ],
      startTime: 0,
      endTime: 300,
      samples: [2, 3, 4],
    };
    const summary = summarizeProfiles([theirs], 1, 300, ['@fastify/session/lib/store.js']);
    expect(summary.storeFrames.map((cost) => [cost.name, cost.microsPerRequest])).toEqual([
      ['@fastify/session/lib/store.js:get', 100],
    ]);
  });

  it('counts each sample as the sampling interval when the measured CPU is not given, and renders three tables', () => {
    // 8 busy samples × 250 µs over 2 requests.
    const tables = profileTables('memory read', summarizeProfiles([PROFILE], 2));
    expect(tables.map((table) => table.title)).toEqual([
      'memory read: 1000 µs CPU per request over 2 requests (8 busy samples); self time by origin',
      'memory read: top self-time frames',
      "memory read: the store's own frames with the library, builtin and Node time they call (625.0 µs/req in all)",
    ]);
    expect(tables[1]!.rows[0]).toEqual(['node:timers:setTimeout', 'node:timers', '250.0', '25.0 %']);
  });
});
