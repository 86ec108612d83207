import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCKER_USERS_FILE, grantsOf, kitUsersFor, PASSWORD_VARIABLES, scopeOf, userNames, usersXml } from '../../src/clickhouse/users.js';
import { loadConfig } from '../../src/config.js';
import { writePipeline } from '../../src/pipeline/isolated.js';
import { isolatedUsersXml } from '../../src/stack/clickhouse/isolated-users.js';
import { tempDir } from '../temp-dir.js';
import { PASSWORDS, SCHEMAS, shippedPipelines } from './pipeline-fixtures.js';

const names = { admin: 'kit_admin', connector: 'kit_connector', reader: 'kit_reader', parity: 'kit_parity' };
const scope = { kitDatabase: 'kit', pipelines: [{ database: 'kit', connectorTable: 'a_connect' }, { database: 'shop', connectorTable: 'b_connect' }] };

/** The grant queries of one user of a users file. */
function grantsIn(xml: string, user: string): string[] {
  const body = new RegExp(`<${user}>([\\s\\S]*?)</${user}>`).exec(xml)?.[1];
  if (body === undefined) throw new Error(`no user ${user}`);
  return [...body.matchAll(/<query>([^<]*)<\/query>/g)].map((m) => m[1]!);
}

/** Every comment of an XML text. */
const comments = (xml: string) => [...xml.matchAll(/<!--([\s\S]*?)-->/g)].map((m) => m[1]!);

