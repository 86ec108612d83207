/**
 * The kit's ClickHouse users, one definition for both stacks, derived from the configuration
 * (user names) and the pipelines (what each user may touch): written into the Docker stack's
 * `docker/clickhouse/users.d/kit-users.xml` and into the embedded server's users at every
 * start. ClickHouse merges users files by element name, so grants cannot be added from a
 * second file; the whole file is written.
 *
 * Passwords are never written: each is filled at server start from an environment variable
 * (from_env). A user with <grants> gets exactly those privileges.
 */
import path from 'node:path';
import { loadConfig, type KitConfig } from '../config.js';
import { loadPipelines, type Pipeline } from '../pipeline/definition.js';
import { pipelinesDir } from '../pipeline/load.js';
import { projectRoot } from '../paths.js';

/** The Docker stack's users file (mounted read-only into the server's users.d). */
export const DOCKER_USERS_FILE = path.join(projectRoot, 'docker', 'clickhouse', 'users.d', 'kit-users.xml');

export interface UserNames {
  /** Left out of a file that adds users beside the kit's (isolated kits share the kit's admin). */
  admin?: string;
  connector: string;
  reader: string;
  parity: string;
}

/** What the users may touch: the kit's database, and each pipeline's database and connector table. */
export interface UsersScope {
  /** The kit's database (parity's watermarks); a pattern such as `it_*` for isolated kits. */
  kitDatabase: string;
  /** Each pipeline's database and connector table (`*` for every table of a pattern). */
  pipelines: { database: string; connectorTable: string }[];
}

/** Every password variable, in the users' order. */
export const PASSWORD_VARIABLES = {
  admin: 'CLICKHOUSE_ADMIN_PASSWORD',
  connector: 'CLICKHOUSE_CONNECTOR_PASSWORD',
  reader: 'CLICKHOUSE_READER_PASSWORD',
  parity: 'CLICKHOUSE_PARITY_PASSWORD',
} as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `db.table` in a GRANT. A database pattern (`it_*`) takes every table: ClickHouse's wildcard
 * ends a name, so no table name can follow one.
 */
const on = (database: string, table: string) => `${database}.${database.endsWith('*') ? '*' : table}`;

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

export function scopeOf(config: KitConfig, pipelines: Pipeline[]): UsersScope {
  return { kitDatabase: config.clickhouse.database, pipelines: pipelines.map((p) => ({ database: p.database, connectorTable: p.tables.connector })) };
}

export function userNames(config: KitConfig): UserNames {
  return { admin: config.clickhouse.admin.user, connector: config.clickhouse.connector.user, reader: config.clickhouse.reader.user, parity: config.clickhouse.parity.user };
}

/** The grants of each non-admin user. */
export function grantsOf(scope: UsersScope): { connector: string[]; reader: string[]; parity: string[] } {
  const databases = unique([scope.kitDatabase, ...scope.pipelines.map((p) => p.database)]);
  const pipelineDbs = unique(scope.pipelines.map((p) => p.database));
  const readable = databases.flatMap((db) => [`GRANT SELECT ON ${on(db, '*')}`, `GRANT SHOW DATABASES, SHOW TABLES, SHOW COLUMNS ON ${on(db, '*')}`]);
  return {
    connector: [
      ...scope.pipelines.flatMap((p) => [`GRANT INSERT ON ${on(p.database, p.connectorTable)}`, `GRANT SHOW TABLES, SHOW COLUMNS ON ${on(p.database, p.connectorTable)}`]),
      ...pipelineDbs.flatMap((db) => [`GRANT SHOW DATABASES ON ${on(db, '*')}`, `GRANT CREATE TABLE, SELECT, INSERT ON ${on(db, 'connect_state')}`]),
      'GRANT SELECT ON system.columns',
      'GRANT TABLE ENGINE ON KeeperMap',
    ],
    reader: [...readable, 'GRANT SELECT ON system.tables', 'GRANT SELECT ON system.columns', 'GRANT SELECT ON system.kafka_consumers'],
    parity: [
      ...readable,
      'GRANT SELECT ON system.tables',
      'GRANT SELECT ON system.columns',
      'GRANT SELECT ON system.parts',
      'GRANT CREATE TEMPORARY TABLE ON *.*',
      `GRANT INSERT ON ${on(scope.kitDatabase, 'parity_watermarks')}`,
    ],
  };
}

