import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESULTS_END, RESULTS_START, markdownSection, terminalTable, updateDocs, type Report } from '../src/report.js';

const report: Report = {
  generatedAt: '2026-01-02T03:04:05.000Z',
  mode: 'full',
  shoppers: 200,
  instances: 3,
  concurrency: 20,
  node: '20.19.0',
  cpus: 2,
  results: [
    {
      key: 'memory-round-robin',
      strategy: 'No strategy: per-instance memory',
      store: 'memory',
      routing: 'round-robin',
      shared: false,
      keepsEveryCart: false,
      status: 'ok',
      shoppers: 200,
      cartsIntact: 4,
      cartsIntactAfterKill: 0,
      concurrentAddsKept: 3,
      cookieBytesPerRequest: 61.4,
      cartsUnreadable: [0, 2],
      downsBeforeKill: 0,
      killed: 'shop-1',
      requestsPerInstance: { 'shop-1': 334, 'shop-2': 333, 'shop-3': 333 },
      p50Ms: 12.5,
      p99Ms: 80,
      loadAverage: 1.5,
    },
    {
      key: 'postgres-round-robin',
      strategy: 'Central store: PostgreSQL',
      store: 'PostgreSQL',
      routing: 'round-robin',
      shared: true,
      keepsEveryCart: true,
      status: 'skipped',
      reason: 'PostgreSQL is not available (ECONNREFUSED); start PostgreSQL or set DATABASE_URL',
    },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'shop-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the scenario report', () => {
  it('prints measured rows in columns and skipped rows with their reason', () => {
    const lines = terminalTable(report).split('\n');
    expect(lines[0]).toMatch(
      /^Strategy +Store +Routing +Carts intact +Intact after a kill +Both concurrent adds kept +Requests per instance +Cookie B\/request +p50 ms +p99 ms$/,
    );
    expect(lines[2]).toMatch(
      /4\/200 \(2 %\) +0\/200 \(0 %\), shop-1 killed +3\/200 \(2 %\) +334 \/ 333 \/ 333 +61 +12\.5 +80$/,
    );
    expect(lines[3]).toMatch(
      /Central store: PostgreSQL .* skipped: PostgreSQL is not available \(ECONNREFUSED\); start PostgreSQL or set DATABASE_URL$/,
    );
  });

  it('renders a markdown table with the run conditions and footnotes', () => {
    const section = markdownSection(report);
    expect(section.startsWith(RESULTS_START) && section.endsWith(RESULTS_END)).toBe(true);
    expect(section).toContain('on 2026-01-02 (Node 20.19.0, 3 instances, 200 shoppers per group, 20 at a time');
    expect(section).toContain('load average ranged from 1.5 to 1.5 on 2 cores');
    expect(section).toContain(
      '| No strategy: per-instance memory | memory | round-robin | 4/200 (2 %) | 0/200 (0 %), shop-1 killed | 3/200 (2 %) | 334 / 333 / 333 | 61 | 12.5 | 80 |',
    );
    expect(section).toContain(
      '| Central store: PostgreSQL | PostgreSQL | round-robin | skipped: PostgreSQL is not available',
    );
    expect(section).toContain(
      '- No strategy: per-instance memory: 0 + 2 carts counted as not intact were reads that got no answer',
    );
  });

  it('replaces only the text between the markers', () => {
    const file = join(dir, 'strategies.md');
    writeFileSync(file, `# Title\n\nbefore\n\n${RESULTS_START}\nold table\n${RESULTS_END}\n\nafter\n`);
    updateDocs(file, report);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('# Title\n\nbefore\n\n')).toBe(true);
    expect(text.endsWith('\n\nafter\n')).toBe(true);
    expect(text).not.toContain('old table');
    expect(text).toContain(markdownSection(report));
  });

  it('refuses a file without the markers, leaving it untouched', () => {
    const file = join(dir, 'no-markers.md');
    writeFileSync(file, '# Nothing to replace\n');
    expect(() => updateDocs(file, report)).toThrow(
      /has no <!-- scenario-results:start --> … <!-- scenario-results:end --> markers/,
    );
    expect(readFileSync(file, 'utf8')).toBe('# Nothing to replace\n');
  });
});
