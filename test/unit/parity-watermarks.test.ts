import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/pipeline/content.js';
import { add64, advanceSumsQuery, partSumsQuery, rangesAbove, validWatermarks, ZERO_UUID, type Watermark } from '../../src/parity/incremental/watermarks.js';
import { SCHEMAS, schemaFile } from './pipeline-fixtures.js';

const mark = (over: Partial<Watermark>): Watermark => ({
  leg: 'kafka_engine', table: 'kit.events_kafka', partition: 0, firstOffset: 0n, watermark: 99n, rowCount: 100n, offsetsChecksum: 1n, contentChecksum: 2n, tableUuid: ZERO_UUID, parts: [], ...over,
});
const truth = [
  { partition: 0, logStart: 0n, end: 200n },
  { partition: 1, logStart: 0n, end: 50n },
];
const legs = [{ leg: 'kafka_engine', table: 'kit.events_kafka' }, { leg: 'connector', table: 'kit.events_connect' }];

describe('validWatermarks', () => {
  it('resets a watermark proven on an earlier table of the same name (its UUID differs), keeps one without a UUID', () => {
    const was = '5e8c1d2a-0000-4000-8000-000000000001';
    const now = [{ leg: 'kafka_engine', table: 'kit.events_kafka', uuid: '5e8c1d2a-0000-4000-8000-000000000002' }];
    const { kept, resets } = validWatermarks([mark({ tableUuid: was }), mark({ partition: 1, watermark: 9n })], truth, now);
    expect(resets.map((r) => [r.partition, r.reason])).toEqual([[0, expect.stringMatching(/kit\.events_kafka was created again since the watermark was proven \(UUID 5e8c1d2a-0000-4000-8000-000000000001, now 5e8c1d2a-0000-4000-8000-000000000002\)/)]]);
    expect(kept.map((k) => k.partition)).toEqual([1]);
    expect(validWatermarks([mark({ tableUuid: was })], truth, [{ ...now[0]!, uuid: was }]).kept).toHaveLength(1);
  });

  it('keeps a watermark below the end of its partition, for the same table', () => {
    const { kept, resets } = validWatermarks([mark({})], truth, legs);
    expect(kept).toHaveLength(1);
    expect(resets).toEqual([]);
  });

  it('resets one at or above the end of the topic (recreated or truncated), saying so', () => {
    const { kept, resets } = validWatermarks([mark({ partition: 1, watermark: 50n })], truth, legs);
    expect(kept).toEqual([]);
    expect(resets[0]!.reason).toMatch(/ends at offset 49, below the watermark 50: it was recreated or truncated/);
  });

  it('resets one kept for another table, and one for a partition the topic no longer has', () => {
    const { resets } = validWatermarks([mark({ table: 'kit.old_events' }), mark({ partition: 7 })], truth, legs);
    expect(resets.map((r) => r.reason)).toEqual([expect.stringMatching(/for table kit\.old_events/), expect.stringMatching(/partition 7 is gone/)]);
  });

  it('ignores a dropped watermark (below its first offset) and legs it does not check', () => {
    const { kept, resets } = validWatermarks([mark({ watermark: -1n }), mark({ leg: 'elsewhere' })], truth, legs);
    expect(kept).toEqual([]);
    expect(resets).toEqual([]);
  });
});

describe('rangesAbove', () => {
  const ranges = [{ partition: 0, from: 0n, to: 199n }, { partition: 1, from: 0n, to: 49n }];

  it('starts each partition just above the lowest watermark of the legs checked', () => {
    const marks = [mark({ watermark: 99n }), mark({ leg: 'connector', table: 'kit.events_connect', watermark: 149n })];
    expect(rangesAbove(ranges, marks, ['kafka_engine', 'connector'])).toEqual([{ partition: 0, from: 100n, to: 199n }, { partition: 1, from: 0n, to: 49n }]);
  });

  it('starts at the range when a leg has no watermark there, and never before it', () => {
    expect(rangesAbove(ranges, [mark({})], ['kafka_engine', 'connector'])[0]).toEqual({ partition: 0, from: 0n, to: 199n });
    expect(rangesAbove([{ partition: 0, from: 120n, to: 199n }], [mark({})], ['kafka_engine'])[0]!.from).toBe(120n);
  });
});

describe('add64', () => {
  it("wraps as ClickHouse's UInt64 sums do", () => {
    expect(add64((1n << 64n) - 1n, 2n)).toBe(1n);
  });
});

describe('partSumsQuery', () => {
  it('sums per part and partition, leaving out each range\'s known parts by bound parameter', () => {
    const q = partSumsQuery('kit.events_kafka', 't', [
      { partition: 0, from: 0n, to: 99n, skipParts: ['all_1_5_1', "x') OR 1 --"] },
      { partition: 1, from: 0n, to: 49n },
    ]);
    expect(q.query).toMatch(/GROUP BY _part, _partition/);
    expect(q.query).toMatch(/\(_partition = \{p0:Int32\} AND _offset BETWEEN \{lo0:Int64\} AND \{hi0:Int64\} AND _part NOT IN \{skip0:Array\(String\)\}\)/);
    expect(q.query).toMatch(/\(_partition = \{p1:Int32\} AND _offset BETWEEN \{lo1:Int64\} AND \{hi1:Int64\}\)/);
    expect(q.query).not.toContain('all_1_5_1');
    expect(q.params).toMatchObject({ skip0: ['all_1_5_1', "x') OR 1 --"], p1: 1, hi1: '49' });
  });
});

describe('advanceSumsQuery', () => {
  it('counts the whole checked window and sums only from where each watermark moves, in one statement', () => {
    const hash = contentHash(schemaFile(SCHEMAS.userEvents).columns);
    const q = advanceSumsQuery('kit.events_kafka', 't', [
      { partition: 0, windowFrom: 100n, from: 150n, to: 199n },
      { partition: 2, windowFrom: 100n, from: 100n, to: 199n },
      { partition: 1, windowFrom: 100n, from: 100n, to: 99n },
    ], hash);
    expect(q.query).toMatch(/count\(\) AS window_rows/);
    expect(q.query).toMatch(/countIf\(_offset >= multiIf\(_partition = \{p0:Int32\}, \{f0:Int64\}, _partition = \{p1:Int32\}, \{f1:Int64\}, 0\)\) AS rows/);
    expect(q.params).toMatchObject({ p0: 0, lo0: '100', hi0: '199', f0: '150', p1: 2, lo1: '100', f1: '100' });
    expect(q.params).not.toHaveProperty('f2');
    expect(q.query).toMatch(/GROUP BY _part, _partition/);
    // The content checksum hashes the pipeline's content with the offset.
    expect(q.query).toContain(`sumIf(cityHash64(${hash}, _offset), _offset >= multiIf(`);
    expect(hash).toBe("cityHash64(`id`, `user_id`, `action`, `event_time`, `version`, tuple(`referrer`))");
  });
});
