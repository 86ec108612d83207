/**
 * Whether the running ClickHouse lets the connector's user insert into every pipeline's
 * connector table: its users file names the tables (users.ts), so a new pipeline needs it
 * written again and read by the server.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Pipeline } from '../pipeline/definition.js';
import { queryRows } from './query.js';

/** The connector tables (`db.table`) the user may not insert into. */
export async function lackingInsertGrants(ch: ClickHouseClient, user: string, pipelines: Pipeline[]): Promise<string[]> {
  const rows = await queryRows<{ database: string | null; table: string | null }>(ch, {
    query: "SELECT database, table FROM system.grants WHERE user_name = {user:String} AND access_type IN ('INSERT', 'ALL') AND NOT is_partial_revoke",
    params: { user },
  });
  // A database pattern (`it_*`) shows as its prefix with no table.
  const covers = (db: string, table: string) => rows.some((r) => r.database === null || (r.table === null ? db === r.database || db.startsWith(r.database) : r.database === db && r.table === table));
  return pipelines.filter((p) => !covers(p.database, p.tables.connector)).map((p) => `${p.database}.${p.tables.connector}`);
}
