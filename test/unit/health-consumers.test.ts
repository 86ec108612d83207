import { describe, expect, it } from 'vitest';
import { consumerFromRow, EXCEPTIONS_KEPT, kafkaConsumersQuery } from '../../src/health/collect.js';

const row = (ages: number[]) => ({
  consumer_id: 'ClickHouse-host-kit-events_kafka_queue-1',
  topics: ['t', 't'],
  partitions: [0, 1],
  offsets: [12, '9007199254740993'],
  num_messages_read: 21,
  num_commits: 2,
  last_poll: '2026-01-01T00:00:09Z',
  last_poll_age: 4 as number | null,
  last_commit: '2026-01-01T00:00:08Z',
  last_commit_age: 5 as number | null,
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

  it('keeps the seconds since the last poll and commit, none before the first', () => {
    expect(consumerFromRow(row([]))).toMatchObject({ lastPollAgeSec: 4, lastCommitAgeSec: 5 });
    const never = consumerFromRow({ ...row([]), last_poll_age: null, last_commit_age: null });
    expect([never.lastPollAgeSec, never.lastCommitAgeSec]).toEqual([undefined, undefined]);
  });

  it('zips the exception arrays, newest first, keeping the latest few', () => {
    const c = consumerFromRow(row([600, 5, 3000, 60, 1, 7, 120]));
    expect(c.exceptions).toHaveLength(EXCEPTIONS_KEPT);
    expect(c.exceptions.map((e) => e.ageSec)).toEqual([1, 5, 7, 60, 120]);
    expect(c.exceptions[0]).toEqual({ time: 't-1', ageSec: 1, text: 'error 1\n0. ? @ 0x1' });
  });
});

/** What a query reads from system.kafka_consumers: its lower-case identifiers that are not aliases, functions, literals or the lambda's `t`. */
function columnsRead(query: string): string[] {
  const body = query
    .replace(/'[^']*'/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\bAS \w+/g, '')
    .replace(/\bFROM system\.kafka_consumers\b/, '');
  return [...body.matchAll(/\b([a-z][a-z_]*(?:\.[a-z_]+)?)\b(?!\s*\()/g)].map((m) => m[1]!).filter((w) => w !== 't');
}

describe('the system.kafka_consumers query, built from the columns the server has', () => {
  // system.columns for system.kafka_consumers on ClickHouse 25.8 (no dependencies yet) and on 26.7.
  const v25_8 = new Set(['database', 'table', 'consumer_id', 'assignments.topic', 'assignments.partition_id', 'assignments.current_offset', 'assignments.intent_size', 'exceptions.time', 'exceptions.text', 'last_poll_time', 'num_messages_read', 'last_commit_time', 'num_commits', 'last_rebalance_time', 'num_rebalance_revocations', 'num_rebalance_assignments', 'is_currently_used', 'last_used', 'rdkafka_stat']);
  const v26_7 = new Set([...v25_8, 'dependencies', 'missing_dependencies']);

  it('reads only columns ClickHouse 25.8 has', () => {
    const read = columnsRead(kafkaConsumersQuery(v25_8));
    expect(read).toContain('last_poll_time');
    expect(read).toContain('exceptions.time');
    for (const column of read) expect(v25_8.has(column), `${column} is not a column of system.kafka_consumers on 25.8`).toBe(true);
  });

  it('reads the views reading the table where the server has them', () => {
    expect(columnsRead(kafkaConsumersQuery(v26_7))).toContain('dependencies');
  });

  it('leaves dependencies out of a consumer when the server does not report them', () => {
    const { dependencies: _, ...without } = row([]);
    expect(consumerFromRow(without)).not.toHaveProperty('dependencies');
    expect(consumerFromRow(row([])).dependencies).toEqual([['kit.events_kafka_mv', 'kit.events_kafka']]);
  });
});
