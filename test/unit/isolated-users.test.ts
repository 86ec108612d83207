import { describe, expect, it, vi } from 'vitest';
import { usersXml } from '../../src/clickhouse/users.js';
import { ISOLATED_USERS, isolatedKitConfig, isolatedUsersXml } from '../../src/stack/clickhouse/isolated-users.js';
import { PASSWORDS } from './pipeline-fixtures.js';

/** One user's element of a users file. */
function user(xml: string, name: string): string {
  const m = new RegExp(`<${name}>[\\s\\S]*?</${name}>`).exec(xml);
  if (!m) throw new Error(`no user ${name}`);
  return m[0];
}

describe("the isolated kits' users", () => {
  const xml = isolatedUsersXml();

  it("are the kit's connector, reader and parity users, renamed, with their passwords and profiles", () => {
    expect(user(xml, 'it_connector')).toMatch(/^<it_connector>\s*<password from_env="CLICKHOUSE_CONNECTOR_PASSWORD"\/>[\s\S]*<profile>default<\/profile>/);
    expect(user(xml, 'it_reader')).toMatch(/^<it_reader>\s*<password from_env="CLICKHOUSE_READER_PASSWORD"\/>[\s\S]*<profile>kit_readonly<\/profile>/);
    expect(user(xml, 'it_parity')).toMatch(/^<it_parity>\s*<password from_env="CLICKHOUSE_PARITY_PASSWORD"\/>[\s\S]*<profile>default<\/profile>/);
    expect(xml).not.toMatch(/kit_connector|kit_reader|kit_parity/);
    // The isolated kits share the kit's admin: this file adds no other.
    expect(xml).not.toMatch(/access_management|kit_admin/);
  });

  it('hold every grant on the kit database on it_*.* instead, and the others as they are', () => {
    expect(xml).toContain('<query>GRANT INSERT ON it_*.*</query>');
    expect(xml).toContain('<query>GRANT SHOW DATABASES ON it_*.*</query>');
    expect(xml).toContain('<query>GRANT SELECT ON system.columns</query>');
    expect(xml).toContain('<query>GRANT SELECT ON it_*.*</query>');
    expect(xml).toContain('<query>GRANT CREATE TEMPORARY TABLE ON *.*</query>');
    expect(xml).not.toMatch(/ON kit\./);
  });

  it('are written by the same code as the kit\'s users', () => {
    expect(xml).toBe(usersXml(ISOLATED_USERS, { kitDatabase: 'it_*', pipelines: [{ database: 'it_*', connectorTable: '*' }] }, 'Isolated kits (tests, benchmarks): every grant on it_*.*.'));
  });

  it("give an isolated kit's config these users on a database of its own", () => {
    for (const [k, v] of Object.entries(PASSWORDS)) vi.stubEnv(k, v);
    let c;
    try {
      c = isolatedKitConfig('it_abc');
    } finally {
      vi.unstubAllEnvs();
    }
    expect(c.clickhouse.database).toBe('it_abc');
    expect([c.clickhouse.connector.user, c.clickhouse.reader.user, c.clickhouse.parity.user]).toEqual(['it_connector', 'it_reader', 'it_parity']);
    expect(() => isolatedKitConfig('kit')).toThrow(/an isolated kit's database starts with it_: kit/);
  });
});
