import { describe, expect, it } from 'vitest';
import { add64, partSumsQuery, rangesAbove, validWatermarks, type Watermark } from '../../src/parity/incremental/watermarks.js';

const mark = (over: Partial<Watermark>): Watermark => ({
  leg: 'kafka_engine', table: 'kit.events_kafka', partition: 0, firstOffset: 0n, watermark: 99n, rowCount: 100n, offsetsChecksum: 1n, contentChecksum: 2n, parts: [], ...over,
});
const truth = [
  { partition: 0, logStart: 0n, end: 200n },
  { partition: 1, logStart: 0n, end: 50n },
];
const legs = [{ leg: 'kafka_engine', table: 'kit.events_kafka' }, { leg: 'connector', table: 'kit.events_connect' }];

describe('validWatermarks', () => {
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
    ], false);
    expect(q.query).toMatch(/GROUP BY _part, _partition/);
    expect(q.query).toMatch(/\(_partition = \{p0:Int32\} AND _offset BETWEEN \{lo0:Int64\} AND \{hi0:Int64\} AND _part NOT IN \{skip0:Array\(String\)\}\)/);
    expect(q.query).toMatch(/\(_partition = \{p1:Int32\} AND _offset BETWEEN \{lo1:Int64\} AND \{hi1:Int64\}\)/);
    expect(q.query).not.toContain('all_1_5_1');
    expect(q.params).toMatchObject({ skip0: ['all_1_5_1', "x') OR 1 --"], p1: 1, hi1: '49' });
    expect(q.query).not.toMatch(/content_checksum/);
    expect(partSumsQuery('kit.events_kafka', 't', [{ partition: 0, from: 0n, to: 9n }], true).query).toMatch(/content_checksum/);
  });
});
