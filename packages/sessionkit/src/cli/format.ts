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

/** Rows of cells as aligned columns, two spaces apart: text left-aligned, numbers right-aligned with thousands separators. */
export function columns(cells: (string | number)[][], indent = ''): string {
  const rows = cells.map((row) =>
    row.map((cell) => (typeof cell === 'number' ? { text: count(cell), right: true } : { text: cell, right: false })),
  );
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.text.length);
  }
  return rows
    .map((row) => {
      const line = row.map((cell, i) => {
        const width = widths[i] ?? 0;
        if (cell.right) return cell.text.padStart(width);
        return i === row.length - 1 ? cell.text : cell.text.padEnd(width);
      });
      return (indent + line.join('  ')).trimEnd();
    })
    .join('\n');
}

/** Writes `value` as one line of JSON to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
