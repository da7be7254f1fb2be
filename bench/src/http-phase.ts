import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type mysql from 'mysql2/promise';
import type { BackendConfig } from './backend-config.js';
import { COMPARISONS, type StoreSpec } from './catalog.js';
import { Child } from './child.js';
import { clusterConfig, startNodes } from './cluster.js';
import { mysqlStatementCounts, redisCommandCounts } from './engines.js';
import { createSessions, runLoad, type RequestKind } from './http-load.js';
import type { OpsResult } from './ops.js';
import type { HttpResult, KindSummary, Settings, StoreRow, WindowSample } from './results.js';
import type { ServerArgs, ServerMark } from './server.js';
import { comparisonGroups, roundOrder } from './schedule.js';
import { cpuMicrosPerRequest, median, windowCounters } from './stats.js';

interface RunningServer {
  spec: StoreSpec;
  child: Child;
  cookies: string[];
  samples: { read: WindowSample[]; write: WindowSample[] };
}

export interface HttpPhaseOptions {
  settings: Settings;
  backend: BackendConfig;
  /** Client on the bench's Redis, for `INFO commandstats`. */
  redis: Redis | undefined;
  /** Connection to MariaDB/MySQL, for its `Com_*` status counters. */
  mysql: mysql.Connection | undefined;
  log(line: string): void;
  /**
   * Where to write CPU profiles of this store's server, one per measured window
   * (`<kind>-round<n>.cpuprofile`); `undefined` for no profile.
   */
  profileDir(id: string): string | undefined;
}

/**
 * Starts one server process per store, creates the sessions, then measures round after round.
 * Stores compared with each other form a group (see `comparisonGroups`); a round measures group
 * after group, each group as the read windows of its stores back to back and then their write
 * windows, so the two sides of a comparison are measured one right after the other in every
 * round, in alternating order (`roundOrder`). Finally the store-level throughput run in the same
 * processes. Stores that fail to start are returned in `skipped` with the reason.
 */
