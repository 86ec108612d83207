/**
 * Parity watermarks (sql/05_parity_watermarks.sql): per topic, leg and partition, the
 * offsets proven exact and what the leg's table held over them. Pure planning and SQL
 * builders; the flow is in incremental.ts.
 */
import { rangeFilter, type BuiltQuery, type OffsetRange } from '../queries.js';
import type { PartitionTruth } from '../truth.js';
import { COLUMNS_BEFORE_ALIASES } from '../../pipeline/content.js';

export interface Watermark {
  leg: string;
  table: string;
  partition: number;
  firstOffset: bigint;
  /** Last offset proven exact, inclusive; below firstOffset when nothing is proven. */
  watermark: bigint;
  rowCount: bigint;
  offsetsChecksum: bigint;
  contentChecksum: bigint;
  /** The table's UUID when it was proven (ZERO_UUID: unknown); part names hold for that table only. */
  tableUuid: string;
  /** What each data part of the table held of [firstOffset, watermark] when it was proven. */
  parts: PartSum[];
  checkedAt?: string;
}

/**
 * Rows and offsets checksum of one data part over a partition's proven offsets. A part
 * never changes once written (a merge or mutation writes a new part under a new name), so
 * a part still active need not be read again: its sums are as they were.
 */
export interface PartSum {
  part: string;
  rows: bigint;
  offsetsChecksum: bigint;
}

/** An offset range to sum, leaving out the parts whose sums over it are already known. */
export interface PartRange extends OffsetRange {
  skipParts?: string[];
}

export const WATERMARK_TABLE = 'parity_watermarks';
/** What ClickHouse gives a table without a UUID (an Ordinary database), and older watermark rows. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const MOD64 = 1n << 64n;

/** Checksums are sums of 64-bit hashes, as ClickHouse's UInt64 sum wraps them. */
export const add64 = (a: bigint, b: bigint) => (a + b) % MOD64;

export function readWatermarksQuery(table: string, topic: string): BuiltQuery {
  return {
    query: `
      SELECT leg, argMax(table_name, checked_at) AS table_name, partition,
             argMax(first_offset, checked_at) AS first_offset, argMax(watermark, checked_at) AS watermark,
             argMax(row_count, checked_at) AS row_count, argMax(offsets_checksum, checked_at) AS offsets_checksum,
             argMax(content_checksum, checked_at) AS content_checksum, argMax(table_uuid, checked_at) AS table_uuid,
             argMax(parts, checked_at) AS parts,
             argMax(part_rows, checked_at) AS part_rows, argMax(part_offsets_checksums, checked_at) AS part_offsets_checksums,
             max(checked_at) AS last_checked
      FROM ${table}
      WHERE topic = {topic:String}
      GROUP BY leg, partition
      ORDER BY leg, partition`,
    params: { topic },
  };
}

/**
 * Per data part and partition over `ranges`: rows and a checksum of their offsets (reading
 * only the sort key: cheap, for the proof below a watermark).
 * A range's `skipParts` are left unread (ClickHouse selects parts by `_part` before reading).
 */
export function partSumsQuery(table: string, topic: string, ranges: PartRange[]): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const where = rangeFilter(ranges, params, (r, i) => {
    if (!r.skipParts?.length) return '';
    params[`skip${i}`] = r.skipParts;
    return ` AND _part NOT IN {skip${i}:Array(String)}`;
  });
  return {
    query: `
      SELECT _part AS part, _partition AS partition, count() AS rows, sum(cityHash64(_offset)) AS offsets_checksum
      FROM ${table}
      WHERE ${where}
      GROUP BY _part, _partition
      ORDER BY _partition, _part`,
    params,
  };
}

/** The range a watermark moves over, inside the window the check covered (the two differ when another leg's watermark is lower). */
export interface AdvanceRange extends OffsetRange {
  windowFrom: bigint;
}

/**
 * Per data part and partition: rows over the whole checked window (to compare with what the
 * check found, so rows that changed since are not taken into a watermark), and rows and
 * both checksums over the range the watermark moves over, all from one snapshot.
 */
