// `pnpm bench [--quick] [--only=id,id] [--rounds=n] [--docs] [--profile=id,id] [--render] [--sizing]`:
// sessionkit's stores side by side with the ones people use today, in one run on this machine.
// Prints the tables, writes bench/results/<latest|scratch>.json and (full run, or --docs)
// docs/benchmarks.md + chart. --render rewrites the docs from bench/results/latest.json without
// measuring anything. --sizing measures only bytes per session at rest and per operation on the
// wire (bench/results/sizing.json).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import type { BackendConfig } from './backend-config.js';
import { runStoreApiPhase } from './api-phase.js';
import { ensureBuilt } from './built-packages.js';
import { COMPARISONS, STORES, storeSpec, type StoreSpec } from './catalog.js';
import { killAllChildren } from './child.js';
import { renderChart } from './chart.js';
import { type CliOptions, parseCli } from './cli.js';
import { measureReplicationLag } from './cluster.js';
import { renderDocs } from './docs.js';
import { createNamespace, dropNamespace, probeEngines, startOwnRedis } from './engines.js';
import { runFootprintPhase } from './footprint-phase.js';
import { runHttpPhase } from './http-phase.js';
import { describeMachine } from './machine.js';
import { type CpuProfile, profileTables, summarizeProfiles } from './profile.js';
import { allRatios, allTables, renderMarkdown, renderText } from './report.js';
import { sizingTables } from './sizing-report.js';
import { resultsFileName, type Results } from './results.js';
import { FULL, QUICK } from './settings.js';
import { runSizingPhase, type SizingSettings } from './sizing-phase.js';
import type { SizingResult } from './sizing-result.js';

