/** Reading rows through @clickhouse/client the way the kit's checks need them. */
import type { ClickHouseClient } from '@clickhouse/client';
import { ServiceUnreachableError } from '../errors.js';

export interface BuiltQuery {
  query: string;
  params: Record<string, unknown>;
  /** Settings of this query alone. */
  settings?: Record<string, number | string>;
}

/**
 * Rows as JSON objects; 64-bit integers arrive as strings, so offsets and checksums keep every
 * bit, and NaN and infinities as "nan", "inf", "-inf" (JSON has no number for them).
 */
export async function queryRows<T>(ch: ClickHouseClient, q: BuiltQuery): Promise<T[]> {
  const rs = await ch.query({ query: q.query, query_params: q.params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1, output_format_json_quote_denormals: 1, ...q.settings } });
  return rs.json<T>();
}

export async function tableExists(ch: ClickHouseClient, database: string, table: string): Promise<boolean> {
  const [r] = await queryRows<{ n: string }>(ch, {
    query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    params: { db: database, table },
  });
  return Number(r?.n ?? 0) > 0;
}

/** The names of a table's columns (none when it does not exist). */
export async function tableColumns(ch: ClickHouseClient, database: string, table: string): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(ch, {
    query: 'SELECT name FROM system.columns WHERE database = {db:String} AND table = {table:String}',
    params: { db: database, table },
  });
  return rows.map((r) => r.name);
}

/**
 * A query, not /ping (which asks for no credentials): proves ClickHouse answers and
 * accepts this client's user. Not answering is a UsageError (exit 2); refused
 * credentials keep ClickHouse's own error, which the CLI also maps to exit 2.
 */
export async function checkClickHouse(ch: ClickHouseClient, url: string): Promise<void> {
  try {
    await (await ch.query({ query: 'SELECT 1' })).close();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code && /^E[A-Z]+$/.test(code)) {
      throw new ServiceUnreachableError(`ClickHouse at ${url} is unreachable (${code}); check CLICKHOUSE_URL and that the stack is up`);
    }
    throw e;
  }
}
