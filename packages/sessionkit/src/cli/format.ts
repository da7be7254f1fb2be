/** Text forms for the CLI's human output: counts, sizes, durations and aligned columns. */

/** `50000` → `50,000`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Bytes in B, kB, MB, GB (powers of 1000, one decimal). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 'B';
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** Milliseconds as the largest two units: `1d 2h`, `5m 3s`, `800ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const parts: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  const out: string[] = [];
  let rest = ms;
  for (const [size, unit] of parts) {
    if (rest >= size || out.length) {
      out.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (out.length === 2) break;
  }
  return out.join(' ');
}

/** Rows of cells as aligned columns (left-aligned, two spaces apart); numbers right-aligned. */
export function columns(rows: (string | number)[][], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, String(cell).length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => {
            const width = widths[i] ?? 0;
            const text = String(cell);
            if (i === row.length - 1 && typeof cell !== 'number') return text;
            return typeof cell === 'number' ? text.padStart(width) : text.padEnd(width);
          })
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/** Writes `value` as one line of JSON to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
