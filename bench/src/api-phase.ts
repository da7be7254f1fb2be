import type { ApiBenchArgs, ApiRoundSample } from './api-bench.js';
import type { BackendConfig } from './backend-config.js';
import { comparisonLabel, type Comparison } from './catalog.js';
import { Child } from './child.js';
import type { Settings, StoreApiPair, StoreApiResult } from './results.js';
import { perRoundRatios, summarizeRatios } from './stats.js';

/**
 * The Store API micro-benchmark (src/api-bench.ts) for `comparisons`, in one fresh process:
 * `settings.apiRounds` rounds, each measuring every operation of every pair, ours and theirs back
 * to back. A pair that cannot be opened, or a round that fails, is logged and left out.
 */
export async function runStoreApiPhase(
  comparisons: readonly Pick<Comparison, 'ours' | 'theirs'>[],
  backend: BackendConfig,
  settings: Settings,
  log: (line: string) => void,
): Promise<StoreApiResult> {
  const result: StoreApiResult = { pairs: [], skipped: [] };
  if (comparisons.length === 0) return result;
  const args: ApiBenchArgs = {
    backend,
    timeMs: settings.apiTimeMs,
    batch: settings.apiBatch,
    sessions: settings.apiSessions,
  };
  let child: Child | undefined;
  try {
    child = await Child.start('./api-bench.ts', { BENCH_API: JSON.stringify(args) });
    const answers = await child.request<(string | null)[]>(
      'open',
      comparisons.map(({ ours, theirs }) => ({ ours, theirs })),
    );
    const pairs: (StoreApiPair | undefined)[] = comparisons.map(({ ours, theirs }, index) => {
      const reason = answers[index];
      if (reason) {
        result.skipped.push({ comparison: comparisonLabel({ ours, theirs }), reason });
        log(`  store API ${comparisonLabel({ ours, theirs })}: skipped (${reason})`);
        return undefined;
      }
      return { ours, theirs, samples: {} };
    });
    for (let round = 0; round < settings.apiRounds; round += 1) {
      let samples: ApiRoundSample[];
      try {
        samples = await child.request<ApiRoundSample[]>('round', round);
      } catch (error) {
        log(
          `  store API round ${round + 1}: failed (${error instanceof Error ? error.message : String(error)}); round left out`,
        );
        continue;
      }
      for (const { pair, operation, side, sample } of samples) {
        const target = pairs[pair];
        if (!target) continue;
        const slot = (target.samples[operation] ??= { ours: [], theirs: [] });
        slot[side].push(sample);
      }
      log(`  store API round ${round + 1}/${settings.apiRounds}  ${describeRound(pairs, round)}`);
    }
    result.pairs = pairs.filter((pair): pair is StoreApiPair => pair !== undefined);
  } catch (error) {
    log(`  store API: failed (${error instanceof Error ? error.message : String(error)})`);
    for (const comparison of comparisons) {
      if (!result.pairs.some((pair) => pair.ours === comparison.ours && pair.theirs === comparison.theirs)) {
        result.skipped.push({
          comparison: comparisonLabel(comparison),
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    result.pairs = [];
  } finally {
    await child?.stop();
  }
  return result;
}

/** `memory vs MemoryStore get 1.20× touch 3.1× set 0.95×` for the samples of `round`. */
function describeRound(pairs: (StoreApiPair | undefined)[], round: number): string {
  return pairs
    .filter((pair): pair is StoreApiPair => pair !== undefined)
    .map((pair) => {
      const ratios = Object.entries(pair.samples).map(([operation, slot]) => {
        const value = summarizeRatios(
          perRoundRatios(slot.ours, slot.theirs, (sample) => sample.opsPerSecond)
            .filter((entry) => entry.round === round)
            .map((entry) => entry.ratio),
        ).median;
        return `${operation} ${value.toFixed(2)}×`;
      });
      return `${comparisonLabel(pair)}: ${ratios.join(' ')}`;
    })
    .join('; ');
}
