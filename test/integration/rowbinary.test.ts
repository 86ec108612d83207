/**
 * The kit's RowBinary writer against ClickHouse's own: the same row selected FORMAT
 * RowBinary is the same bytes, and the writer's bytes insert as the same values.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { queryRows } from '../../src/clickhouse/query.js';
import { EVENT_ROW_COLUMNS, RowBinaryWriter, type EventRow } from '../../src/clickhouse/rowbinary.js';
import { loadConfig } from '../../src/config.js';

const config = loadConfig();
const db = `it_rowbinary_${randomBytes(4).toString('hex')}`;
let ch: ClickHouseClient;

const rows: EventRow[] = [
  { event: { id: 'a-1', user_id: 'user-00001', action: 'click', event_time: 1767225600123, version: 1, referrer: 'ads' }, topic: 'user_events', partition: 2, offset: 9007199254740993n, kafkaTimestamp: 1767225601999 },
  { event: { id: 'é—😀', user_id: '', action: 'view', event_time: 0, version: -7, referrer: null }, topic: 't', partition: 0, offset: 0n, kafkaTimestamp: 1 },
];

const literal = (r: EventRow) =>
  `(${[
    `'${r.event.id}'`,
    `'${r.event.user_id}'`,
    `'${r.event.action}'`,
    `fromUnixTimestamp64Milli(toInt64(${r.event.event_time}), 'UTC')`,
    r.event.version,
    r.event.referrer === null ? 'NULL' : `'${r.event.referrer}'`,
    `'${r.topic}'`,
    r.partition,
    `toInt64('${r.offset}')`,
    `fromUnixTimestamp64Milli(toInt64(${r.kafkaTimestamp}), 'UTC')`,
  ].join(', ')})`;

async function post(query: string, body?: Buffer): Promise<Buffer> {
  const url = new URL(config.clickhouse.url);
  url.searchParams.set('query', query);
  const auth = Buffer.from(`${config.clickhouse.admin.user}:${config.clickhouse.admin.password}`).toString('base64');
  const res = await fetch(url, { method: 'POST', headers: { Authorization: `Basic ${auth}` }, body: body ? new Uint8Array(body) : undefined });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${bytes.toString('utf8')}`);
  return bytes;
}

beforeAll(async () => {
  ch = clickhouseClient(config, 'admin');
  await ch.command({ query: `CREATE DATABASE ${db}` });
  await ch.command({
    query: `CREATE TABLE ${db}.t (id String, user_id String, action LowCardinality(String), event_time DateTime64(3, 'UTC'), version Int32,
              referrer Nullable(String), _topic LowCardinality(String), _partition Int32, _offset Int64, _kafka_timestamp DateTime64(3, 'UTC'))
            ENGINE = MergeTree ORDER BY _offset`,
  });
  await ch.command({ query: `INSERT INTO ${db}.t VALUES ${rows.map(literal).join(', ')}` });
});

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  await ch?.close();
});

describe('RowBinary for the event rows', () => {
  it("is byte for byte what ClickHouse itself writes for the same rows", async () => {
    const theirs = await post(`SELECT ${EVENT_ROW_COLUMNS.join(', ')} FROM ${db}.t ORDER BY _offset DESC FORMAT RowBinary`);
    const w = new RowBinaryWriter(8);
    for (const r of rows) w.eventRow(r);
    expect(w.take().equals(theirs)).toBe(true);
  });

  it('inserts as the same values', async () => {
    const w = new RowBinaryWriter();
    for (const r of rows) w.eventRow(r);
    await post(`INSERT INTO ${db}.t (${EVENT_ROW_COLUMNS.join(', ')}) FORMAT RowBinary`, w.take());
    const [r] = await queryRows<{ pairs: string }>(ch, {
      query: `SELECT count() AS pairs FROM (SELECT * FROM ${db}.t GROUP BY ALL HAVING count() = 2)`,
      params: {},
    });
    expect(r?.pairs).toBe('2');
  });
});