export function advanceSumsQuery(table: string, topic: string, ranges: AdvanceRange[], hash: string): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const live = ranges.filter((r) => r.to >= r.from);
  const where = rangeFilter(
    live.map((r) => ({ partition: r.partition, from: r.windowFrom, to: r.to })),
    params,
  );
  live.forEach((r, i) => (params[`f${i}`] = r.from.toString()));
  const from = live.length === 0 ? '0' : `multiIf(${live.map((_, i) => `_partition = {p${i}:Int32}, {f${i}:Int64}`).join(', ')}, 0)`;
  return {
    query: `
      SELECT _part AS part, _partition AS partition, count() AS window_rows,
             countIf(_offset >= ${from}) AS rows,
             sumIf(cityHash64(_offset), _offset >= ${from}) AS offsets_checksum,
             sumIf(cityHash64(${hash}, _offset), _offset >= ${from}) AS content_checksum
      FROM ${table}
      WHERE ${where}
      GROUP BY _part, _partition
      ORDER BY _partition, _part`,
    params,
    settings: COLUMNS_BEFORE_ALIASES,
  };
}

/** The table's UUID (ZERO_UUID in an Ordinary database). */
export function tableUuidQuery(database: string, table: string): BuiltQuery {
  return { query: 'SELECT toString(uuid) AS uuid FROM system.tables WHERE database = {database:String} AND name = {table:String}', params: { database, table } };
}

/** The table's active data parts, by name. */
export function activePartsQuery(database: string, table: string): BuiltQuery {
  return {
    query: 'SELECT name FROM system.parts WHERE database = {database:String} AND table = {table:String} AND active',
    params: { database, table },
  };
}

export interface Reset {
  leg: string;
  partition: number;
  reason: string;
}

/**
 * Which watermarks still hold against the topic as it is now: one above the partition's
 * last offset means the topic was recreated or truncated, one for another table means the
 * leg moved, one for another UUID means the table was created again; all are reset (the
 * partition is checked from its start again).
 */
export function validWatermarks(marks: Watermark[], truth: PartitionTruth[], legs: { leg: string; table: string; uuid?: string }[]): { kept: Watermark[]; resets: Reset[] } {
  const kept: Watermark[] = [];
  const resets: Reset[] = [];
  for (const m of marks) {
    const leg = legs.find((l) => l.leg === m.leg);
    if (!leg) continue;
    const t = truth.find((x) => x.partition === m.partition);
    if (m.watermark < m.firstOffset) continue;
    if (!t) resets.push({ leg: m.leg, partition: m.partition, reason: `partition ${m.partition} is gone from the topic` });
    else if (m.watermark >= t.end) {
      resets.push({ leg: m.leg, partition: m.partition, reason: `the topic ends at offset ${t.end - 1n}, below the watermark ${m.watermark}: it was recreated or truncated; checking the partition from its start` });
    } else if (m.table !== leg.table) {
      resets.push({ leg: m.leg, partition: m.partition, reason: `the watermark is for table ${m.table}, the leg is now ${leg.table}; checking the partition from its start` });
    } else if (m.tableUuid !== ZERO_UUID && leg.uuid !== undefined && leg.uuid !== m.tableUuid) {
      resets.push({ leg: m.leg, partition: m.partition, reason: `${leg.table} was created again since the watermark was proven (UUID ${m.tableUuid}, now ${leg.uuid}); checking the partition from its start` });
    } else kept.push(m);
  }
  return { kept, resets };
}

/** The ranges left to check: each partition from just above the lowest watermark of the given legs (its start where a leg has none). */
export function rangesAbove(ranges: OffsetRange[], marks: Watermark[], legs: string[]): OffsetRange[] {
  return ranges.map((r) => {
    const starts = legs.map((leg) => {
      const m = marks.find((x) => x.leg === leg && x.partition === r.partition);
      return m && m.watermark + 1n > r.from ? m.watermark + 1n : r.from;
    });
    const from = starts.length === 0 ? r.from : starts.reduce((a, b) => (b < a ? b : a));
    return { partition: r.partition, from, to: r.to };
  });
}
