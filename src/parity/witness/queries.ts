/**
 * The SQL of the topic witness: the topic's records live in a session's temporary
 * table; each leg is compared with it by per-partition checksums, and where those
 * differ, row by row, naming the columns that differ. Pure builders.
 */
import { CONTENT_HASH, EVENT_COLUMNS, rangeFilter, type BuiltQuery, type OffsetRange } from '../queries.js';

/** The session's table of topic records: one row per sampled offset; decoded = 0 for a record that is not an event. */
export const TOPIC_TABLE = 'parity_topic';

/** The event columns' ClickHouse types, as both legs' tables declare them (LowCardinality aside: it hashes and compares as its String). */
const EVENT_COLUMN_TYPES: Record<(typeof EVENT_COLUMNS)[number], string> = {
  id: 'String',
  user_id: 'String',
  action: 'String',
  event_time: "DateTime64(3, 'UTC')",
  version: 'Int32',
  referrer: 'Nullable(String)',
};

/** Columns of TOPIC_TABLE in RowBinary order. */
export const TOPIC_TABLE_DDL = `CREATE TEMPORARY TABLE ${TOPIC_TABLE} (_partition Int32, _offset Int64, decoded UInt8, ${EVENT_COLUMNS.map((c) => `${c} ${EVENT_COLUMN_TYPES[c]}`).join(', ')}) ENGINE = Memory`;

const NULLABLE: ReadonlySet<string> = new Set(EVENT_COLUMNS.filter((c) => EVENT_COLUMN_TYPES[c].startsWith('Nullable(')));

/** True where the column differs between the leg row `l` and the topic row `t`; NULL differs from every value, '' included. */
export function columnDiffers(column: string): string {
  if (!(EVENT_COLUMNS as readonly string[]).includes(column)) throw new Error(`not an event column: ${column}`);
  return NULLABLE.has(column)
    ? `(isNull(l.${column}) != isNull(t.${column}) OR ifNull(l.${column}, '') != ifNull(t.${column}, ''))`
    : `l.${column} != t.${column}`;
}

export function topicChecksumQuery(): BuiltQuery {
  return {
    query: `
      SELECT _partition AS partition,
             countIf(decoded = 1) AS events,
             countIf(decoded = 0) AS undecodable,
             sumIf(cityHash64(${CONTENT_HASH}, _offset), decoded = 1) AS checksum
      FROM ${TOPIC_TABLE}
      GROUP BY _partition
      ORDER BY _partition`,
    params: {},
  };
}

/** A leg's rows at the offsets the topic table holds: their count and checksum per partition (the same checksum as the topic's). */
export function legChecksumQuery(table: string, topic: string, ranges: OffsetRange[]): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const where = rangeFilter(ranges, params);
  return {
    query: `
      SELECT _partition AS partition, count() AS rows, sum(cityHash64(${CONTENT_HASH}, _offset)) AS checksum
      FROM ${table}
      WHERE ${where} AND (_partition, _offset) IN (SELECT _partition, _offset FROM ${TOPIC_TABLE})
      GROUP BY _partition
      ORDER BY _partition`,
    params,
  };
}

function joined(table: string, ranges: OffsetRange[], params: Record<string, unknown>): string {
  const where = rangeFilter(ranges, params);
  return `(SELECT _partition, _offset, ${EVENT_COLUMNS.join(', ')}, ${CONTENT_HASH} AS h FROM ${table} WHERE ${where}) AS l
      INNER JOIN (SELECT *, ${CONTENT_HASH} AS h FROM ${TOPIC_TABLE}) AS t ON l._partition = t._partition AND l._offset = t._offset`;
}

/** Per partition: leg rows compared with the topic, how many differ, rows where the topic holds no event, and per column how many differ. */
export function legDiffSummaryQuery(table: string, topic: string, ranges: OffsetRange[]): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const from = joined(table, ranges, params);
  return {
    query: `
      SELECT l._partition AS partition,
             count() AS compared,
             countIf(t.decoded = 0 OR l.h != t.h) AS differing,
             countIf(t.decoded = 0) AS not_events,
             ${EVENT_COLUMNS.map((c) => `countIf(t.decoded = 1 AND ${columnDiffers(c)}) AS diff_${c}`).join(',\n             ')}
      FROM ${from}
      GROUP BY partition
      ORDER BY partition`,
    params,
  };
}

/** The first differing rows: offset, the columns that differ, the topic's and the leg's values. */
export function legDiffExamplesQuery(table: string, topic: string, ranges: OffsetRange[], limit: number): BuiltQuery {
  const params: Record<string, unknown> = { topic, limit };
  const from = joined(table, ranges, params);
  const names = EVENT_COLUMNS.map((c) => `if(t.decoded = 0 OR ${columnDiffers(c)}, '${c}', '')`).join(', ');
  const row = (side: string) => `tuple(${EVENT_COLUMNS.map((c) => `${side}.${c}`).join(', ')})`;
  return {
    query: `
      SELECT l._partition AS partition, l._offset AS offset, t.decoded AS decoded,
             arrayFilter(x -> x != '', [${names}]) AS columns,
             ${row('t')} AS topic_row, ${row('l')} AS leg_row
      FROM ${from}
      WHERE t.decoded = 0 OR l.h != t.h
      ORDER BY partition, offset
      LIMIT {limit:UInt32}`,
    params,
  };
}