export async function runHttpPhase(
  specs: readonly StoreSpec[],
  options: HttpPhaseOptions,
): Promise<{ rows: StoreRow[]; skipped: { id: string; reason: string }[] }> {
  const { settings, log } = options;
  const servers: RunningServer[] = [];
  /** Other processes a store needs (the cluster's two other nodes). */
  const helpers: Child[] = [];
  const skipped: { id: string; reason: string }[] = [];
  try {
    // Three processes start at a time: their start is mostly waiting on module loading and connections.
    const queue = [...specs];
    const startNext = async (): Promise<void> => {
      const spec = queue.shift();
      if (!spec) return;
      try {
        const args: ServerArgs = {
          store: spec.id,
          engine: spec.engine,
          backend: options.backend,
          framework: spec.framework ?? 'express',
        };
        if (spec.engine === 'cluster') {
          // Nodes B and C in their own processes; the server is node A and gets every request.
          const cluster = await clusterConfig(3);
          helpers.push(...(await startNodes(options.backend, cluster, [1, 2])));
          args.backend = { ...options.backend, cluster: { ...cluster, node: 0 } };
        }
        const child = await Child.start('./server.ts', { BENCH_SERVER: JSON.stringify(args) });
        // The ceilings (`none`, `fastify:none`) have no sessions to create; the client-side rows
        // (engine `none` too) do: their sessions travel in the cookies.
        const cookies = spec.side === 'ceiling' ? [] : await createSessions(child.port!, settings.sessions);
        servers.push({ spec, child, cookies, samples: { read: [], write: [] } });
        log(`  started ${spec.id} (port ${child.port}, ${cookies.length} sessions)`);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        skipped.push({ id: spec.id, reason });
        log(`  skip ${spec.id}: ${reason}`);
      }
      return startNext();
    };
    await Promise.all([startNext(), startNext(), startNext()]);
    servers.sort((a, b) => specs.indexOf(a.spec) - specs.indexOf(b.spec));
    const byId = new Map(servers.map((server) => [server.spec.id, server]));
    const groups = comparisonGroups(
      servers.map((server) => server.spec.id),
      COMPARISONS,
    );
    log(`  groups measured back to back: ${groups.map((group) => group.join(' + ')).join('; ')}`);

    /** Servers that failed during the rounds: skipped with the reason, no partial row. */
    const failed = new Set<RunningServer>();
    const warmed = new Set<string>();
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const block of roundOrder(groups, round)) {
        for (const kind of ['read', 'write'] as const) {
          for (const server of block.map((id) => byId.get(id)!)) {
            if (failed.has(server)) continue;
            try {
              if (settings.warmupS > 0 && !warmed.has(`${server.spec.id} ${kind}`)) {
                await runLoad(server.child.port!, kind, server.cookies, {
                  durationS: settings.warmupS,
                  connections: settings.connections,
                });
                warmed.add(`${server.spec.id} ${kind}`);
              }
              // One unmeasured request per session first, so every window starts as a steadily loaded
              // server would: a store's windows are minutes apart, longer than the near cache keeps an
              // entry (maxAgeMs, 60 s), and without this each of its windows began with every entry gone.
              if (server.cookies.length > 0)
                await runLoad(server.child.port!, kind, server.cookies, {
                  amount: server.cookies.length,
                  connections: settings.connections,
                });
              const sample = await measureWindow(server, kind, round, options);
              server.samples[kind].push(sample);
              log(
                `  round ${round + 1}/${settings.rounds}  ${server.spec.id.padEnd(22)} ${kind.padEnd(5)} ${describeSample(sample)}`,
              );
            } catch (error) {
              const reason = `failed in round ${round + 1}: ${error instanceof Error ? error.message : String(error)}`;
              failed.add(server);
              skipped.push({ id: server.spec.id, reason });
              log(`  skip ${server.spec.id}: ${reason}`);
            }
          }
        }
      }
    }

    const rows: StoreRow[] = [];
    for (const server of servers.filter((candidate) => !failed.has(candidate))) {
      const row: StoreRow = {
        id: server.spec.id,
        side: server.spec.side,
        description: server.spec.description,
        http: summarize(server.samples),
      };
      // Store throughput comes from the Express rows of server-side stores: the Fastify rows use the
      // same store libraries, and the ceilings and client-side rows have no store.
      if (server.spec.side !== 'ceiling' && server.spec.framework !== 'fastify' && !server.spec.clientSide) {
        try {
          const ops = await server.child.request<OpsResult>('ops', {
            durationMs: settings.opsWindowS * 1000,
            concurrency: settings.opsConcurrency,
            sessions: settings.sessions,
          });
          row.ops = ops.opsPerSecond;
          row.opsErrors = ops.errors;
          log(
            `  store throughput ${server.spec.id.padEnd(22)} ${Object.entries(ops.opsPerSecond)
              .map(([op, rate]) => `${op} ${Math.round(rate)}/s`)
              .join('  ')}${ops.errors ? `  (${ops.errors} errors)` : ''}`,
          );
        } catch (error) {
          log(
            `  store throughput ${server.spec.id}: failed (${error instanceof Error ? error.message : String(error)}); no row`,
          );
        }
      }
      rows.push(row);
    }
    return { rows, skipped };
  } finally {
    await Promise.all([...servers.map((server) => server.child), ...helpers].map((child) => child.stop()));
  }
}

