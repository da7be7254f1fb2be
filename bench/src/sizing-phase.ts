import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendConfig } from './backend-config.js';
import { storeSpec, type Engine } from './catalog.js';
import { Child } from './child.js';
import { clusterConfig, startNodes } from './cluster.js';
import { createNamespace, dropNamespace, startOwnRedis, type EngineStatus } from './engines.js';
import type { SizingArgs } from './sizing.js';
import type { SizingRow } from './sizing-result.js';

/** The stores sized, in table order. */
export const SIZED_STORES = [
  'memory',
  'redis-hash',
  'redis-hash + near cache',
  'redis-json',
  'sql:postgres',
  'sql:mysql',
  'sql:sqlite',
  'cluster',
];

export interface SizingSettings {
  /** Sessions written per store before measuring. */
  sessions: number;
  /** Gets, patches and sets measured one at a time per store. */
  ops: number;
}

/**
 * Bytes per session at rest and per operation on the wire, one fresh process per store
 * (sizing.ts). Self-contained: its own redis-server (so `INFO memory` sees only these keys), its
 * own PostgreSQL schema and MariaDB database, its own SQLite file, a fresh 3-node cluster; all
 * removed afterwards. A store whose engine is missing or that fails is skipped with the reason.
 */
export async function runSizingPhase(
  urls: { postgresUrl: string; mysqlUrl: string },
  engines: Record<Engine, EngineStatus>,
  settings: SizingSettings,
  only: string[] | undefined,
  log: (line: string) => void,
): Promise<{ rows: SizingRow[]; skipped: { id: string; reason: string }[] }> {
  const rows: SizingRow[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const ids = SIZED_STORES.filter((id) => !only || only.includes(id));
  const ownRedis = ids.some((id) => storeSpec(id).engine === 'redis') ? await startOwnRedis() : undefined;
  const namespace = `bench_sizing_${process.pid}_${Date.now().toString(36)}`;
  const scoped = await createNamespace(urls, namespace, engines);
  const backend: BackendConfig = {
    redisUrl: ownRedis?.url ?? '',
    ...scoped,
    sqliteFile: join(tmpdir(), `${namespace}.db`),
  };
  try {
    for (const id of ids) {
      const engine = storeSpec(id).engine;
      const missing =
        engine === 'redis' && !ownRedis
          ? 'needs a redis-server binary on the PATH (INFO memory must see only this run)'
          : engines[engine].missing;
      if (missing) {
        skipped.push({ id, reason: missing });
        log(`  sizing ${id}: skipped (${missing})`);
        continue;
      }
      const args: SizingArgs = { store: id, engine, backend, sessions: settings.sessions, ops: settings.ops };
      const children: Child[] = [];
      try {
        let sizer: Child;
        if (engine === 'cluster') {
          const cluster = await clusterConfig(3);
          args.cluster = cluster;
          // All three at once: the peers (nodes 1 and 2, as in the HTTP benchmark) and node 0 here.
          const [peers, node] = await Promise.all([
            startNodes(backend, cluster, [1, 2]),
            Child.start('./sizing.ts', { BENCH_SIZING: JSON.stringify(args) }, ['--expose-gc']),
          ]);
          children.push(...peers, node);
          sizer = node;
        } else {
          sizer = await Child.start('./sizing.ts', { BENCH_SIZING: JSON.stringify(args) }, ['--expose-gc']);
          children.push(sizer);
        }
        const row = await sizer.request<SizingRow>('measure');
        rows.push(row);
        log(`  sizing ${id.padEnd(12)} ${describe(row)}`);
      } catch (error) {
        const reason = `failed: ${error instanceof Error ? error.message : String(error)}`;
        skipped.push({ id, reason });
        log(`  sizing ${id}: ${reason}`);
      } finally {
        await Promise.all(children.map((child) => child.stop()));
      }
    }
  } finally {
    await dropNamespace(urls, namespace, engines).catch((error: unknown) =>
      log(`could not drop ${namespace}: ${String(error)}`),
    );
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${backend.sqliteFile}${suffix}`, { force: true });
    await ownRedis?.stop();
  }
  return { rows, skipped };
}

function describe(row: SizingRow): string {
  const rest = row.atRest.map((figure) => `${figure.method} ${figure.bytesPerSession.toFixed(0)} B`).join(', ');
  const op = (name: string, cost: SizingRow['get']) =>
    cost
      ? `; ${name} ${cost.roundTrips.toFixed(2)} RT${cost.bytesUp === undefined ? '' : ` ${cost.bytesUp.toFixed(0)}↑/${(cost.bytesDown ?? 0).toFixed(0)}↓ B`}`
      : '';
  const fan = row.replication
    ? `; fan-out per write to each of ${row.replication.peers} peers: patch ${row.replication.patch.bytesPerPeer.toFixed(0)} B in ${row.replication.patch.framesPerPeer.toFixed(2)} frames, set ${row.replication.set.bytesPerPeer.toFixed(0)} B in ${row.replication.set.framesPerPeer.toFixed(2)}, back to back ${row.replication.setBackToBack.bytesPerPeer.toFixed(0)} B in ${row.replication.setBackToBack.framesPerPeer.toFixed(2)}`
    : '';
  return `${rest}${op('get', row.get)}${op('get again', row.getAgain)}${op('patch', row.patch)}${op('set', row.set)}${fan}`;
}
