import { describe, expect, it } from 'vitest';
import { groupLag } from '../../src/health/lag.js';
import { isHung, needsLagTrend, stalledFor, STUCK_AFTER_SEC, verdict, type HealthSections, type KafkaConsumerHealth } from '../../src/health/model.js';

const WINDOW = { exceptionWindowSec: 300 };

function consumer(ages: number[] = []): KafkaConsumerHealth {
  return {
    consumerId: 'ClickHouse-host-kit-events_kafka_queue-1',
    assignments: [{ topic: 't', partition: 0, currentOffset: '10' }],
    numMessagesRead: 10,
    numCommits: 1,
    lastPollTime: '2026-01-01T00:00:00Z',
    lastPollAgeSec: 1,
    lastCommitTime: '2026-01-01T00:00:00Z',
    lastCommitAgeSec: 1,
    isCurrentlyUsed: true,
    dependencies: [['kit.events_kafka_mv', 'kit.events_kafka']],
    exceptions: ages.map((ageSec) => ({ time: '2026-01-01T00:00:00Z', ageSec, text: `Broker: Unknown topic or partition\n0. ? @ 0x1` })),
  };
}

/** A healthy kit: both groups caught up, connector RUNNING, one consumer without exceptions. */
function sections(over: Partial<HealthSections> = {}): HealthSections {
  const ends = [{ partition: 0, logStart: 0n, end: 10n }];
  return {
    at: '2026-01-01T00:00:00Z',
    topic: { name: 't', exists: true, partitions: 1, messages: 10 },
    lag: [groupLag('connector', 'connect-sink', ends, new Map([[0, 10n]])), groupLag('kafka_engine', 'ch', ends, new Map([[0, 10n]]))],
    connect: { url: 'http://w', reachable: true, version: '4.1', connector: { name: 'sink', deployed: true, state: 'RUNNING', worker: 'w:8083', tasks: [{ id: 0, state: 'RUNNING', worker: 'w:8083' }], traces: [] } },
    kafkaEngine: { table: 'kit.events_kafka_queue', exists: true, consumers: [consumer()] },
    dlq: { name: 't-dlq', exists: false, count: 0 },
    errorsTable: { name: 'kit.events_kafka_errors', exists: true, count: 0 },
    ingest: [],
    ...over,
  };
}

const running = (tasks: string[], state = 'RUNNING'): HealthSections['connect'] => ({
  url: 'http://w',
  reachable: true,
  version: '4.1',
  connector: { name: 'sink', deployed: true, state, worker: 'w', tasks: tasks.map((s, id) => ({ id, state: s, worker: 'w' })), traces: [] },
});

describe('verdict', () => {
  it('is healthy with exit 0 when nothing is wrong, with no notes', () => {
    expect(verdict(sections(), WINDOW)).toEqual({ healthy: true, problems: [], notes: [], exitCode: 0 });
  });

  it('is unhealthy on a FAILED task or connector', () => {
    const task = verdict(sections({ connect: running(['RUNNING', 'FAILED']) }), WINDOW);
    expect(task).toMatchObject({ healthy: false, exitCode: 1 });
    expect(task.problems).toEqual(['connector sink: task 1 FAILED']);
    const conn = verdict(sections({ connect: running([], 'FAILED') }), WINDOW);
    expect(conn.problems).toContain('connector sink FAILED');
  });

  it('is unhealthy on a consumer exception inside the window only', () => {
    const recent = verdict(sections({ kafkaEngine: { table: 'k', exists: true, consumers: [consumer([30, 900])] } }), WINDOW);
    expect(recent.exitCode).toBe(1);
    expect(recent.problems[0]).toMatch(/1 exception\(s\) in the last 5 min, newest 30 s ago: Broker: Unknown topic or partition$/);
    const old = verdict(sections({ kafkaEngine: { table: 'k', exists: true, consumers: [consumer([301, 900])] } }), WINDOW);
    expect(old).toMatchObject({ healthy: true, exitCode: 0 });
  });

  it('keeps lag, dead letters and error rows as notes: healthy', () => {
    const ends = [{ partition: 0, logStart: 0n, end: 10n }];
    const v = verdict(
      sections({
        lag: [groupLag('connector', 'connect-sink', ends, new Map([[0, 4n]])), groupLag('kafka_engine', 'ch', ends, new Map([[0, 10n]]))],
        dlq: { name: 't-dlq', exists: true, count: 2 },
        errorsTable: { name: 'e', exists: true, count: 1 },
      }),
      WINDOW,
    );
    expect(v.healthy).toBe(true);
    expect(v.notes).toEqual(['group connect-sink (connector) lags 6 message(s)', '2 record(s) in the DLQ topic t-dlq', '1 row(s) in the errors table e']);
  });

  it('says "not deployed" without complaining about the connector group, and survives an unreachable worker', () => {
    const notDeployed = sections({
      connect: { url: 'http://w', reachable: true, version: '4.1', connector: { name: 'sink', deployed: false, tasks: [], traces: [] } },
      lag: [groupLag('connector', 'connect-sink', [{ partition: 0, logStart: 0n, end: 10n }], undefined), sections().lag[1]!],
    });
    expect(verdict(notDeployed, WINDOW)).toEqual({ healthy: true, problems: [], notes: ['connector sink not deployed'], exitCode: 0 });

    const down = verdict(sections({ connect: { url: 'http://w', reachable: false, error: 'ECONNREFUSED', connector: { name: 'sink', tasks: [], traces: [] } } }), WINDOW);
    expect(down).toMatchObject({ healthy: true, exitCode: 0 });
    expect(down.notes[0]).toMatch(/Connect worker http:\/\/w not usable/);
  });

  it('is unhealthy when the topic or the Kafka-engine table is missing; a PAUSED connector is a note', () => {
    expect(verdict(sections({ topic: { name: 't', exists: false, partitions: 0, messages: 0 } }), WINDOW).problems).toEqual(['topic t does not exist']);
    expect(verdict(sections({ kafkaEngine: { table: 'kit.q', exists: false, consumers: [] } }), WINDOW).problems[0]).toMatch(/kit\.q does not exist/);
    const paused = verdict(sections({ connect: running(['PAUSED'], 'PAUSED') }), WINDOW);
    expect(paused).toMatchObject({ healthy: true, notes: ['connector sink is PAUSED'] });
  });

  it('keeps a running connector\'s tasks in other states (unknown ones too) as notes', () => {
    const v = verdict(sections({ connect: running(['RUNNING', 'UNASSIGNED', 'SUSPENDED']) }), WINDOW);
    expect(v).toMatchObject({ healthy: true, exitCode: 0, notes: ['connector sink: task 1 is UNASSIGNED, task 2 is SUSPENDED'] });
    const unknown = verdict(sections({ connect: running(['RUNNING'], 'DEGRADED') }), WINDOW);
    expect(unknown).toMatchObject({ healthy: true, notes: ['connector sink is DEGRADED'] });
  });
});

