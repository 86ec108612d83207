import { describe, expect, it } from 'vitest';
import { consumerFromRow, EXCEPTIONS_KEPT } from '../../src/health/collect.js';

const row = (ages: number[]) => ({
  consumer_id: 'ClickHouse-host-kit-events_kafka_queue-1',
  topics: ['t', 't'],
  partitions: [0, 1],
  offsets: [12, '9007199254740993'],
  num_messages_read: 21,
  num_commits: 2,
  last_poll: '2026-01-01T00:00:09Z',
  last_commit: '2026-01-01T00:00:08Z',
  is_currently_used: 1,
  dependencies: [['kit.events_kafka_mv', 'kit.events_kafka']],
  exception_times: ages.map((a) => `t-${a}`),
  exception_ages: ages,
  exception_texts: ages.map((a) => `error ${a}\n0. ? @ 0x1`),
});

describe('consumerFromRow (system.kafka_consumers)', () => {
  it('zips the assignment arrays and keeps offsets as strings', () => {
    const c = consumerFromRow(row([]));
    expect(c.assignments).toEqual([
      { topic: 't', partition: 0, currentOffset: '12' },
      { topic: 't', partition: 1, currentOffset: '9007199254740993' },
    ]);
    expect(c).toMatchObject({ numMessagesRead: 21, numCommits: 2, isCurrentlyUsed: true, exceptions: [] });
  });

  it('zips the exception arrays, newest first, keeping the latest few', () => {
    const c = consumerFromRow(row([600, 5, 3000, 60, 1, 7, 120]));
    expect(c.exceptions).toHaveLength(EXCEPTIONS_KEPT);
    expect(c.exceptions.map((e) => e.ageSec)).toEqual([1, 5, 7, 60, 120]);
    expect(c.exceptions[0]).toEqual({ time: 't-1', ageSec: 1, text: 'error 1\n0. ? @ 0x1' });
  });
});
