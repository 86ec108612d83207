/**
 * The SQL that verify:parity runs inside ClickHouse, so no row is pulled into Node:
 * per-partition stats, the exact missing offset ranges, content checksums and the
 * drill-down to rows whose content differs. Pure builders; values travel as bound
 * query parameters.
 */

export interface OffsetRange {
  partition: number;
  /** Inclusive. */
  from: bigint;
  /** Inclusive; `to < from` means the partition holds nothing to check. */
  to: bigint;
}

import type { BuiltQuery } from '../clickhouse/query.js';
import { COLUMNS_BEFORE_ALIASES, type Content } from '../pipeline/content.js';

export type { BuiltQuery };
export { qualified } from '../pipeline/ddl.js';

/**
 * How many distinct offsets, exactly: a roaring bitmap of the offsets (toUInt64 is a
 * bijection on Int64, so the count is exact for any value). Offsets of a partition
 * are dense, where a bitmap is a fraction of uniqExact's hash set in time and memory.
 */
const DISTINCT_OFFSETS = 'groupBitmap(toUInt64(_offset))';

/**
 * `_topic = t AND ((_partition = p0 AND _offset BETWEEN lo0 AND hi0) OR ...)`: the
 * tables are ordered by (_topic, _partition, _offset), so this reads only the ranges.
 * `also` adds a condition of its own to a range's term.
 */
export function rangeFilter<R extends OffsetRange>(ranges: R[], params: Record<string, unknown>, also?: (range: R, i: number) => string): string {
  const live = ranges.filter((r) => r.to >= r.from);
  if (live.length === 0) return '0';
  const parts = live.map((r, i) => {
    params[`p${i}`] = r.partition;
    params[`lo${i}`] = r.from.toString();
    params[`hi${i}`] = r.to.toString();
    return `(_partition = {p${i}:Int32} AND _offset BETWEEN {lo${i}:Int64} AND {hi${i}:Int64}${also?.(r, i) ?? ''})`;
  });
  return `_topic = {topic:String} AND (${parts.join(' OR ')})`;
}

/** Per partition: rows, distinct offsets, min/max and a checksum of content and offset (`hash`: the content hash, contentOf). */
export function statsQuery(table: string, topic: string, ranges: OffsetRange[], hash: string): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const where = rangeFilter(ranges, params);
  return {
    query: `
      SELECT _partition AS partition,
             count() AS rows,
             ${DISTINCT_OFFSETS} AS distinct_offsets,
             min(_offset) AS min_offset,
             max(_offset) AS max_offset,
             sum(cityHash64(${hash}, _offset)) AS checksum
      FROM ${table}
      WHERE ${where}
      GROUP BY _partition
      ORDER BY _partition`,
    params,
    settings: COLUMNS_BEFORE_ALIASES,
  };
}

/** Offsets a leg has accounted for outside its table: error rows, dead-lettered records. */
export interface Accounted {
  /** A table with _topic/_partition/_offset columns (the Kafka engine's errors table). */
  table?: string;
  /** Offsets known from elsewhere (the connector's DLQ). */
  offsets?: { partition: number; offset: bigint }[];
}

/**
 * The exact missing ranges: offsets in `ranges` that are neither in the table nor
 * accounted for. Sentinels at from-1 and to+1 close every partition's ends.
 *
 * A gap is where consecutive offsets (in order) differ by more than one. Duplicate
 * offsets differ by zero, so no DISTINCT is needed, and the first row of a partition
 * (its lower sentinel) is its own predecessor: one window function over the rows as
 * they are.
 */
export function gapsQuery(table: string, topic: string, ranges: OffsetRange[], accounted: Accounted = {}): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const where = rangeFilter(ranges, params);
  const live = ranges.filter((r) => r.to >= r.from);
  params.sp = live.map((r) => r.partition);
  params.slo = live.map((r) => r.from - 1n);
  params.shi = live.map((r) => r.to + 1n);
  const sources = [
    `SELECT _partition, _offset FROM ${table} WHERE ${where}`,
    `SELECT p AS _partition, o AS _offset FROM (SELECT arrayJoin(arrayConcat(arrayZip({sp:Array(Int32)}, {slo:Array(Int64)}), arrayZip({sp:Array(Int32)}, {shi:Array(Int64)}))) AS s, s.1 AS p, s.2 AS o)`,
  ];
  if (accounted.table) sources.push(`SELECT _partition, _offset FROM ${accounted.table} WHERE ${where}`);
  if (accounted.offsets && accounted.offsets.length > 0) {
    params.ap = accounted.offsets.map((o) => o.partition);
    params.ao = accounted.offsets.map((o) => o.offset);
    sources.push(`SELECT p AS _partition, o AS _offset FROM (SELECT arrayJoin(arrayZip({ap:Array(Int32)}, {ao:Array(Int64)})) AS s, s.1 AS p, s.2 AS o)`);
  }
  return {
    query: `
      SELECT _partition AS partition, prev + 1 AS from_offset, _offset - 1 AS to_offset
      FROM (
        SELECT _partition, _offset,
               lagInFrame(_offset, 1, _offset) OVER (PARTITION BY _partition ORDER BY _offset ASC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev
        FROM (${sources.join('\n UNION ALL ')})
      )
      WHERE _offset - prev > 1
      ORDER BY partition, from_offset`,
    params,
  };
}