describe('verdict on a Kafka-engine consumer exception it may have recovered from', () => {
  // After a stack restart: "1/1 brokers are down" at 12:00:00, two minutes before the check.
  const brokersDown = { time: '2026-01-01T12:00:00Z', ageSec: 120, text: 'Local: All broker connections are down: 1/1 brokers are down\n0. ? @ 0x1' };
  const ends = [{ partition: 0, logStart: 0n, end: 100n }];
  const engineAt = (committed: bigint) => [groupLag('connector', 'connect-sink', ends, new Map([[0, 100n]])), groupLag('kafka_engine', 'ch', ends, new Map([[0, committed]]))];
  const after = (lastPollTime: string, lastCommitTime: string, committed = 100n): HealthSections =>
    sections({
      lag: engineAt(committed),
      kafkaEngine: { table: 'kit.events_kafka_queue', exists: true, consumers: [{ ...consumer(), lastPollTime, lastCommitTime, exceptions: [brokersDown] }] },
    });

  it('is a note once the consumer polled and committed since and its lag is 0', () => {
    const v = verdict(after('2026-01-01T12:01:55Z', '2026-01-01T12:01:50Z'), WINDOW);
    expect(v).toMatchObject({ healthy: true, exitCode: 0, problems: [] });
    expect(v.notes).toHaveLength(1);
    expect(v.notes[0]).toMatch(/1 exception\(s\) in the last 5 min, newest 120 s ago: Local: All broker connections are down: 1\/1 brokers are down \(recovered: polled at 2026-01-01T12:01:55Z, committed at 2026-01-01T12:01:50Z, lag 0 not growing\)$/);
  });

  it('is a note with lag left when the lag did not grow since the previous look', () => {
    const v = verdict(after('2026-01-01T12:01:55Z', '2026-01-01T12:01:50Z', 90n), { ...WINDOW, previousEngineLag: 40 });
    expect(v).toMatchObject({ healthy: true, exitCode: 0 });
    expect(v.notes).toContain('group ch (kafka_engine) lags 10 message(s)');
  });

  it('stays a failure while the consumer has not polled since the exception', () => {
    const v = verdict(after('2026-01-01T11:59:58Z', '2026-01-01T11:59:58Z'), WINDOW);
    expect(v).toMatchObject({ healthy: false, exitCode: 1 });
    expect(v.problems[0]).toMatch(/newest 120 s ago: Local: All broker connections are down: 1\/1 brokers are down$/);
  });

  it('stays a failure when it polls but has not committed what it lags, or its lag grows', () => {
    expect(verdict(after('2026-01-01T12:01:55Z', '2026-01-01T11:59:00Z', 90n), { ...WINDOW, previousEngineLag: 40 }).exitCode).toBe(1);
    expect(verdict(after('2026-01-01T12:01:55Z', '2026-01-01T12:01:50Z', 50n), { ...WINDOW, previousEngineLag: 40 }).exitCode).toBe(1);
  });

  it('asks for a second lag sample only when the lag decides it', () => {
    const lagging = after('2026-01-01T12:01:55Z', '2026-01-01T12:01:50Z', 90n);
    expect(verdict(lagging, WINDOW).exitCode).toBe(1);
    expect(needsLagTrend(lagging, WINDOW)).toBe(true);
    expect(needsLagTrend(lagging, { ...WINDOW, previousEngineLag: 10 })).toBe(false);
    expect(needsLagTrend(after('2026-01-01T12:01:55Z', '2026-01-01T12:01:50Z'), WINDOW)).toBe(false);
    expect(needsLagTrend(after('2026-01-01T11:59:58Z', '2026-01-01T11:59:58Z', 90n), WINDOW)).toBe(false);
  });
});

