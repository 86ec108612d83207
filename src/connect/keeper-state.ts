/**
 * The ClickHouse sink's exactly-once state. With `exactlyOnce=true` the connector keeps,
 * per topic partition, the offset range it last inserted in a KeeperMap table it creates
 * itself: `<database>.<zkDatabase>` (zkDatabase defaults to `connect_state`), keyed
 * `<topic>-<partition>`. Rewinding Kafka offsets without clearing those rows makes the
 * connector see a "state mismatch" and skip or refuse the re-delivered records, so an
 * offset reset clears them too.
 */
import { isClickHouseSink } from './lint.js';
import type { ConnectorConfig } from './definitions.js';

export const DEFAULT_STATE_TABLE = 'connect_state';

export interface KeeperStateTarget {
  database: string;
  table: string;
  /** A regular expression on the KeeperMap `key` column. */
  keyPattern: string;
}

export interface SqlRunner {
  query(sql: string): Promise<Record<string, unknown>[]>;
  command(sql: string): Promise<void>;
  close?(): Promise<void>;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (s: string) => `\`${s.replace(/`/g, '``')}\``;

export function exactlyOnceOn(config: ConnectorConfig): boolean {
  return isClickHouseSink(config) && config.exactlyOnce?.trim().toLowerCase() === 'true';
}

/** The state rows a connector owns, or undefined when it keeps none. */
export function keeperStateTarget(config: ConnectorConfig): KeeperStateTarget | undefined {
  if (!exactlyOnceOn(config)) return undefined;
  const topics = (config.topics ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const topicPattern = config['topics.regex'] ?? topics.map(escapeRegex).join('|');
  if (!topicPattern) return undefined;
  return {
    database: config.database || 'default',
    table: config.zkDatabase || DEFAULT_STATE_TABLE,
    keyPattern: `^(?:${topicPattern})-[0-9]+$`,
  };
}

export function stateTableName(t: KeeperStateTarget): string {
  return `${ident(t.database)}.${ident(t.table)}`;
}

export function countStateSql(t: KeeperStateTarget): string {
  return `SELECT count() AS rows FROM ${stateTableName(t)} WHERE match(key, ${sqlString(t.keyPattern)})`;
}

export function deleteStateSql(t: KeeperStateTarget): string {
  return `DELETE FROM ${stateTableName(t)} WHERE match(key, ${sqlString(t.keyPattern)})`;
}

export function describeStateClear(t: KeeperStateTarget): string {
  return `delete the exactly-once state rows (KeeperMap) in ClickHouse: ${deleteStateSql(t)}`;
}

/** ClickHouse error 60 (UNKNOWN_TABLE) or 81 (UNKNOWN_DATABASE), however the client reports it. */
function isMissingTable(e: unknown): boolean {
  const { type, code, message } = e as { type?: string; code?: string; message?: string };
  return (
    type === 'UNKNOWN_TABLE' ||
    type === 'UNKNOWN_DATABASE' ||
    code === '60' ||
    code === '81' ||
    /UNKNOWN_TABLE|UNKNOWN_DATABASE|Unknown table|Unknown database|doesn't exist|does not exist/i.test(message ?? '')
  );
}

/** Deletes the rows; a missing state table means there is nothing to clear. Returns rows deleted. */
export async function clearKeeperState(sql: SqlRunner, t: KeeperStateTarget): Promise<number> {
  let rows: number;
  try {
    const res = await sql.query(countStateSql(t));
    rows = Number(res[0]?.rows ?? 0);
  } catch (e) {
    if (isMissingTable(e)) return 0;
    throw e;
  }
  if (rows > 0) await sql.command(deleteStateSql(t));
  return rows;
}
