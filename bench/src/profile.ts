// Summaries of the CPU profiles `pnpm bench --profile=<id>` records: one profile per measured
// window of a server (inspector Profiler, main thread), added up per request kind. Each busy
// sample counts once (on a loaded machine the wall-clock gap before a sample includes time the
// process was not running, so gaps would over-weight whatever was on the stack when it was
// descheduled); the shares are then scaled to the CPU time the server process measured over the
// same windows, so every figure is microseconds of CPU per request.
import type { Table } from './report.js';

/** Sampling interval of the window profiles, microseconds (V8's default is 1000). */
export const PROFILE_SAMPLING_INTERVAL_US = 250;

/** The parts of a V8 `Profiler.Profile` (Chrome DevTools protocol) the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Microseconds between consecutive samples (the first one from `startTime`). */
  timeDeltas?: number[];
}

/** One row of a summary: a frame, or an origin (package, sessionkit package, Node internals). */
export interface CostLine {
  /** `file:function` for a frame, the origin's name for an origin. */
  name: string;
  /** Where a frame's code comes from (see {@link originOf}). */
  origin: string;
  /** CPU microseconds per request. */
  microsPerRequest: number;
  /** Share of the busy time (every sample except `(idle)`). */
  share: number;
}

export interface ProfileSummary {
  requests: number;
  /** Busy (non-idle) samples in all profiles. */
  busySamples: number;
  /** CPU microseconds per request the shares are scaled to. */
  busyMicrosPerRequest: number;
  /** Self time by origin. */
  origins: CostLine[];
  /** Self time by frame, largest first. */
  selfFrames: CostLine[];
  /**
   * Time attributed to the store's code (sessionkit's packages for ours, the library's store
   * files for theirs; see {@link StoreCode}): each sample goes to the innermost store-code frame
   * on its stack, unless the app's side (express-session's middleware, Express, the router, the
   * HTTP server) comes first, as when a store calls express-session's callback synchronously. So a
   * frame's line is its own time plus what the libraries, V8 builtins and Node internals it calls
   * spent (e.g. `setTimeout` under `settleWithin`). Largest first.
   */
  storeFrames: CostLine[];
}

/**
 * Where the code of a profile frame comes from: `sessionkit/<package>` for packages/*,
 * the npm package name for node_modules, `bench` for the bench's own app, `node:<area>` for
 * Node's internals, `native` for code without a script (V8 builtins such as JSON.parse, and
 * Node's C++ bindings such as the socket's `writev`), or V8's
 * pseudo-frames as they are named (`(garbage collector)`, `(program)`, `(idle)`).
 */
export function originOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : 'native';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? 'node_modules');
  }
  const ours = /\/packages\/([^/]+)\//.exec(url);
  if (ours) return `sessionkit/${ours[1]}`;
  if (url.startsWith('node:'))
    return `node:${
      url
        .slice('node:'.length)
        .replace(/^internal\//, '')
        .split('/')[0]
    }`;
  if (url.includes('/bench/src/')) return 'bench';
  return 'other';
}

/**
 * Which frames are the store's own code: `sessionkit` for sessionkit's packages, else fragments
 * of the script URL (`/connect-redis/` for connect-redis, …).
 */
export type StoreCode = readonly string[];

/**
 * Frames of the app's side of the store API: attribution to store code stops there. Express rows:
 * express-session's middleware and Session, Express, the router; Fastify rows: @fastify/session's
 * plugin and Session, @fastify/cookie, Fastify; both: the bench's app and the HTTP server.
 */
const APP_SIDE =
  /express-session\/index\.js|express-session\/session\/session\.js|\/express\/lib\/|\/router\/|@fastify\/session\/index\.js|@fastify\/session\/lib\/session\.js|\/@fastify\/cookie\/|\/fastify\/(lib\/|fastify\.js)|\/bench\/src\/|^node:_http/;

/** `file:function` with the file relative to its package (`core/src/timeout.ts:settleWithin`). */
export function frameName(frame: { functionName: string; url: string }): string {
  const fn = frame.functionName || '(anonymous)';
  if (!frame.url) return fn;
  const path = frame.url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  const short =
    modules >= 0
      ? path.slice(modules + '/node_modules/'.length)
      : (/\/packages\/(.+)$/.exec(path)?.[1] ?? /\/bench\/(src\/.+)$/.exec(path)?.[1] ?? path);
  return `${short}:${fn}`;
}

