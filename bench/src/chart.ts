import type { Side } from './catalog.js';
import type { Results } from './results.js';

const COLORS: Record<Side, { read: string; write: string }> = {
  ours: { read: '#0f766e', write: '#5eead4' },
  theirs: { read: '#57534e', write: '#d6d3d1' },
  ceiling: { read: '#1e3a8a', write: '#93c5fd' },
};

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * Horizontal bar chart of read and write requests per second for every store measured over HTTP
 * (ours in teal, theirs in grey, the no-session ceiling in blue), as a standalone SVG document.
 */
export function renderChart(results: Results): string {
  const rows = results.stores.filter((row) => row.http);
  const max = Math.max(
    1,
    ...rows.flatMap((row) => [row.http!.read.requestsPerSecond, row.http!.write.requestsPerSecond]),
  );
  const scale = niceCeiling(max);
  const label = 170;
  const plot = 520;
  const bar = 11;
  const rowHeight = 2 * bar + 10;
  const top = 44;
  const height = top + rows.length * rowHeight + 40;
  const width = label + plot + 90;
  const x = (value: number) => label + (value / scale) * plot;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${label}" y="18" font-size="14" font-weight="600">Requests per second, Express 5 + express-session (higher is better)</text>`,
    legend(label, 32),
  ];
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = (scale * tick) / 4;
    parts.push(`<line x1="${x(value)}" y1="${top - 4}" x2="${x(value)}" y2="${height - 30}" stroke="#e7e5e4"/>`);
    parts.push(
      `<text x="${x(value)}" y="${height - 16}" text-anchor="middle" fill="#57534e">${Math.round(value).toLocaleString('en-US')}</text>`,
    );
  }
  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    const colors = COLORS[row.side];
    parts.push(`<text x="${label - 8}" y="${y + bar + 4}" text-anchor="end">${escapeXml(row.id)}</text>`);
    for (const [offset, kind] of [
      [0, 'read'],
      [bar, 'write'],
    ] as const) {
      const value = row.http![kind].requestsPerSecond;
      parts.push(
        `<rect class="bar" x="${label}" y="${y + offset}" width="${Math.max(1, x(value) - label).toFixed(1)}" height="${bar - 1}" fill="${colors[kind]}"/>`,
      );
      parts.push(
        `<text x="${(x(value) + 4).toFixed(1)}" y="${y + offset + bar - 2}" font-size="10" fill="#44403c">${Math.round(value).toLocaleString('en-US')}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function legend(left: number, y: number): string {
  const items: [string, string][] = [
    [COLORS.ours.read, 'sessionkit read'],
    [COLORS.ours.write, 'sessionkit write'],
    [COLORS.theirs.read, 'theirs read'],
    [COLORS.theirs.write, 'theirs write'],
    [COLORS.ceiling.read, 'no session'],
  ];
  return items
    .map(
      ([color, text], index) =>
        `<rect x="${left + index * 110}" y="${y - 9}" width="10" height="10" fill="${color}"/><text x="${left + index * 110 + 14}" y="${y}">${text}</text>`,
    )
    .join('');
}

/** The smallest 1, 2 or 5 × 10^n at or above `value`, so the axis ticks are round numbers. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? 10 * power;
}
