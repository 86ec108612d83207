/**
 * ClickHouse users for isolated kits, each in a database of its own (`it_<tag>`): the
 * integration tests' and the benchmarks'. The embedded engine cannot create users with SQL,
 * so an extra users file adds `it_connector`, `it_reader` and `it_parity`, written by the same
 * code as the kit's users (src/clickhouse/users.ts) with every grant on `it_*.*` instead of a
 * pipeline's table. That is wider than the kit's grants for the connector; its least privilege
 * is tested on the kit's own users (test/integration/clickhouse-server.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, resolveEnv, type KitConfig } from '../../config.js';
import { usersXml } from '../../clickhouse/users.js';

export const ISOLATED_USERS = { connector: 'it_connector', reader: 'it_reader', parity: 'it_parity' } as const;
export const ISOLATED_DATABASE_PREFIX = 'it_';
const USERS_FILE_NAME = 'it-users.xml';

/** The kit's config acting, as the isolated users, on a database of its own (`it_*`). */
export function isolatedKitConfig(database: string): KitConfig {
  if (!database.startsWith(ISOLATED_DATABASE_PREFIX)) throw new Error(`an isolated kit's database starts with ${ISOLATED_DATABASE_PREFIX}: ${database}`);
  return loadConfig({
    ...resolveEnv(),
    CLICKHOUSE_DATABASE: database,
    CLICKHOUSE_CONNECTOR_USER: ISOLATED_USERS.connector,
    CLICKHOUSE_READER_USER: ISOLATED_USERS.reader,
    CLICKHOUSE_PARITY_USER: ISOLATED_USERS.parity,
  });
}

/** The isolated kits' users file. */
export function isolatedUsersXml(): string {
  const pattern = `${ISOLATED_DATABASE_PREFIX}*`;
  return usersXml(ISOLATED_USERS, { kitDatabase: pattern, pipelines: [{ database: pattern, connectorTable: '*' }] }, 'Isolated kits (tests, benchmarks): every grant on it_*.*.');
}

/**
 * Puts the isolated kits' users among the stack's extra users files (`extraUsersDir`);
 * true when the file changed, so a running ClickHouse must restart to know them.
 */
export function installIsolatedUsers(extraUsersDir: string): boolean {
  const file = path.join(extraUsersDir, USERS_FILE_NAME);
  const xml = isolatedUsersXml();
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* not installed yet */
  }
  if (current === xml) return false;
  mkdirSync(extraUsersDir, { recursive: true });
  writeFileSync(file, xml);
  return true;
}