/**
 * Adds up `profiles` (windows of one request kind on one server) over `requests` requests.
 * `cpuMicrosPerRequest` is the server's measured process CPU per request over those windows; the
 * shares are scaled to it. Without it, each sample counts as the sampling interval.
 */
export function summarizeProfiles(
  profiles: readonly CpuProfile[],
  requests: number,
  cpuMicrosPerRequest?: number,
  storeCode: StoreCode = ['sessionkit'],
): ProfileSummary {
  const isStoreCode = (frame: CpuProfile['nodes'][number]['callFrame']) =>
    storeCode.some((fragment) =>
      fragment === 'sessionkit' ? originOf(frame).startsWith('sessionkit/') : frame.url.includes(fragment),
    );
  /** Busy samples by frame name (self), by innermost store-code frame, and by origin. */
  const self = new Map<string, { origin: string; samples: number }>();
  const attributed = new Map<string, { origin: string; samples: number }>();
  const origins = new Map<string, number>();
  let busy = 0;
  const add = (map: Map<string, { origin: string; samples: number }>, name: string, origin: string): void => {
    const entry = map.get(name) ?? { origin, samples: 0 };
    entry.samples += 1;
    map.set(name, entry);
  };
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    for (const sample of profile.samples ?? []) {
      const leaf = nodes.get(sample);
      if (!leaf) continue;
      const origin = originOf(leaf.callFrame);
      if (origin === '(idle)') continue;
      busy += 1;
      origins.set(origin, (origins.get(origin) ?? 0) + 1);
      add(self, frameName(leaf.callFrame), origin);
      for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
        const frame = nodes.get(id)!.callFrame;
        if (isStoreCode(frame)) {
          add(attributed, frameName(frame), originOf(frame));
          break;
        }
        if (APP_SIDE.test(frame.url)) break;
      }
    }
  }
  const perRequest =
    cpuMicrosPerRequest ?? (requests > 0 ? (busy * PROFILE_SAMPLING_INTERVAL_US) / requests : Number.NaN);
  const line = (name: string, origin: string, count: number): CostLine => ({
    name,
    origin,
    microsPerRequest: busy > 0 ? (count / busy) * perRequest : Number.NaN,
    share: busy > 0 ? count / busy : Number.NaN,
  });
  const lines = (map: Map<string, { origin: string; samples: number }>) =>
    [...map].map(([name, { origin, samples }]) => line(name, origin, samples)).sort((a, b) => b.share - a.share);
  return {
    requests,
    busySamples: busy,
    busyMicrosPerRequest: perRequest,
    origins: [...origins].map(([origin, samples]) => line(origin, origin, samples)).sort((a, b) => b.share - a.share),
    selfFrames: lines(self),
    storeFrames: lines(attributed),
  };
}

const percent = (share: number) => `${(100 * share).toFixed(1)} %`;
const micros = (value: number) => value.toFixed(value < 10 ? 2 : 1);

/** The summary as three tables: by origin, top self-time frames, store-code frames with their callees. */
export function profileTables(title: string, summary: ProfileSummary, top = 15): Table[] {
  const rows = (lines: CostLine[]) =>
    lines.slice(0, top).map((cost) => [cost.name, cost.origin, micros(cost.microsPerRequest), percent(cost.share)]);
  const storeTotal = summary.storeFrames.reduce((sum, cost) => sum + cost.microsPerRequest, 0);
  return [
    {
      title: `${title}: ${Math.round(summary.busyMicrosPerRequest)} µs CPU per request over ${summary.requests.toLocaleString('en-US')} requests (${summary.busySamples.toLocaleString('en-US')} busy samples); self time by origin`,
      headers: ['origin', '', 'µs/req', 'share'],
      rows: summary.origins
        .slice(0, top)
        .map((cost) => [cost.name, '', micros(cost.microsPerRequest), percent(cost.share)]),
    },
    {
      title: `${title}: top self-time frames`,
      headers: ['frame', 'origin', 'µs/req', 'share'],
      rows: rows(summary.selfFrames),
    },
    {
      title: `${title}: the store's own frames with the library, builtin and Node time they call (${micros(storeTotal)} µs/req in all)`,
      headers: ['frame', 'origin', 'µs/req', 'share'],
      rows: rows(summary.storeFrames),
    },
  ];
}
