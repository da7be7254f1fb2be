import type { BackendConfig } from './backend-config.js';
import type { StoreSpec } from './catalog.js';
import { Child } from './child.js';
import { clusterConfig } from './cluster.js';
import type { FootprintArgs } from './footprint.js';
import type { FootprintStep } from './results.js';

/**
 * Resident memory of each in-process store, one fresh process per store, as `steps` sessions are
 * written. Our stores are bounded at `max` sessions; the cluster store runs as a single node. Returns the readings by store id; a store that fails is logged and left out.
 */
export async function runFootprintPhase(
  specs: readonly StoreSpec[],
  backend: BackendConfig,
  steps: number[],
  max: number,
  log: (line: string) => void,
): Promise<Map<string, FootprintStep[]>> {
  const readings = new Map<string, FootprintStep[]>();
  for (const spec of specs) {
    const args: FootprintArgs = { store: spec.id, backend: { ...backend, memoryMax: max }, steps };
    if (spec.engine === 'cluster') args.backend.cluster = { ...(await clusterConfig(1)), node: 0 };
    let child: Child | undefined;
    try {
      child = await Child.start('./footprint.ts', { BENCH_FOOTPRINT: JSON.stringify(args) }, ['--expose-gc']);
      const measured = await child.request<FootprintStep[]>('measure');
      readings.set(spec.id, measured);
      log(
        `  memory ${spec.id.padEnd(12)} ${measured.map((step) => `${step.inserted / 1000}k written: ${step.held / 1000}k held, +${step.rssMiB.toFixed(0)} MiB RSS`).join('; ')}`,
      );
    } catch (error) {
      log(`  memory ${spec.id}: failed (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      await child?.stop();
    }
  }
  return readings;
}
