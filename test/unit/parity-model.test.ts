import { describe, expect, it } from 'vitest';
import { legsOf } from '../../src/parity/legs.js';
import { findingText, judge, judgePartition, partitionExact, topicDifferenceText, type Finding } from '../../src/parity/model.js';
import type { WitnessReport } from '../../src/parity/witness/witness.js';
import { legReport, parityReport, partitionReport } from './parity-fixtures.js';
import { shippedPipeline } from './pipeline-fixtures.js';

const settled = { settled: true, content: { compared: false, partitions: [], differing: 0, examples: [] } };

function witness(partition: number, leg: string, over: { equal: boolean; differing: number; columns: Record<string, number>; notEvents: number }): WitnessReport {
  return {
    compared: true,
    sample: { percent: 100, sampled: 1, read: 1, note: '' },
    legs: [],
    examples: [],
    undecodable: [],
    phasesMs: { read: 1, compare: 1 },
    elapsedMs: 2,
    partitions: [{ partition, events: 100, undecodable: 0, checksum: '1', legs: [{ leg, rows: 100, checksum: '2', ...over }] }],
  };
}

describe('judgePartition', () => {
  it('finds nothing in an exact partition', () => {
    expect(judgePartition(settled, 'connector', partitionReport(0))).toEqual([]);
  });

  it('finds offsets missing and duplicated, with their ranges', () => {
    const p = partitionReport(0, { rows: 99, distinctOffsets: 97, duplicates: 2, missing: 3, missingRanges: [{ from: '10', to: '12' }], duplicateRanges: [{ from: '5', to: '6', copies: 2 }] });
    expect(judgePartition(settled, 'connector', p)).toEqual([
      { kind: 'missing', offsets: 3, ranges: [{ from: '10', to: '12' }] },
      { kind: 'duplicates', rows: 2, ranges: [{ from: '5', to: '6', copies: 2 }] },
    ]);
  });

  it('finds accounting that does not add up: expected = landed + dead-lettered + error rows + missing', () => {
    expect(judgePartition(settled, 'kafka_engine', partitionReport(0, { distinctOffsets: 97, errorRows: 2, deadLettered: 1 }))).toEqual([]);
    expect(judgePartition(settled, 'kafka_engine', partitionReport(0, { distinctOffsets: 97, errorRows: 2 }))).toEqual([{ kind: 'accounting', expected: 100, landed: 97, deadLettered: 0, errorRows: 2, missing: 0 }]);
  });

  it('finds an unsettled run on every partition', () => {
    expect(judgePartition({ ...settled, settled: false, settleNote: 'lag 5 on connector' }, 'connector', partitionReport(1))).toEqual([{ kind: 'not-settled', note: 'lag 5 on connector' }]);
  });

  it('finds content that differs between the legs, in the partitions compared', () => {
    const content = { compared: true, partitions: [{ partition: 0, equal: false, differing: 4 }, { partition: 1, equal: true, differing: 0 }], differing: 4, examples: [] };
    expect(judgePartition({ settled: true, content }, 'connector', partitionReport(0))).toEqual([{ kind: 'differs-between-legs', offsets: 4 }]);
    expect(judgePartition({ settled: true, content }, 'connector', partitionReport(1))).toEqual([]);
    expect(judgePartition({ settled: true, content: { ...content, compared: false } }, 'connector', partitionReport(0))).toEqual([]);
  });

  it("finds a leg that differs from the topic, naming the columns that differ", () => {
    const w = witness(2, 'kafka_engine', { equal: false, differing: 3, columns: { total: 2, note: 0, tags: 1 }, notEvents: 1 });
    expect(judgePartition({ ...settled, witness: w }, 'kafka_engine', partitionReport(2))).toEqual([{ kind: 'differs-from-topic', offsets: 3, columns: { total: 2, tags: 1 }, notEvents: 1 }]);
    expect(judgePartition({ ...settled, witness: w }, 'connector', partitionReport(2))).toEqual([]);
    expect(judgePartition({ ...settled, witness: w }, 'kafka_engine', partitionReport(1))).toEqual([]);
  });
});

