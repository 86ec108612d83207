/**
 * Each leg's ingest over the last minute, from its own rows: how many landed per second,
 * and how fresh they were (the time each row was written, `_inserted_at`, minus its
 * record's Kafka timestamp, `_kafka_timestamp`).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows, tableExists, type BuiltQuery } from '../clickhouse/query.js';
import type { Pipeline } from '../pipeline/definition.js';
import { qualified } from '../parity/queries.js';
import { legsOf } from '../parity/legs.js';

export const INGEST_WINDOW_SEC = 60;

export interface LegIngest {
  leg: string;
  table: string;
  exists: boolean;
  windowSec: number;
  /** Rows written within the window. */
  rows: number;
  rowsPerSec: number;
  /** Milliseconds from the record's Kafka timestamp to its row's write; absent without rows. */
  freshnessMs?: { p50: number; p99: number; max: number };
}

/** Rows written in the last `windowSec` seconds by ClickHouse's clock, for the topic (rows without a Kafka timestamp left out). */
export function ingestQuery(table: string, topic: string, windowSec: number): BuiltQuery {
  return {
    query: `
      SELECT count() AS rows,
             quantilesExact(0.5, 0.99)(lag_ms) AS q,
             max(lag_ms) AS max_ms
      FROM (
        SELECT toUnixTimestamp64Milli(_inserted_at) - toUnixTimestamp64Milli(_kafka_timestamp) AS lag_ms
        FROM ${table}
        WHERE _inserted_at >= now64(3) - toIntervalSecond({window:UInt32})
          AND _topic = {topic:String}
          AND _kafka_timestamp > toDateTime64(0, 3, 'UTC')
      )`,
    params: { topic, window: windowSec },
  };
}

export function legIngestFromRow(
  base: Pick<LegIngest, 'leg' | 'table' | 'windowSec'>,
  row: { rows: string | number; q: (string | number)[]; max_ms: string | number } | undefined,
): LegIngest {
  const rows = Number(row?.rows ?? 0);
  return {
    ...base,
    exists: true,
    rows,
    rowsPerSec: Math.round((rows / base.windowSec) * 10) / 10,
    ...(rows > 0 && row ? { freshnessMs: { p50: Number(row.q[0]), p99: Number(row.q[1]), max: Number(row.max_ms) } } : {}),
  };
}

export async function ingestSection(ch: ClickHouseClient, pipeline: Pipeline, windowSec = INGEST_WINDOW_SEC): Promise<LegIngest[]> {
  const database = pipeline.database;
  return Promise.all(
    legsOf(pipeline).map(async (leg) => {
      const base = { leg: leg.name, table: qualified(database, leg.table), windowSec };
      if (!(await tableExists(ch, database, leg.table))) return { ...base, exists: false, rows: 0, rowsPerSec: 0 };
      const [row] = await queryRows<{ rows: string; q: string[]; max_ms: string }>(ch, ingestQuery(base.table, pipeline.topic.name, windowSec));
      return legIngestFromRow(base, row);
    }),
  );
}
