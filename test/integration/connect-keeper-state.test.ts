/**
 * The SQL `offsets --reset` runs to clear the ClickHouse sink's exactly-once state, against
 * the embedded ClickHouse. Its engine has no Keeper, so a MergeTree table of the
 * connector's KeeperMap shape stands in (same columns, same DELETE FROM ... WHERE match);
 * the Docker e2e stack has the real KeeperMap.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { loadConfig } from '../../src/config.js';
import { clearKeeperState, keeperStateTarget, type SqlRunner } from '../../src/connect/keeper-state.js';

const database = `it_connect_${randomBytes(4).toString('hex')}`;
let ch: ClickHouseClient;
let sql: SqlRunner;

beforeAll(async () => {
  ch = clickhouseClient(loadConfig(), 'admin');
  sql = {
    query: async (q) => (await ch.query({ query: q, format: 'JSONEachRow' })).json<Record<string, unknown>>(),
    command: async (q) => void (await ch.command({ query: q })),
  };
  await ch.command({ query: `CREATE DATABASE ${database}` });
});

afterAll(async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await ch.close();
});

describe('clearing exactly-once state in ClickHouse', () => {
  const target = keeperStateTarget({
    'connector.class': 'com.clickhouse.kafka.connect.ClickHouseSinkConnector',
    topics: 'user.events',
    exactlyOnce: 'true',
    database,
  })!;

  it('treats a state table that was never created as nothing to clear', async () => {
    expect(await clearKeeperState(sql, target)).toBe(0);
    expect(await clearKeeperState(sql, { ...target, database: `${database}_missing` })).toBe(0);
  });

  it("deletes exactly the connector's topic-partition rows", async () => {
    await ch.command({
      query: `CREATE TABLE ${database}.connect_state (\`key\` String, minOffset Int64, maxOffset Int64, state String) ENGINE = MergeTree ORDER BY key`,
    });
    await ch.command({
      query: `INSERT INTO ${database}.connect_state VALUES ('user.events-0',0,9,'AFTER_PROCESSING'),('user.events-12',10,19,'AFTER_PROCESSING'),('userXevents-0',0,1,'AFTER_PROCESSING'),('user.events.b-0',0,1,'AFTER_PROCESSING')`,
    });
    expect(await clearKeeperState(sql, target)).toBe(2);
    const left = await sql.query(`SELECT key FROM ${database}.connect_state ORDER BY key`);
    expect(left.map((r) => r.key)).toEqual(['user.events.b-0', 'userXevents-0']);
  });
});