const grantsXml = (grants: string[]) => grants.map((g) => `                <query>${g}</query>`).join('\n');

/** The users file. `comment` says where it came from. */
export function usersXml(names: UserNames, scope: UsersScope, comment: string, passwords: Record<keyof UserNames, string> = PASSWORD_VARIABLES): string {
  for (const [role, name] of Object.entries(names)) if (name !== undefined && !NAME.test(name)) throw new Error(`the ${role} user's name ${JSON.stringify(name)} is not a plain identifier`);
  const g = grantsOf(scope);
  const user = (name: string, password: string, profile: string, body: string) => `        <${name}>
            <password from_env="${password}"/>
            <networks>
                <ip>::/0</ip>
            </networks>
            <profile>${profile}</profile>
            <quota>default</quota>
${body}
        </${name}>`;
  return `<?xml version="1.0"?>
<!--
  ClickHouse users of kafka-clickhouse-kit. ${comment}
  Written by the kit (src/clickhouse/users.ts) from the configuration's user names and the
  pipelines' databases and tables: do not edit; \`npm run sql:apply\` writes it again when a
  pipeline needs a grant it lacks. Passwords come from the environment (from_env); none is
  written here. A user with <grants> gets exactly those privileges.
-->
<clickhouse>
    <profiles>
        <!-- readonly=2: no writes and no DDL, but per-query settings (e.g. output format
             options that HTTP clients send) may still be changed. -->
        <kit_readonly>
            <profile>default</profile>
            <readonly>2</readonly>
        </kit_readonly>
    </profiles>

    <users>
${names.admin === undefined ? '' : `        <!-- Administrator: sql:apply's DDL, KeeperMap clearing. -->
${user(
  names.admin,
  passwords.admin,
  'default',
  `            <access_management>1</access_management>
            <named_collection_control>1</named_collection_control>
            <show_named_collections>1</show_named_collections>
            <show_named_collections_secrets>1</show_named_collections_secrets>`,
)}
`}
        <!-- The ClickHouse sink connector: INSERT into each pipeline's connector table only, plus
             what the connector runs at start (SELECT VERSION(), system.columns, DESCRIBE TABLE)
             and, with exactlyOnce=true, its KeeperMap state table connect_state. -->
${user(names.connector, passwords.connector, 'default', `            <grants>\n${grantsXml(g.connector)}\n            </grants>`)}

        <!-- Read-only, for health and queries: the kit's and the pipelines' databases, and the
             system tables health reads (select_from_system_db_requires_grant is on). -->
${user(names.reader, passwords.reader, 'kit_readonly', `            <grants>\n${grantsXml(g.reader)}\n            </grants>`)}

        <!-- verify:parity: reads like the reader, plus system.parts, temporary tables of its own
             session (the topic witness) and INSERT into the watermarks of incremental checks. -->
${user(names.parity, passwords.parity, 'default', `            <grants>\n${grantsXml(g.parity)}\n            </grants>`)}
    </users>
</clickhouse>
`;
}

/**
 * The kit's users file for the configuration in `env` and the pipelines in its pipelines
 * directory. A pipeline file that does not load is left out (said through `warn`): the
 * server still starts, and sql:apply names the problem.
 */
export function kitUsersFor(env: Record<string, string | undefined>, warn: (line: string) => void = () => {}): string {
  const config = loadConfig(env);
  let pipelines: Pipeline[] = [];
  try {
    pipelines = loadPipelines(pipelinesDir(env), { database: config.clickhouse.database });
  } catch (e) {
    warn(`the pipelines' grants are left out of the ClickHouse users: ${(e as Error).message}`);
  }
  return usersXml(userNames(config), scopeOf(config, pipelines), 'For the pipelines in pipelines/.');
}
