import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli.js';
import {
  clearKeeperState,
  countStateSql,
  deleteStateSql,
  keeperStateTarget,
  type SqlRunner,
} from '../../src/connect/keeper-state.js';
import { offsetRows, resetOffsets } from '../../src/connect/offsets.js';
import type { ConnectClient } from '../../src/connect/rest.js';

const CH = 'com.clickhouse.kafka.connect.ClickHouseSinkConnector';

describe('offsets', () => {
  it('tabulates sink offsets by topic-partition, numerically', () => {
    const rows = offsetRows({
      offsets: [
        { partition: { kafka_topic: 't', kafka_partition: 10 }, offset: { kafka_offset: 5 } },
        { partition: { kafka_topic: 't', kafka_partition: 2 }, offset: { kafka_offset: 7 } },
        { partition: { filename: '/in' }, offset: { position: 42 } },
      ],
    });
    expect(rows).toEqual([
      { partition: '{"filename":"/in"}', offset: '{"position":42}' },
      { partition: 't-2', offset: '7' },
      { partition: 't-10', offset: '5' },
    ]);
  });
});

describe('exactly-once KeeperMap state', () => {
  it('exists only for the ClickHouse sink with exactlyOnce=true', () => {
    expect(keeperStateTarget({ 'connector.class': CH, topics: 't', exactlyOnce: 'false' })).toBeUndefined();
    expect(keeperStateTarget({ 'connector.class': 'FileStreamSink', topics: 't', exactlyOnce: 'true' })).toBeUndefined();
    expect(keeperStateTarget({ 'connector.class': CH, topics: 'user.events, b', exactlyOnce: 'true', database: 'kit' })).toEqual({
      database: 'kit',
      table: 'connect_state',
      keyPattern: '^(?:user\\.events|b)-[0-9]+$',
    });
    expect(keeperStateTarget({ 'connector.class': CH, 'topics.regex': 'ev.*', exactlyOnce: 'TRUE', zkDatabase: 'st' })).toMatchObject({
      database: 'default',
      table: 'st',
      keyPattern: '^(?:ev.*)-[0-9]+$',
    });
  });

  it('deletes exactly the connector topic rows, with SQL-escaped literals', () => {
    const t = { database: 'kit', table: 'connect_state', keyPattern: "^(?:user\\.ev'x)-[0-9]+$" };
    expect(deleteStateSql(t)).toBe("DELETE FROM `kit`.`connect_state` WHERE match(key, '^(?:user\\\\.ev\\'x)-[0-9]+$')");
    expect(countStateSql(t)).toMatch(/^SELECT count\(\) AS rows FROM `kit`\.`connect_state` WHERE match/);
  });

  it('counts, deletes, and treats a missing state table as nothing to clear', async () => {
    const t = keeperStateTarget({ 'connector.class': CH, topics: 't', exactlyOnce: 'true', database: 'kit' })!;
    const ran: string[] = [];
    const sql: SqlRunner = {
      query: async (q) => (ran.push(q), [{ rows: '3' }]),
      command: async (q) => void ran.push(q),
    };
    expect(await clearKeeperState(sql, t)).toBe(3);
    expect(ran).toEqual([countStateSql(t), deleteStateSql(t)]);
    const missing: SqlRunner = {
      query: async () => {
        throw new Error("Code: 60. DB::Exception: Table kit.connect_state does not exist. (UNKNOWN_TABLE)");
      },
      command: async () => {
        throw new Error('must not run');
      },
    };
    expect(await clearKeeperState(missing, t)).toBe(0);
  });
});

describe('offsets --reset', () => {
  function worker(config: Record<string, string>) {
    const calls: string[] = [];
    const client = {
      url: 'http://w',
      getConfig: async () => config,
      status: async () => ({ name: 'c', connector: { state: calls.includes('stop') ? 'STOPPED' : 'RUNNING', worker_id: 'w' }, tasks: [], type: 'sink' }),
      stop: async () => void calls.push('stop'),
      resetOffsets: async () => (calls.push('reset'), 'The offsets for this connector have been reset successfully'),
    };
    return { client: client as unknown as ConnectClient, calls };
  }

  it('without --yes says every step, the KeeperMap one included, and does nothing', async () => {
    const { client, calls } = worker({ 'connector.class': CH, topics: 't', exactlyOnce: 'true', database: 'kit' });
    const err = await resetOffsets(client, 'c').catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/1\. stop connector c/);
    expect(err.message).toMatch(/2\. delete its committed offsets .*consumer group connect-c/);
    expect(err.message).toMatch(/3\. delete the exactly-once state rows \(KeeperMap\) in ClickHouse: DELETE FROM `kit`\.`connect_state`/);
    expect(err.message).toMatch(/rerun with --yes/);
    expect(calls).toEqual([]);
  });

  it('with --yes stops, resets, and clears the KeeperMap state', async () => {
    const { client, calls } = worker({ 'connector.class': CH, topics: 't', exactlyOnce: 'true', database: 'kit' });
    const ran: string[] = [];
    const sql: SqlRunner = { query: async (q) => (ran.push(q), [{ rows: 1 }]), command: async (q) => void ran.push(q) };
    const result = await resetOffsets(client, 'c', { yes: true, sql: () => sql, pollMs: 1 });
    expect(calls).toEqual(['stop', 'reset']);
    expect(result.keeperRowsDeleted).toBe(1);
    expect(ran[1]).toMatch(/^DELETE FROM `kit`\.`connect_state`/);
  });

  it('leaves ClickHouse alone when exactly-once is off', async () => {
    const { client, calls } = worker({ 'connector.class': CH, topics: 't', exactlyOnce: 'false' });
    const result = await resetOffsets(client, 'c', { yes: true, pollMs: 1 });
    expect(calls).toEqual(['stop', 'reset']);
    expect(result.keeperRowsDeleted).toBeUndefined();
    expect(result.steps).toHaveLength(3);
  });
});
