/**
 * The SQL of the topic witness: the topic's records live in a session's temporary table of
 * the pipeline's column types; each leg is compared with it by per-partition checksums, and
 * where those differ, row by row, naming the columns that differ. Pure builders.
 */
import { quoteIdent, renderType, sqlString } from '../../pipeline/clickhouse-type.js';
import { columnHash, COLUMNS_BEFORE_ALIASES, type Content } from '../../pipeline/content.js';
import { rangeFilter, type BuiltQuery, type OffsetRange } from '../queries.js';

/** The session's table of topic records: one row per sampled offset; _witness_decoded = 0 for a record that is not one of the pipeline's. */
export const TOPIC_TABLE = 'parity_topic';

/**
 * Columns in RowBinary order: partition, offset, _witness_decoded, `_witness_unfit` (the columns whose topic
 * value their type cannot hold, e.g. a decimal with more digits than its precision, with the
 * value: such a column differs from the topic whatever a leg stored), then the event columns.
 */
export function topicTableDdl(content: Content): string {
  const cols = content.columns.map((c) => `${quoteIdent(c.name)} ${renderType(c.type)}`).join(', ');
  return `CREATE TEMPORARY TABLE ${TOPIC_TABLE} (_partition Int32, _offset Int64, _witness_decoded UInt8, _witness_unfit Array(String), ${cols}) ENGINE = Memory`;
}

/** True where column `i` differs between the leg row `l` and the topic row `t` (NULL differs from every value, '' included). */
export function columnDiffers(content: Content, i: number): string {
  const c = content.columns[i]!;
  return `(${columnHash(c, 'l.')} != ${columnHash(c, 't.')} OR arrayExists(u -> startsWith(u, ${sqlString(`${c.name}:`)}), t._witness_unfit))`;
}

export function topicChecksumQuery(content: Content): BuiltQuery {
  return {
    query: `
      SELECT _partition AS partition,
             countIf(_witness_decoded = 1) AS events,
             countIf(_witness_decoded = 0) AS undecodable,
             sumIf(cityHash64(${content.hash}, _offset), _witness_decoded = 1 AND empty(_witness_unfit)) AS checksum
      FROM ${TOPIC_TABLE}
      GROUP BY _partition
      ORDER BY _partition`,
    params: {},
    settings: COLUMNS_BEFORE_ALIASES,
  };
}

/** A leg's rows at the offsets the topic table holds: their count and checksum per partition (the same checksum as the topic's). */
export function legChecksumQuery(table: string, topic: string, ranges: OffsetRange[], content: Content): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const where = rangeFilter(ranges, params);
  return {
    query: `
      SELECT _partition AS partition, count() AS rows, sum(cityHash64(${content.hash}, _offset)) AS checksum
      FROM ${table}
      WHERE ${where} AND (_partition, _offset) IN (SELECT _partition, _offset FROM ${TOPIC_TABLE})
      GROUP BY _partition
      ORDER BY _partition`,
    params,
    settings: COLUMNS_BEFORE_ALIASES,
  };
}

function joined(table: string, ranges: OffsetRange[], params: Record<string, unknown>, content: Content): string {
  const where = rangeFilter(ranges, params);
  return `(SELECT _partition, _offset, ${content.list}, ${content.hash} AS _row_hash FROM ${table} WHERE ${where}) AS l
      INNER JOIN (SELECT *, ${content.hash} AS _row_hash FROM ${TOPIC_TABLE}) AS t ON l._partition = t._partition AND l._offset = t._offset`;
}

/** The condition of a leg row that is not the topic's record. */
const DIFFERS = 't._witness_decoded = 0 OR l._row_hash != t._row_hash OR notEmpty(t._witness_unfit)';

/** Per partition: leg rows compared with the topic, how many differ, rows where the topic holds no record, and per column (diff_<i>) how many differ. */
export function legDiffSummaryQuery(table: string, topic: string, ranges: OffsetRange[], content: Content): BuiltQuery {
  const params: Record<string, unknown> = { topic };
  const from = joined(table, ranges, params, content);
  return {
    query: `
      SELECT l._partition AS partition,
             count() AS compared,
             countIf(${DIFFERS}) AS differing,
             countIf(t._witness_decoded = 0) AS not_events,
             ${content.columns.map((_, i) => `countIf(t._witness_decoded = 1 AND ${columnDiffers(content, i)}) AS diff_${i}`).join(',\n             ')}
      FROM ${from}
      GROUP BY l._partition
      ORDER BY l._partition`,
    params,
    settings: COLUMNS_BEFORE_ALIASES,
  };
}

/** The first differing rows: offset, the columns that differ, the topic's and the leg's values, what the topic held that its column cannot. */
export function legDiffExamplesQuery(table: string, topic: string, ranges: OffsetRange[], limit: number, content: Content): BuiltQuery {
  const params: Record<string, unknown> = { topic, limit };
  const from = joined(table, ranges, params, content);
  const names = content.columns.map((c, i) => `if(t._witness_decoded = 0 OR ${columnDiffers(content, i)}, ${sqlString(c.name)}, '')`).join(', ');
  const row = (side: string) => content.row(`${side}.`);
  return {
    query: `
      SELECT l._partition AS partition, l._offset AS offset, t._witness_decoded AS decoded,
             arrayFilter(x -> x != '', [${names}]) AS columns,
             ${row('t')} AS topic_row, ${row('l')} AS leg_row, t._witness_unfit AS unfit,
             toString(${row('t')}) AS topic_text, toString(${row('l')}) AS leg_text
      FROM ${from}
      WHERE ${DIFFERS}
      ORDER BY l._partition, l._offset
      LIMIT {limit:UInt32}`,
    params,
    settings: COLUMNS_BEFORE_ALIASES,
  };
}
