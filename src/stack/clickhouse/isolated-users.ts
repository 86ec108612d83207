/**
 * ClickHouse users for isolated kits, each in a database of its own (`it_<tag>`): the
 * integration tests' and bench:pipeline's. The kit's users file (shared by both stacks)
 * grants its users on `kit`; the embedded engine cannot create users with SQL, so an
 * extra users file adds `it_connector` and `it_reader`, with kit_connector's and
 * kit_reader's profiles, passwords and grants, where every grant on `kit.<x>` becomes one
 * on `it_*.*` (ClickHouse's wildcards end a name, so a table cannot follow one). That is
 * wider than the kit's grants for the connector; its least privilege is tested on the
 * kit's own users (test/integration/clickhouse-server.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, resolveEnv, type KitConfig } from '../../config.js';
import { KIT_USERS_FILE } from './server.js';

export const ISOLATED_USERS = { connector: 'it_connector', reader: 'it_reader', parity: 'it_parity' } as const;
export const ISOLATED_DATABASE_PREFIX = 'it_';
const USERS_FILE_NAME = 'it-users.xml';

/** The kit's config acting, as the isolated users, on a database (`it_*`), topic, consumer group and connector of its own. */
export function isolatedKitConfig(own: { database: string; topic: string; group: string; connector: string }): KitConfig {
  return loadConfig({
    ...resolveEnv(),
    CLICKHOUSE_DATABASE: own.database,
    KIT_TOPIC: own.topic,
    KIT_KAFKA_ENGINE_GROUP: own.group,
    KIT_CONNECTOR_NAME: own.connector,
    CLICKHOUSE_CONNECTOR_USER: ISOLATED_USERS.connector,
    CLICKHOUSE_READER_USER: ISOLATED_USERS.reader,
    CLICKHOUSE_PARITY_USER: ISOLATED_USERS.parity,
  });
}

function userElement(xml: string, name: string): string {
  const m = new RegExp(`<${name}>[\\s\\S]*?</${name}>`).exec(xml);
  if (!m) throw new Error(`${KIT_USERS_FILE} defines no user ${name}`);
  return m[0];
}

/** The isolated kits' users file, derived from the kit's users file. */
export function isolatedUsersXml(kitUsersXml = readFileSync(KIT_USERS_FILE, 'utf8')): string {
  const xml = kitUsersXml.replace(/<!--[\s\S]*?-->/g, '');
  const users = (
    [
      ['kit_connector', ISOLATED_USERS.connector],
      ['kit_reader', ISOLATED_USERS.reader],
      ['kit_parity', ISOLATED_USERS.parity],
    ] as const
  ).map(([from, to]) =>
    userElement(xml, from)
      .replace(new RegExp(`^<${from}>`), `<${to}>`)
      .replace(new RegExp(`</${from}>$`), `</${to}>`)
      .replace(/(<query>[^<]*\bON )kit\.[\w*]+(\s*<\/query>)/g, `$1${ISOLATED_DATABASE_PREFIX}*.*$2`),
  );
  return `<?xml version="1.0"?>
<!-- Written from ${KIT_USERS_FILE} for isolated kits; see src/stack/clickhouse/isolated-users.ts. -->
<clickhouse>
    <users>
        ${users.join('\n        ')}
    </users>
</clickhouse>
`;
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
