// Cell formatting shared by the report's tables: rates, milliseconds, ratios, counts, MiB.
import type { RatioSummary } from './stats.js';

export const rate = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '-' : Math.round(value).toLocaleString('en-US');
export const ms = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(value < 10 ? 2 : 1);
export const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '-');
export const count = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(2);
export const mib = (value: number) => `${value.toFixed(1)} MiB`;

/** `1.05× (0.98–1.12)`: the median of per-round ratios with their min–max; no range for one round. */
export function formatRatio(summary: RatioSummary): string {
  if (summary.rounds === 0) return '-';
  if (summary.rounds === 1) return times(summary.median);
  return `${times(summary.median)} (${summary.min.toFixed(2)}–${summary.max.toFixed(2)})`;
}