async function measureWindow(
  server: RunningServer,
  kind: RequestKind,
  round: number,
  options: HttpPhaseOptions,
): Promise<WindowSample> {
  const { engine } = server.spec;
  const serverCounts =
    engine === 'redis' && options.redis
      ? () => redisCommandCounts(options.redis!)
      : engine === 'mysql' && options.mysql
        ? () => mysqlStatementCounts(options.mysql!)
        : undefined;
  const profileDir = options.profileDir(server.spec.id);
  if (profileDir) await server.child.request('profile-start');
  const countsBefore = await serverCounts?.();
  const before = await server.child.request<ServerMark>('mark');
  const load = await runLoad(server.child.port!, kind, server.cookies, {
    durationS: options.settings.windowS,
    connections: options.settings.connections,
  });
  const after = await server.child.request<ServerMark>('mark');
  const countsAfter = await serverCounts?.();
  const counted = windowCounters(before, after);
  if (profileDir)
    await server.child.request('profile-stop', { file: join(profileDir, `${kind}-round${round + 1}.cpuprofile`) });
  const sample: WindowSample = {
    round,
    ...load,
    requests: counted.requests,
    cpuMicros: counted.cpuMicros,
    requestHeaderBytes: after.requestHeaderBytes - before.requestHeaderBytes,
    responseHeaderBytes: after.responseHeaderBytes - before.responseHeaderBytes,
  };
  if (['postgres', 'mysql', 'sqlite', 'redis'].includes(engine)) sample.sent = counted.sent;
  if (countsBefore && countsAfter) {
    sample.executed = {};
    for (const [command, calls] of countsAfter) {
      const delta = calls - (countsBefore.get(command) ?? 0);
      if (delta > 0) sample.executed[command] = delta;
    }
  }
  return sample;
}

function summarize(samples: { read: WindowSample[]; write: WindowSample[] }): HttpResult {
  return { read: summarizeKind(samples.read), write: summarizeKind(samples.write), samples };
}

function summarizeKind(samples: WindowSample[]): KindSummary {
  const requests = samples.reduce((sum, sample) => sum + sample.requests, 0);
  const summary: KindSummary = {
    requestsPerSecond: median(samples.map((sample) => sample.requestsPerSecond)),
    p50Ms: median(samples.map((sample) => sample.p50Ms)),
    p99Ms: median(samples.map((sample) => sample.p99Ms)),
    cpuMicrosPerRequest: median(samples.map(cpuMicrosPerRequest)),
    failures: samples.reduce((sum, sample) => sum + sample.failures, 0),
  };
  const cpu = samples.map(cpuMicrosPerRequest).filter(Number.isFinite);
  if (cpu.length > 0) summary.cpuMicrosPerRequestRange = [Math.min(...cpu), Math.max(...cpu)];
  if (
    samples.length > 0 &&
    samples.every((sample) => sample.requestHeaderBytes !== undefined && sample.responseHeaderBytes !== undefined)
  ) {
    summary.requestHeaderBytesPerRequest =
      samples.reduce((sum, sample) => sum + sample.requestHeaderBytes!, 0) / requests;
    summary.responseHeaderBytesPerRequest =
      samples.reduce((sum, sample) => sum + sample.responseHeaderBytes!, 0) / requests;
  }
  if (samples.every((sample) => sample.sent !== undefined)) {
    summary.sentPerRequest = samples.reduce((sum, sample) => sum + sample.sent!, 0) / requests;
  }
  if (samples.every((sample) => sample.executed !== undefined)) {
    const perCommand: Record<string, number> = {};
    for (const sample of samples) {
      for (const [command, calls] of Object.entries(sample.executed!))
        perCommand[command] = (perCommand[command] ?? 0) + calls;
    }
    summary.executedPerRequest = Object.fromEntries(
      Object.entries(perCommand).map(([command, calls]) => [command, calls / requests]),
    );
  }
  return summary;
}

function describeSample(sample: WindowSample): string {
  const parts = [
    `${Math.round(sample.requestsPerSecond).toString().padStart(6)} req/s`,
    `p50 ${sample.p50Ms.toFixed(1)} ms`,
    `p99 ${sample.p99Ms.toFixed(1)} ms`,
    `cpu ${Math.round(cpuMicrosPerRequest(sample))} µs/req`,
  ];
  if (sample.sent !== undefined) parts.push(`${(sample.sent / sample.requests).toFixed(2)} sent/req`);
  if (sample.executed) {
    const total = Object.values(sample.executed).reduce((sum, calls) => sum + calls, 0);
    parts.push(`${(total / sample.requests).toFixed(2)} executed/req`);
  }
  if (sample.failures > 0) parts.push(`${sample.failures} FAILED`);
  return parts.join('  ');
}
