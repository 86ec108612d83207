/**
 * ClickHouse users for the tests' own databases (`it_<tag>`). The kit's users file
 * (shared by both stacks) grants its users on `kit`; the embedded engine cannot create
 * users with SQL, so the test run adds a users file of its own: `it_connector` and
 * `it_reader`, with kit_connector's and kit_reader's profiles, passwords and grants,
 * where every grant on `kit.<x>` becomes one on `it_*.*` (ClickHouse's wildcards end a
 * name, so a table cannot follow one). That is wider than the kit's grants for the
 * connector; its least privilege is tested on the kit's own users
 * (test/integration/clickhouse-server.test.ts).
 */
import { readFileSync } from 'node:fs';
import { KIT_USERS_FILE } from '../../src/stack/clickhouse/server.js';

export const TEST_USERS = { connector: 'it_connector', reader: 'it_reader' } as const;
export const TEST_DATABASE_PREFIX = 'it_';
export const TEST_USERS_FILE_NAME = 'it-users.xml';

function userElement(xml: string, name: string): string {
  const m = new RegExp(`<${name}>[\\s\\S]*?</${name}>`).exec(xml);
  if (!m) throw new Error(`${KIT_USERS_FILE} defines no user ${name}`);
  return m[0];
}

/** The test users file, derived from the kit's users file. */
export function testUsersXml(kitUsersXml = readFileSync(KIT_USERS_FILE, 'utf8')): string {
  const xml = kitUsersXml.replace(/<!--[\s\S]*?-->/g, '');
  const users = (
    [
      ['kit_connector', TEST_USERS.connector],
      ['kit_reader', TEST_USERS.reader],
    ] as const
  ).map(([from, to]) =>
    userElement(xml, from)
      .replace(new RegExp(`^<${from}>`), `<${to}>`)
      .replace(new RegExp(`</${from}>$`), `</${to}>`)
      .replace(/(<query>[^<]*\bON )kit\.[\w*]+(\s*<\/query>)/g, `$1${TEST_DATABASE_PREFIX}*.*$2`),
  );
  return `<?xml version="1.0"?>
<!-- Written by the integration tests' global setup from ${KIT_USERS_FILE}; see test/integration/users.ts. -->
<clickhouse>
    <users>
        ${users.join('\n        ')}
    </users>
</clickhouse>
`;
}
