/** A table of already formatted cells, rendered for the terminal or as Markdown. */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
}

export function renderText(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [
    table.title,
    line(table.headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
  ].join('\n');
}

export function renderMarkdown(table: Table): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${table.headers.map(escapeCell).join(' | ')} |`,
    `| ${table.headers.map((_, column) => (column === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}
