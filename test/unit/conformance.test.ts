import { describe, expect, it } from 'vitest';
import { BEGIN, currentTable, END, renderConformance, replaceTable } from '../../src/conformance/render.js';
import { deadLetterWhy, reason, shown, type ConformanceResult } from '../../src/conformance/run.js';
import { rootCauseOf } from '../../src/parity/truth.js';

const versions = { clickhouse: '26.7.2.1', connect: '4.1.1', connector: 'v1.5.0', converter: 'Apicurio AvroConverter 2.6.13.Final' };

describe('what a leg said, without what varies per run', () => {
  it('keeps the first line and drops offsets, partitions, ids and versions', () => {
    expect(reason('Topic: [t], Partition: [2], MinOffset: [17], MaxOffset: [17], (QueryId: [0f3c2a1e-1111-4222-8333-944455556666])\n\tat x')).toBe(
      'Topic: [t], Partition: [N], MinOffset: [N], MaxOffset: [N], (QueryId: [<uuid>])',
    );
    expect(reason('Cannot parse input at row 12: bad (version 26.7.2.1)')).toBe('Cannot parse input at row N: bad');
    expect(reason(undefined)).toBe('');
  });

  it("names a dead letter's innermost cause beneath the sink's per-batch wrapper", () => {
    const trace = [
      'java.lang.RuntimeException: Topic: [orders], Partition: [0], MinOffset: [1], MaxOffset: [1]',
      '\tat com.clickhouse.kafka.connect.sink.ProxySinkTask.put(ProxySinkTask.java:1)',
      'Caused by: java.util.concurrent.ExecutionException: wrapped',
      'Caused by: java.lang.IllegalArgumentException: length of byte array value is 12, which should NOT longer than 4',
      '\t... 12 more',
    ].join('\n');
    expect(rootCauseOf(trace)).toBe('java.lang.IllegalArgumentException: length of byte array value is 12, which should NOT longer than 4');
    expect(rootCauseOf('java.lang.RuntimeException: alone')).toBeUndefined();
    expect(rootCauseOf(undefined)).toBeUndefined();
    expect(
      deadLetterWhy({ partition: 0, offset: 1n, exceptionClass: 'java.lang.RuntimeException', error: 'Topic: [orders], Partition: [0], MinOffset: [1], MaxOffset: [1]', rootCause: rootCauseOf(trace) }, 'orders'),
    ).toBe('RuntimeException: Topic: [<topic>], Partition: [N], MinOffset: [N], MaxOffset: [N]; cause: IllegalArgumentException: length of byte array value is 12, which should NOT longer than 4');
    expect(deadLetterWhy({ partition: 0, offset: 1n, exceptionClass: 'org.apache.kafka.connect.errors.DataException', error: 'Mismatched names' }, 'orders')).toBe('DataException: Mismatched names');
  });

  it('shows values as ClickHouse gave them, -0 kept, long ones cut', () => {
    expect(shown([0, -0, 'nan', { a: 1 }])).toBe('[0,-0,"nan",{"a":1}]');
    expect(shown('x'.repeat(100))).toMatch(/^"x{68}\.\.\.$/);
  });
});

describe("the README's conformance table", () => {
  const result: ConformanceResult = {
    versions,
    elapsedMs: 1000,
    cases: [
      { name: 'int', title: 'int', clickhouse: 'Int32', values: [{ label: '0', connector: { kind: 'exact' }, kafka_engine: { kind: 'exact' } }] },
      {
        name: 'fixed',
        title: 'fixed(4)',
        clickhouse: 'FixedString(4)',
        values: [
          { label: 'zeros', connector: { kind: 'exact' }, kafka_engine: { kind: 'exact' } },
          { label: 'all 0xff', connector: { kind: 'rejected', where: 'DLQ', why: 'a | b' }, kafka_engine: { kind: 'stored differently', topic: '"x"', stored: '""' } },
        ],
      },
      { name: 'union_2', title: 'union', refused: { field: 'v', type: 'union', leg: 'both legs', why: 'no single type', fix: 'split it' }, values: [] },
    ],
  };

  it('has the versions, a row per type with counts per leg, and every value not stored exactly', () => {
    const table = renderConformance(result);
    expect(table.split('\n')).toEqual([
      'Measured on the embedded stack: ClickHouse 26.7.2.1, Kafka Connect 4.1.1, the ClickHouse sink connector v1.5.0 (built from its source release) reading Avro with Apicurio AvroConverter 2.6.13.Final.',
      '',
      '| Avro type | ClickHouse column | connector leg | Kafka-engine leg |',
      '|---|---|---|---|',
      '| int | `Int32` | exact (1 of 1) | exact (1 of 1) |',
      '| fixed(4) | `FixedString(4)` | 1 exact, **1 rejected** (of 2) | 1 exact, **1 stored differently** (of 2) |',
      '| union | refused | refused before anything is created: both legs: no single type | (same) |',
      '',
      'Every value a leg does not store exactly:',
      '',
      '- fixed(4), all 0xff: connector leg: rejected: DLQ (a | b)',
      '- fixed(4), all 0xff: Kafka-engine leg: stored as "" (the record holds "x")',
    ]);
  });

  it('goes between the markers, and reads back as written', () => {
    const readme = `# Kit\n\n${BEGIN}\nold\n${END}\n\nmore`;
    const table = renderConformance(result);
    const written = replaceTable(readme, table);
    expect(currentTable(written)).toBe(table);
    expect(written.endsWith(`${END}\n\nmore`)).toBe(true);
    expect(replaceTable(written, table)).toBe(written);
    expect(() => replaceTable('# no markers', table)).toThrow(/lacks the conformance markers/);
    expect(currentTable('# no markers')).toBeUndefined();
  });
});