/** How many error-row and dead-lettered offsets a partition's report lists. */
export const MARKED_OFFSETS = 1000;

/** Distinct offsets of the accounted table per partition (error rows). */
export function accountedCountQuery(table: string, topic: string, ranges: OffsetRange[]): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const where = rangeFilter(ranges, params);
  return {
    // offsets_listed: up to MARKED_OFFSETS of them, for the HTML report's bars.
    query: `SELECT _partition AS partition, ${DISTINCT_OFFSETS} AS offsets, arraySort(groupUniqArray(${MARKED_OFFSETS})(_offset)) AS offsets_listed
            FROM ${table} WHERE ${where} GROUP BY _partition ORDER BY _partition`,
    params,
  };
}

/**
 * Offsets held more than once, as runs of consecutive offsets with their largest copy
 * count (at-least-once re-delivery writes whole blocks again, so runs stay few).
 */
export function duplicateRangesQuery(table: string, topic: string, ranges: OffsetRange[], limit: number): BuiltQuery {
  const params: Record<string, unknown> = { topic, limit };
  const where = rangeFilter(ranges, params);
  return {
    query: `
      SELECT _partition AS partition, min(_offset) AS from_offset, max(_offset) AS to_offset, max(copies) AS copies
      FROM (
        SELECT _partition, _offset, copies, _offset - row_number() OVER (PARTITION BY _partition ORDER BY _offset) AS run
        FROM (SELECT _partition, _offset, count() AS copies FROM ${table} WHERE ${where} GROUP BY _partition, _offset HAVING copies > 1)
      )
      GROUP BY _partition, run
      ORDER BY partition, from_offset
      LIMIT {limit:UInt32}`,
    params,
  };
}

/** Which of the given offsets the table holds (a dead-lettered record whose row landed all the same). */
export function landedAmongQuery(table: string, topic: string, offsets: { partition: number; offset: bigint }[]): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const bounds = new Map<number, OffsetRange>();
  for (const o of offsets) {
    const b = bounds.get(o.partition);
    bounds.set(o.partition, b ? { partition: o.partition, from: o.offset < b.from ? o.offset : b.from, to: o.offset > b.to ? o.offset : b.to } : { partition: o.partition, from: o.offset, to: o.offset });
  }
  const where = rangeFilter([...bounds.values()], params);
  params.lp = offsets.map((o) => o.partition);
  params.lo = offsets.map((o) => o.offset);
  return {
    query: `SELECT DISTINCT _partition AS partition, _offset AS offset FROM ${table}
            WHERE ${where} AND has(arrayZip({lp:Array(Int32)}, {lo:Array(Int64)}), (_partition, _offset))`,
    params,
  };
}

/** Rows below a partition's log-start offset: their truth is gone from Kafka (retention). */
export function belowLogStartQuery(table: string, topic: string, logStarts: { partition: number; logStart: bigint }[]): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const parts = logStarts.map((l, i) => {
    params[`p${i}`] = l.partition;
    params[`ls${i}`] = l.logStart.toString();
    return `(_partition = {p${i}:Int32} AND _offset < {ls${i}:Int64})`;
  });
  return {
    query: `SELECT _partition AS partition, ${DISTINCT_OFFSETS} AS offsets FROM ${table}
            WHERE _topic = {topic:String} AND (${parts.join(' OR ') || '0'}) GROUP BY _partition ORDER BY _partition`,
    params,
  };
}

/** Rows present in both legs at the same partition and offset whose content differs. */
export function contentDiffQuery(left: string, right: string, topic: string, ranges: OffsetRange[], limit: number, content: Content): BuiltQuery {
  const params: Record<string, unknown> = { topic, limit };
  const where = rangeFilter(ranges, params);
  const side = (table: string) =>
    `SELECT _partition, _offset, ${content.hash} AS _row_hash, ${content.row()} AS _row FROM ${table} WHERE ${where}`;
  return {
    query: `
      SELECT a._partition AS partition, a._offset AS offset, a._row AS left_row, b._row AS right_row
      FROM (${side(left)}) AS a
      INNER JOIN (${side(right)}) AS b ON a._partition = b._partition AND a._offset = b._offset
      WHERE a._row_hash != b._row_hash
      ORDER BY a._partition, a._offset
      LIMIT {limit:UInt32}`,
    params,
    settings: COLUMNS_BEFORE_ALIASES,
  };
}

/** Rows in both legs at the same partition and offset whose content differs: how many. */
export function contentDiffCountQuery(left: string, right: string, topic: string, ranges: OffsetRange[], content: Content): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const where = rangeFilter(ranges, params);
  const side = (table: string) => `SELECT _partition, _offset, ${content.hash} AS _row_hash FROM ${table} WHERE ${where}`;
  return {
    query: `
      SELECT count() AS differing
      FROM (${side(left)}) AS a
      INNER JOIN (${side(right)}) AS b ON a._partition = b._partition AND a._offset = b._offset
      WHERE a._row_hash != b._row_hash`,
    params,
    settings: COLUMNS_BEFORE_ALIASES,
  };
}