describe('a hung Kafka-engine consumer (held by its streaming thread, no poll)', () => {
  const hung = { ...consumer(), lastPollAgeSec: STUCK_AFTER_SEC + 1 };

  it('is unhealthy with the restart that frees it, even when its exception has aged out of the window', () => {
    const v = verdict(sections({ kafkaEngine: { table: 'kit.events_kafka_queue', exists: true, consumers: [hung] } }), WINDOW);
    expect(v.exitCode).toBe(1);
    expect(v.problems).toEqual([expect.stringMatching(/is hung: held by its streaming thread, no poll for 121 s .*npm run stack:restart -- clickhouse.*docker compose restart clickhouse/)]);
  });

  it('is told from a consumer between rounds, one polling, and one that never polled yet', () => {
    expect(isHung(hung)).toBe(true);
    expect(isHung({ ...hung, isCurrentlyUsed: false })).toBe(false);
    expect(isHung({ ...hung, lastPollAgeSec: STUCK_AFTER_SEC })).toBe(false);
    expect(isHung({ ...hung, lastPollAgeSec: undefined })).toBe(false);
    expect(isHung(hung, 600)).toBe(false);
    expect(verdict(sections(), WINDOW).exitCode).toBe(0);
  });
});

describe('a stalled Kafka-engine table (lag, and no commit for minutes)', () => {
  // As seen after a broker restart: the commit failed, the consumer polls without an assignment, its group has no member.
  const unassigned: KafkaConsumerHealth = { ...consumer(), consumerId: '', assignments: [], isCurrentlyUsed: false, lastPollAgeSec: 0, lastCommitAgeSec: 400 };
  const engine = (consumers: KafkaConsumerHealth[], watchedSec = 3600) => ({ table: 'kit.events_kafka_queue', exists: true, consumers, watchedSec });
  const lagging = (committed: bigint) => [groupLag('kafka_engine', 'ch', [{ partition: 0, logStart: 0n, end: 10n }], new Map([[0, committed]]))];

  it('is unhealthy on a second look with the lag not shrinking, naming DETACH/ATTACH and the restart', () => {
    const s = sections({ kafkaEngine: engine([unassigned]), lag: lagging(4n) });
    // One look cannot tell it from a table idle until a moment ago: health looks again.
    expect(needsLagTrend(s, WINDOW)).toBe(true);
    expect(verdict(s, WINDOW).exitCode).toBe(0);
    expect(verdict(s, { ...WINDOW, previousEngineLag: 7 }).exitCode).toBe(0);
    const v = verdict(s, { ...WINDOW, previousEngineLag: 6 });
    expect(v.exitCode).toBe(1);
    expect(v.problems).toEqual([
      expect.stringMatching(/is stalled: its group lags 6 message\(s\) and no consumer has committed for 400 s \(assigned: nothing\).*DETACH TABLE kit\.events_kafka_queue then ATTACH TABLE .*stack:restart -- clickhouse/),
    ]);
  });

  it('is told from a caught-up group, a recent commit, a table or server younger than the limit, and a hung consumer (reported as such)', () => {
    expect(stalledFor(engine([unassigned]), 6)).toBe(400);
    expect(stalledFor(engine([unassigned]), 0)).toBeUndefined();
    expect(stalledFor(engine([{ ...unassigned, lastCommitAgeSec: STUCK_AFTER_SEC }]), 6)).toBeUndefined();
    expect(stalledFor(engine([{ ...unassigned, lastCommitAgeSec: undefined }], 30), 6)).toBeUndefined();
    expect(stalledFor(engine([{ ...unassigned, lastCommitAgeSec: undefined }], 200), 6)).toBe(200);
    expect(stalledFor(engine([unassigned, { ...unassigned, lastCommitAgeSec: 2 }]), 6)).toBeUndefined();
    const hung = { ...unassigned, isCurrentlyUsed: true, lastPollAgeSec: 400 };
    const v = verdict(sections({ kafkaEngine: engine([hung]), lag: lagging(4n) }), { ...WINDOW, previousEngineLag: 6 });
    expect(v.problems).toEqual([expect.stringMatching(/is hung/)]);
  });
});
