/**
 * `pnpm demo:scenarios`: the seeds' answers to "sessions behind a load balancer", head to head on
 * real processes. Prints a table, writes docs/strategies-results.json and regenerates the results
 * section of docs/strategies.md. `--quick` (fewer shoppers) and `--only` (some rows) leave the docs alone.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { withoutSeparator } from './demo-args.js';
import { terminalTable, updateDocs, type Report } from './report.js';
import { SCENARIOS } from './scenario-rows.js';
import { runScenario, type ScenarioResult } from './scenario-run.js';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
const USAGE = `Usage: pnpm demo:scenarios [options]

  --quick              40 shoppers per group instead of 200
  --shoppers <n>       shoppers per group (default 200, --quick 40)
  --instances <n>      shop instances per scenario (default 3)
  --concurrency <n>    shoppers active at the same time (default 20)
  --only <keys>        comma-separated scenario keys: ${SCENARIOS.map((s) => s.key).join(', ')}
  --json <file>        where to write the results (default docs/strategies-results.json; none with --quick or --only)
  --docs <file>        markdown file whose results section is regenerated (default docs/strategies.md; none with --quick or --only)
  -h, --help           show this help`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    args: withoutSeparator(process.argv.slice(2)),
    options: {
      quick: { type: 'boolean', default: false },
      shoppers: { type: 'string' },
      instances: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '20' },
      only: { type: 'string' },
      json: { type: 'string' },
      docs: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const count = (text: string, name: string, max: number) => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max)
    fail(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
  return n;
};
const quick = values.quick;
const shoppers = count(values.shoppers ?? (quick ? '40' : '200'), '--shoppers', 10_000);
const instances = count(values.instances, '--instances', 16);
const concurrency = count(values.concurrency, '--concurrency', 1000);
const only = values.only?.split(',').map((key) => key.trim());
const unknown = only?.filter((key) => !SCENARIOS.some((s) => s.key === key)) ?? [];
if (unknown.length) fail(`--only: unknown scenario ${unknown.join(', ')}`);
// The docs hold complete full runs only: a quick or partial run writes nothing unless asked to.
const partial = quick || only !== undefined;
const jsonFile = values.json ?? (partial ? undefined : `${DOCS}strategies-results.json`);
const docsFile = values.docs ?? (partial ? undefined : `${DOCS}strategies.md`);

// Ctrl-C: exit at once; each deployment's exit handler kills its instances.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.key));
console.log(
  `${scenarios.length} scenarios, ${instances} instances each, ${shoppers} shoppers per group${quick ? ' (quick)' : ''}`,
);
const results: ScenarioResult[] = [];
for (const [i, scenario] of scenarios.entries()) {
  console.log(`[${i + 1}/${scenarios.length}] ${scenario.key} …`);
  const started = performance.now();
  const result = await runScenario(scenario, { shoppers, instances, concurrency, log: (line) => console.log(line) });
  if (result.status !== 'ok') console.log(`  ${result.status}: ${result.reason}`);
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  results.push(result);
}

const report: Report = {
  generatedAt: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  shoppers,
  instances,
  concurrency,
  node: process.versions.node,
  cpus: availableParallelism(),
  results,
};
console.log(`\n${terminalTable(report)}\n`);
if (jsonFile) {
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results written to ${jsonFile}`);
}
if (docsFile) {
  updateDocs(docsFile, report);
  console.log(`results section of ${docsFile} regenerated`);
}
process.exit(results.some((r) => r.status === 'failed') ? 1 : 0);