describe('the ClickHouse users', () => {
  it("let the connector INSERT into each pipeline's connector table only, and see what it needs to start", () => {
    const g = grantsOf(scope);
    expect(g.connector.filter((q) => /\bINSERT\b/.test(q))).toEqual(['GRANT INSERT ON kit.a_connect', 'GRANT INSERT ON shop.b_connect', 'GRANT CREATE TABLE, SELECT, INSERT ON kit.connect_state', 'GRANT CREATE TABLE, SELECT, INSERT ON shop.connect_state']);
    expect(g.connector).toContain('GRANT SHOW TABLES, SHOW COLUMNS ON kit.a_connect');
    expect(g.connector).toContain('GRANT SHOW DATABASES ON shop.*');
    expect(g.connector).toContain('GRANT SELECT ON system.columns');
    expect(g.connector.some((q) => /ON \w+\.\*$/.test(q) && !/^GRANT SHOW DATABASES ON/.test(q))).toBe(false);
  });

  it('let the reader and verify:parity SELECT each database, and parity INSERT into the watermarks only', () => {
    const g = grantsOf(scope);
    for (const user of [g.reader, g.parity]) {
      expect(user).toContain('GRANT SELECT ON kit.*');
      expect(user).toContain('GRANT SELECT ON shop.*');
      expect(user.filter((q) => /INSERT|CREATE TABLE|ALTER|DROP/.test(q) && !/TEMPORARY/.test(q))).toEqual(user === g.parity ? ['GRANT INSERT ON kit.parity_watermarks'] : []);
    }
    expect(g.parity).toContain('GRANT CREATE TEMPORARY TABLE ON *.*');
    expect(g.parity).toContain('GRANT SELECT ON system.parts');
    expect(g.reader).toContain('GRANT SELECT ON system.kafka_consumers');
    // A database named twice is granted once.
    expect(grantsOf({ kitDatabase: 'kit', pipelines: [{ database: 'kit', connectorTable: 'x' }] }).reader.filter((q) => q === 'GRANT SELECT ON kit.*')).toHaveLength(1);
  });

  it('grant on every table of a database pattern such as it_*', () => {
    const g = grantsOf({ kitDatabase: 'it_*', pipelines: [{ database: 'it_*', connectorTable: '*' }] });
    expect(g.connector).toContain('GRANT INSERT ON it_*.*');
    expect(g.connector).toContain('GRANT CREATE TABLE, SELECT, INSERT ON it_*.*');
    expect(g.reader).toContain('GRANT SELECT ON it_*.*');
    expect(g.parity).toContain('GRANT INSERT ON it_*.*');
    expect([...g.connector, ...g.reader, ...g.parity].filter((q) => /it_\*\.(?!\*)/.test(q))).toEqual([]);
  });

  it('write every user with its password from the environment, its profile and its grants', () => {
    const xml = usersXml(names, scope, 'A test.');
    for (const [role, variable] of Object.entries(PASSWORD_VARIABLES)) {
      expect(xml).toMatch(new RegExp(`<kit_${role}>\\s*<password from_env="${variable}"/>`));
    }
    expect(xml).toMatch(/<kit_reader>[\s\S]*?<profile>kit_readonly<\/profile>[\s\S]*?<\/kit_reader>/);
    expect(xml).toMatch(/<kit_admin>[\s\S]*?<access_management>1<\/access_management>[\s\S]*?<\/kit_admin>/);
    expect(grantsIn(xml, 'kit_connector')).toEqual(grantsOf(scope).connector);
    expect(grantsIn(xml, 'kit_parity')).toEqual(grantsOf(scope).parity);
    expect(xml).not.toMatch(/<password>/);
    expect(usersXml({ connector: 'c', reader: 'r', parity: 'p' }, scope, 'No admin.')).not.toMatch(/access_management/);
    expect(() => usersXml({ ...names, reader: 'kit reader' }, scope, 'x')).toThrow(/the reader user's name "kit reader" is not a plain identifier/);
  });

  it('hold no "--" inside an XML comment', () => {
    const files = [usersXml(names, scope, 'A test.'), isolatedUsersXml(), kitUsersFor(PASSWORDS), readFileSync(DOCKER_USERS_FILE, 'utf8')];
    for (const xml of files) {
      expect(comments(xml).length).toBeGreaterThan(0);
      for (const c of comments(xml)) expect(c).not.toContain('--');
    }
  });

  it('are, for the shipped pipelines and the default user names, the committed Docker users file', () => {
    expect(kitUsersFor(PASSWORDS)).toBe(readFileSync(DOCKER_USERS_FILE, 'utf8'));
    const config = loadConfig(PASSWORDS);
    expect(kitUsersFor(PASSWORDS)).toBe(usersXml(userNames(config), scopeOf(config, shippedPipelines()), 'For the pipelines in pipelines/.'));
    expect(grantsIn(readFileSync(DOCKER_USERS_FILE, 'utf8'), 'kit_connector').filter((q) => /^GRANT INSERT ON/.test(q)).sort()).toEqual(['GRANT INSERT ON kit.events_connect', 'GRANT INSERT ON kit.orders_connect']);
  });

  it("follow the configuration's user names and database and the pipelines in KIT_PIPELINES_DIR", () => {
    const dir = tempDir('kit-pipelines-');
    writePipeline(dir, { name: 'clicks', schema: { file: SCHEMAS.userEvents }, clickhouse: { database: 'web' } }, 'ignored');
    const xml = kitUsersFor({ ...PASSWORDS, KIT_PIPELINES_DIR: dir, CLICKHOUSE_DATABASE: 'analytics', CLICKHOUSE_CONNECTOR_USER: 'sink' });
    expect(grantsIn(xml, 'sink').filter((q) => /^GRANT INSERT ON/.test(q))).toEqual(['GRANT INSERT ON web.clicks_connect']);
    expect(grantsIn(xml, 'kit_parity')).toContain('GRANT INSERT ON analytics.parity_watermarks');
    expect(grantsIn(xml, 'kit_reader')).toEqual(expect.arrayContaining(['GRANT SELECT ON analytics.*', 'GRANT SELECT ON web.*']));
  });

  it('leave out the grants of pipelines that do not load, saying so', () => {
    const dir = tempDir('kit-pipelines-');
    writeFileSync(path.join(dir, 'broken.yaml'), 'name: broken\nschema:\n  fil: x.avsc\n');
    const warned: string[] = [];
    const xml = kitUsersFor({ ...PASSWORDS, KIT_PIPELINES_DIR: dir }, (line) => warned.push(line));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^the pipelines' grants are left out of the ClickHouse users: .*broken\.yaml/);
    expect(grantsIn(xml, 'kit_connector').filter((q) => /^GRANT INSERT ON/.test(q))).toEqual([]);
    expect(grantsIn(xml, 'kit_parity')).toContain('GRANT INSERT ON kit.parity_watermarks');
  });
});
