import { describe, expect, it } from 'vitest';
import { partitionMarks, renderHtml } from '../../src/parity/html.js';
import { legReport, parityReport, partitionReport } from './parity-fixtures.js';

describe('renderHtml', () => {
  const p0 = partitionReport(0, {
    missing: 3, missingRanges: [{ from: '10', to: '12' }], duplicates: 2, duplicateRanges: [{ from: '40', to: '41', copies: 2 }],
    deadLettered: 1, deadLetteredOffsets: ['50'], errorRows: 1, errorOffsets: ['60'],
  });
  const report = parityReport([legReport('connector', [p0, partitionReport(1)], { exact: false }), legReport('kafka_engine', [partitionReport(0), partitionReport(1)])], {
    ranges: [{ partition: 0, from: '0', to: '99' }, { partition: 1, from: '0', to: '99' }],
    exact: false,
    reasons: ['connector: 3 offsets missing'],
  });

  it('marks every missing range, duplicate run, dead-lettered and error offset on its bar', () => {
    expect(partitionMarks(p0).map((m) => `${m.kind} ${m.from}-${m.to}`)).toEqual(['missing 10-12', 'duplicate 40-41', 'dead-lettered 50-50', 'error 60-60']);
    const html = renderHtml(report);
    expect(html.match(/<svg class="bar"/g)).toHaveLength(4);
    // Offsets 10..12 of 0..99 on a 1000-unit bar.
    expect(html).toContain('<rect class="mark missing" data-kind="missing" x="100" y="0" width="30" height="20"><title>missing [10, 12]</title>');
    expect(html).toContain('<title>duplicated [40, 41] x2</title>');
    expect(html).toContain('<title>dead-lettered 50</title>');
    expect(html).toContain('<title>error row 60</title>');
    expect(html).toContain('PARITY DIFFERS: connector: 3 offsets missing');
  });

  it('escapes what comes from the data, so a value cannot become markup', () => {
    const html = renderHtml(
      parityReport([legReport('connector', [partitionReport(0)])], {
        topic: '<script>alert(1)</script>',
        content: { compared: true, partitions: [], differing: 1, examples: [{ partition: 0, offset: '5', left: ['<img src=x onerror=alert(1)>'], right: ['ok'] }] },
      }),
    );
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('is self-contained: nothing fetched, no script', () => {
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//);
  });

  it('gives each pipeline a section of its own, and names it in the verdict', () => {
    const html = renderHtml([
      parityReport([legReport('connector', [partitionReport(0)])], { pipeline: 'user_events', topic: 'user_events' }),
      parityReport([legReport('connector', [partitionReport(0)])], { pipeline: 'orders', topic: 'orders', exact: false, reasons: ['connector: 1 offsets missing'] }),
    ]);
    expect(html).toContain('<title>verify:parity 2 pipelines</title>');
    expect(html.match(/<section class="pipeline"/g)).toHaveLength(2);
    expect(html).toContain('<h2>pipeline orders: topic orders</h2>');
    expect(html).toContain('PARITY DIFFERS: orders: connector: 1 offsets missing');
  });
});