const BENCH_DIR = join(import.meta.dirname, '..');
const DOCS_DIR = join(BENCH_DIR, '..', 'docs');

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.render) {
    // Rewrites the page from the recorded full run, e.g. after editing bench/analysis.md.
    const results = JSON.parse(readFileSync(join(BENCH_DIR, 'results', 'latest.json'), 'utf8')) as Results;
    writeDocs(results);
    return;
  }
  ensureBuilt(log);
  if (cli.sizing) return sizingOnly(cli);
  const settings = { ...(cli.quick ? QUICK : FULL), ...(cli.rounds ? { rounds: cli.rounds } : {}) };
  log(`sessionkit bench, ${cli.quick ? 'quick' : 'full'} run`);

  const ownRedis = await startOwnRedis();
  const urls = {
    redisUrl: ownRedis?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    postgresUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    mysqlUrl: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  };
  log(
    ownRedis
      ? `started redis-server for the bench at ${ownRedis.url}`
      : `redis-server binary not found; using ${urls.redisUrl} (its command counts include other clients)`,
  );
  const engines = await probeEngines(urls);
  const namespace = `bench_${process.pid}_${Date.now().toString(36)}`;
  const scoped = await createNamespace(urls, namespace, engines);
  const backend: BackendConfig = { ...urls, ...scoped, sqliteFile: join(tmpdir(), `${namespace}.db`) };
  const redis = engines.redis.version ? new Redis(urls.redisUrl) : undefined;
  const mysqlCounters = engines.mysql.version ? await mysql.createConnection(urls.mysqlUrl) : undefined;

  try {
    const selected: StoreSpec[] = [];
    const skipped: { id: string; reason: string }[] = [];
    for (const spec of STORES) {
      if (cli.only && !cli.only.includes(spec.id)) continue;
      const missing = engines[spec.engine].missing;
      if (missing) {
        skipped.push({ id: spec.id, reason: missing });
        log(`skip ${spec.id}: ${missing}`);
      } else selected.push(spec);
    }

    log(
      `HTTP benchmark: ${selected.length} stores, ${settings.rounds} round(s) of ${settings.windowS} s read + ${settings.windowS} s write each`,
    );
    const profileDir = (id: string) => join(BENCH_DIR, 'results', 'profiles', id.replace(/\W/g, '_'));
    for (const id of cli.profile) rmSync(profileDir(id), { recursive: true, force: true });
    const http = await runHttpPhase(selected, {
      settings,
      backend,
      redis,
      mysql: mysqlCounters,
      log,
      profileDir: (id) => (cli.profile.includes(id) ? profileDir(id) : undefined),
    });
    skipped.push(...http.skipped);
    const rows = http.rows;
    for (const row of rows) if (cli.profile.includes(row.id)) summarizeProfileRun(row, profileDir(row.id));

    const measured = new Set(rows.map((row) => row.id));
    const apiComparisons = COMPARISONS.filter(
      (comparison) => comparison.storeApi && measured.has(comparison.ours) && measured.has(comparison.theirs),
    );
    if (apiComparisons.length > 0) {
      log(
        `Store API micro-benchmark: ${apiComparisons.map((comparison) => `${comparison.ours} vs ${comparison.theirs}`).join(', ')}; ${settings.apiRounds} rounds of get, touch, set`,
      );
    }
    const storeApi = await runStoreApiPhase(apiComparisons, backend, settings, log);

    const inProcess = selected.filter(
      (spec) => spec.inProcess && spec.framework !== 'fastify' && !skipped.some((skip) => skip.id === spec.id),
    );
    if (inProcess.length > 0)
      log(
        `memory per session: ${inProcess.map((spec) => spec.id).join(', ')}; ${settings.footprintSteps.map((step) => `${step / 1000}k`).join(', ')} sessions`,
      );
    const footprints = await runFootprintPhase(inProcess, backend, settings.footprintSteps, settings.footprintMax, log);
    for (const [id, steps] of footprints) {
      const row = rows.find((candidate) => candidate.id === id);
      if (row) row.footprint = steps;
    }

    const results: Results = {
      command: `pnpm bench${cli.quick ? ' --quick' : ''}${cli.only ? ` --only=${cli.only.join(',')}` : ''}${cli.rounds ? ` --rounds=${cli.rounds}` : ''}${cli.profile.length ? ` --profile=${cli.profile.join(',')}` : ''}`,
      mode: cli.quick ? 'quick' : 'full',
      startedAt: new Date(started).toISOString(),
      elapsedS: 0,
      machine: describeMachine(
        Object.fromEntries(
          (['redis', 'postgres', 'mysql', 'sqlite'] as const).map((engine) => [
            engine === 'mysql' ? 'mariadb' : engine,
            engines[engine].version ?? 'not available',
          ]),
        ),
      ),
      settings,
      stores: rows,
      skipped,
      storeApi,
    };
    if (rows.some((row) => row.id === 'cluster')) {
      log(`replication lag: ${settings.lagSamples} writes on a fresh 3-node cluster`);
      results.lag = await measureReplicationLag(backend, settings.lagSamples, log);
    } else {
      results.lagSkipped = skipped.find((skip) => skip.id === 'cluster')?.reason ?? 'cluster store not selected';
    }
    const sizingSettings = cli.quick ? QUICK_SIZING : FULL_SIZING;
    log(
      `sizing: ${sizingSettings.sessions.toLocaleString('en-US')} sessions per store, ${sizingSettings.ops} gets, patches and sets`,
    );
    const sizing = await runSizingPhase(urls, engines, sizingSettings, cli.only, log);
    results.sizing = {
      command: results.command,
      startedAt: new Date().toISOString(),
      ...sizingSettings,
      ...sizing,
      engines: results.machine.engines,
    };
    results.elapsedS = (Date.now() - started) / 1000;
    results.ratios = allRatios(results);

    console.log('');
    for (const table of [...allTables(results), ...sizingTables(results.sizing)]) console.log(`${renderText(table)}\n`);
    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    const jsonFile = join(BENCH_DIR, 'results', resultsFileName(results));
    writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${jsonFile}`);
    if (resultsFileName(results) === 'latest.json' || cli.docs) {
      writeDocs(results);
    } else {
      log('docs/benchmarks.md left as it is (quick, partial or profiled run; add --docs to rewrite it)');
    }
  } finally {
    redis?.disconnect();
    await mysqlCounters?.end();
    killAllChildren();
    await dropNamespace(urls, namespace, engines).catch((error: unknown) =>
      log(`could not drop ${namespace}: ${String(error)}`),
    );
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${backend.sqliteFile}${suffix}`, { force: true });
    await ownRedis?.stop();
  }
}

