import { describe, expect, it } from 'vitest';
import { isolatedUsersXml } from '../../src/stack/clickhouse/isolated-users.js';

const kitUsers = `<clickhouse><users>
  <!-- <kit_reader>a comment, not a user</kit_reader> -->
  <kit_connector><password from_env="CLICKHOUSE_CONNECTOR_PASSWORD"/><profile>default</profile>
    <grants><query>GRANT INSERT ON kit.events_connect</query><query>GRANT SELECT ON system.columns</query><query>GRANT SHOW DATABASES ON kit.*</query></grants></kit_connector>
  <kit_reader><password from_env="CLICKHOUSE_READER_PASSWORD"/><profile>kit_readonly</profile>
    <grants><query>GRANT SELECT ON kit.*</query></grants></kit_reader>
  <kit_parity><password from_env="CLICKHOUSE_PARITY_PASSWORD"/><profile>default</profile>
    <grants><query>GRANT INSERT ON kit.parity_watermarks</query><query>GRANT CREATE TEMPORARY TABLE ON *.*</query></grants></kit_parity>
</users></clickhouse>`;

describe("the isolated kits' users", () => {
  const xml = isolatedUsersXml(kitUsers);

  it("are the kit's connector, reader and parity users, renamed, with their passwords and profiles", () => {
    expect(xml).toMatch(/<it_connector><password from_env="CLICKHOUSE_CONNECTOR_PASSWORD"\/><profile>default<\/profile>/);
    expect(xml).toMatch(/<it_reader><password from_env="CLICKHOUSE_READER_PASSWORD"\/><profile>kit_readonly<\/profile>/);
    expect(xml).toMatch(/<it_parity><password from_env="CLICKHOUSE_PARITY_PASSWORD"\/><profile>default<\/profile>/);
    expect(xml).not.toMatch(/kit_connector|kit_reader|kit_parity/);
  });

  it('hold every grant on the kit database on it_*.* instead, and the others as they are', () => {
    expect(xml).toContain('<query>GRANT INSERT ON it_*.*</query>');
    expect(xml).toContain('<query>GRANT SHOW DATABASES ON it_*.*</query>');
    expect(xml).toContain('<query>GRANT SELECT ON system.columns</query>');
    expect(xml).toContain('<query>GRANT SELECT ON it_*.*</query>');
    expect(xml).toContain('<query>GRANT CREATE TEMPORARY TABLE ON *.*</query>');
    expect(xml).not.toMatch(/ON kit\./);
  });
});