describe('judge', () => {
  it("fills in every leg's partition findings, in place", () => {
    const bad = partitionReport(0, { missing: 1, distinctOffsets: 99, rows: 99, missingRanges: [{ from: '7', to: '7' }], findings: [{ kind: 'not-settled', note: 'stale' }] });
    const good = partitionReport(1, { findings: [{ kind: 'not-settled', note: 'stale' }] });
    const report = { ...settled, legs: [legReport('connector', [bad, good])] };
    expect(judge(report)).toBe(report);
    expect(bad.findings).toEqual([{ kind: 'missing', offsets: 1, ranges: [{ from: '7', to: '7' }] }]);
    expect(good.findings).toEqual([]);
    expect(partitionExact(bad)).toBe(false);
    expect(partitionExact(good)).toBe(true);
  });

  it('is what the hand-built reports of the tests carry', () => {
    const r = parityReport([legReport('connector', [partitionReport(0, { duplicates: 1, rows: 101, duplicateRanges: [{ from: '3', to: '3', copies: 2 }] })])]);
    expect(r.legs[0]!.partitions[0]!.findings).toEqual([{ kind: 'duplicates', rows: 1, ranges: [{ from: '3', to: '3', copies: 2 }] }]);
  });
});

describe('findingText', () => {
  it('says each finding in words', () => {
    const texts = ([
      { kind: 'not-settled', note: 'lag 5' },
      { kind: 'missing', offsets: 4, ranges: [{ from: '10', to: '12' }, { from: '20', to: '20' }] },
      { kind: 'duplicates', rows: 3, ranges: [{ from: '5', to: '6', copies: 2 }, { from: '9', to: '9', copies: 3 }] },
      { kind: 'accounting', expected: 100, landed: 97, deadLettered: 1, errorRows: 0, missing: 0 },
      { kind: 'differs-between-legs', offsets: 4 },
      { kind: 'differs-from-topic', offsets: 3, columns: { total: 2, tags: 1 }, notEvents: 1 },
    ] as Finding[]).map(findingText);
    expect(texts).toEqual([
      'not settled: lag 5',
      '4 offsets missing: [10, 12], 20',
      '3 duplicate rows: [5, 6] x2, 9 x3',
      'expected 100 != landed 97 + dead-lettered 1 + error rows 0 + missing 0',
      'content differs from the other leg at 4 offsets',
      'differs from the topic at 3 offsets (total 2, tags 1, 1 rows where the topic holds no event)',
    ]);
  });

  it('names ten ranges and counts the rest', () => {
    const ranges = Array.from({ length: 12 }, (_, i) => ({ from: String(i * 10), to: String(i * 10) }));
    expect(findingText({ kind: 'missing', offsets: 12, ranges })).toBe('12 offsets missing: 0, 10, 20, 30, 40, 50, 60, 70, 80, 90 (+2 more)');
  });

  it('leaves columns without a difference out of the topic difference', () => {
    expect(topicDifferenceText({ columns: { a: 0, b: 2 }, notEvents: 0 })).toBe('b 2');
  });
});

describe('legsOf', () => {
  it("checks a pipeline's connector table with the connector's group and dead letters, and its Kafka table with the engine's group and errors", () => {
    expect(legsOf(shippedPipeline('user_events'))).toEqual([
      { name: 'connector', database: 'kit', table: 'events_connect', group: 'connect-clickhouse-sink', dlqTopic: 'user_events-dlq' },
      { name: 'kafka_engine', database: 'kit', table: 'events_kafka', group: 'clickhouse-kit-user-events', errorsTable: 'events_kafka_errors' },
    ]);
    expect(legsOf(shippedPipeline('orders'), { kafkaTable: 'other', dlqTopic: 'dlq' }).map((l) => [l.table, l.dlqTopic ?? l.errorsTable])).toEqual([
      ['orders_connect', 'dlq'],
      ['other', 'orders_kafka_errors'],
    ]);
  });
});