/**
 * Adds up the window profiles of one profiled server per request kind and writes
 * `summary.md` next to them: µs of CPU per request by origin, by frame, and per sessionkit frame
 * with what it calls.
 */
function summarizeProfileRun(row: Results['stores'][number], dir: string): void {
  if (!existsSync(dir) || !row.http) return;
  const sections: string[] = [
    `# CPU profile of ${row.id}\n\nOne profile per measured window (main thread, sampled every 250 µs), added up per request kind. Shares count busy samples; µs per request are those shares of the CPU time the server process measured over the same windows (profiler overhead included).`,
  ];
  for (const kind of ['read', 'write'] as const) {
    const files = readdirSync(dir).filter((file) => file.startsWith(`${kind}-`) && file.endsWith('.cpuprofile'));
    const profiles = files.map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
    const requests = row.http.samples[kind].reduce((sum, sample) => sum + sample.requests, 0);
    const cpu = row.http.samples[kind].reduce((sum, sample) => sum + sample.cpuMicros, 0);
    const summary = summarizeProfiles(
      profiles,
      requests,
      requests > 0 ? cpu / requests : undefined,
      storeSpec(row.id).storeCode,
    );
    const tables = profileTables(`${row.id} ${kind}`, summary);
    for (const table of tables) {
      sections.push(`## ${table.title}\n\n${renderMarkdown(table)}`);
      console.log(`\n${renderText(table)}`);
    }
  }
  writeFileSync(join(dir, 'summary.md'), `${sections.join('\n\n')}\n`);
  log(`wrote ${join(dir, 'summary.md')}`);
}

/** Sessions and operations per store of the sizing phase: about 2 minutes in all on 2 cores. */
const FULL_SIZING: SizingSettings = { sessions: 10_000, ops: 1000 };
const QUICK_SIZING: SizingSettings = { sessions: 2000, ops: 200 };

/** `pnpm bench --sizing [--quick] [--only=id,id]`: the sizing phase alone, into bench/results/sizing.json. */
async function sizingOnly(cli: CliOptions): Promise<void> {
  const settings = cli.quick ? QUICK_SIZING : FULL_SIZING;
  const urls = {
    postgresUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    mysqlUrl: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  };
  // Redis is the sizing phase's own redis-server; the probe only reads the engine versions.
  const engines = await probeEngines({ ...urls, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  log(
    `sizing: ${settings.sessions.toLocaleString('en-US')} sessions per store, ${settings.ops} gets, patches and sets`,
  );
  try {
    const sizing = await runSizingPhase(urls, engines, settings, cli.only, log);
    const result: SizingResult = {
      command: `pnpm bench --sizing${cli.quick ? ' --quick' : ''}${cli.only ? ` --only=${cli.only.join(',')}` : ''}`,
      startedAt: new Date(started).toISOString(),
      ...settings,
      ...sizing,
      engines: Object.fromEntries(
        (['redis', 'postgres', 'mysql', 'sqlite'] as const).map((engine) => [
          engine === 'mysql' ? 'mariadb' : engine,
          engines[engine].version ?? 'not available',
        ]),
      ),
    };
    console.log('');
    for (const table of sizingTables(result)) console.log(`${renderText(table)}\n`);
    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    const file = join(BENCH_DIR, 'results', 'sizing.json');
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${file}`);
  } finally {
    killAllChildren();
  }
}

function writeDocs(results: Results): void {
  // A full run carries its own sizing; otherwise the last `--sizing` run's figures, when there are any.
  const sizingFile = join(BENCH_DIR, 'results', 'sizing.json');
  if (!results.sizing && existsSync(sizingFile))
    results = { ...results, sizing: JSON.parse(readFileSync(sizingFile, 'utf8')) as SizingResult };
  writeFileSync(join(DOCS_DIR, 'benchmarks.svg'), renderChart(results));
  writeFileSync(join(DOCS_DIR, 'benchmarks.md'), renderDocs(results, 'benchmarks.svg', join(BENCH_DIR, 'analysis.md')));
  log(`wrote ${join(DOCS_DIR, 'benchmarks.md')} and benchmarks.svg`);
}

process.on('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

main().catch((error: unknown) => {
  console.error(error);
  killAllChildren();
  process.exitCode = 1;
});
