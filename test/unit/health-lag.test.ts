import { describe, expect, it } from 'vitest';
import { groupLag, partitionLag, retainedMessages, type PartitionEnds } from '../../src/health/lag.js';

const ends = (partition: number, logStart: number, end: number): PartitionEnds => ({ partition, logStart: BigInt(logStart), end: BigInt(end) });

describe('partitionLag', () => {
  it('is end minus committed while the commit lies within the log', () => {
    expect(partitionLag(ends(0, 0, 100), 60n)).toEqual({ partition: 0, logStart: '0', end: '100', committed: '60', lag: 40, state: 'ok' });
    expect(partitionLag(ends(0, 10, 100), 100n)).toMatchObject({ lag: 0, state: 'ok' });
    expect(partitionLag(ends(0, 10, 100), 10n)).toMatchObject({ lag: 90, state: 'ok' });
  });

  it('is unknown when the group committed nothing for the partition', () => {
    expect(partitionLag(ends(2, 0, 5), undefined)).toEqual({ partition: 2, logStart: '0', end: '5', state: 'no-commit' });
  });

  it('counts from the log start when retention deleted the committed offset', () => {
    expect(partitionLag(ends(1, 500, 800), 200n)).toMatchObject({ committed: '200', lag: 300, state: 'behind-log-start' });
  });

  it('is 0 when the commit is past the end (a recreated topic)', () => {
    expect(partitionLag(ends(1, 0, 10), 50n)).toMatchObject({ committed: '50', lag: 0, state: 'ahead' });
  });

  it('keeps offsets beyond 2^53 exact as strings', () => {
    const big = 2n ** 60n;
    expect(partitionLag({ partition: 0, logStart: big, end: big + 7n }, big + 2n)).toMatchObject({ end: (big + 7n).toString(), committed: (big + 2n).toString(), lag: 5 });
  });
});

describe('groupLag', () => {
  const topic = [ends(2, 0, 30), ends(0, 0, 10), ends(1, 0, 20)];

  it('covers every partition in order and sums the known lags', () => {
    const g = groupLag('kafka_engine', 'g', topic, new Map([[0, 10n], [1, 15n]]));
    expect(g.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(g.partitions.map((p) => p.lag)).toEqual([0, 5, undefined]);
    expect(g).toMatchObject({ leg: 'kafka_engine', group: 'g', committed: true, totalLag: 5, unknown: 1 });
  });

  it('says a group that never committed is not committed, with every lag unknown', () => {
    const g = groupLag('connector', 'connect-x', topic, undefined);
    expect(g).toMatchObject({ committed: false, totalLag: 0, unknown: 3 });
    expect(g.partitions.every((p) => p.state === 'no-commit')).toBe(true);
  });

  it('is empty for a topic without partitions (absent)', () => {
    expect(groupLag('connector', 'c', [], new Map())).toMatchObject({ committed: false, partitions: [], totalLag: 0, unknown: 0 });
  });
});

describe('retainedMessages', () => {
  it('sums end minus log start: what a DLQ topic holds', () => {
    expect(retainedMessages([ends(0, 3, 10), ends(1, 0, 0), ends(2, 5, 6)])).toBe(8);
    expect(retainedMessages([])).toBe(0);
  });
});
