/**
 * Wrong flags, missing files, malformed JSON, wrong credentials, unreachable
 * services: each command answers with a clear message and exit 2, and applies
 * nothing.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { projectRoot } from '../../src/paths.js';
import { isolatedConfig } from './helpers.js';
import { tempDir } from '../temp-dir.js';

const config = isolatedConfig('badinput');
const dir = tempDir('kit-bad-');
const env = { CLICKHOUSE_DATABASE: config.clickhouse.database, KIT_TOPIC: config.topic };

function cli(script: string, args: string[], extraEnv: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: out.status, stderr: out.stderr, stdout: out.stdout };
}

function file(name: string, text: string) {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

afterAll(async () => {
  const ch = clickhouseClient(config);
  await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database} SYNC` });
  await ch.close();
});

const cases: { name: string; script: string; args: string[]; env?: Record<string, string>; message: RegExp }[] = [
  { name: 'sql:apply with a wrong admin password', script: 'sql-apply', args: [], env: { CLICKHOUSE_ADMIN_PASSWORD: 'wrong' }, message: /Authentication failed.*check the ClickHouse user and password/s },
  { name: 'sql:apply with ClickHouse unreachable', script: 'sql-apply', args: [], env: { CLICKHOUSE_URL: 'http://127.0.0.1:1' }, message: /ECONNREFUSED.*does not answer/s },
  { name: 'sql:apply with a missing SQL directory', script: 'sql-apply', args: ['--sql-dir', '/nonexistent/sql'], message: /\/nonexistent\/sql/ },
  { name: 'produce:avro with a missing schema file', script: 'produce-avro', args: ['--count', '1', '--schema', '/nonexistent/s.avsc'], message: /\/nonexistent\/s\.avsc/ },
  { name: 'produce:avro with a malformed schema file', script: 'produce-avro', args: ['--count', '1', '--schema', 'MALFORMED_AVSC'], message: /MALFORMED|JSON/ },
  { name: 'produce:avro with a negative rate', script: 'produce-avro', args: ['--count', '1', '--rate', '-5'], message: /--rate must be an integer >= 0/ },
  { name: 'produce:avro with an unknown compression', script: 'produce-avro', args: ['--count', '1', '--compression', 'brotli'], message: /--compression/ },
  { name: 'verify:parity with a malformed --run file', script: 'verify-parity', args: ['--run', 'MALFORMED_JSON'], message: /is not JSON/ },
  { name: 'verify:parity with a --run file of another shape', script: 'verify-parity', args: ['--run', 'WRONG_SHAPE'], message: /not a produce:avro summary/ },
  { name: 'verify:parity with a wrong password for its user', script: 'verify-parity', args: [], env: { CLICKHOUSE_PARITY_PASSWORD: 'wrong' }, message: /Authentication failed|unreachable/ },
  { name: 'verify:parity with Kafka unreachable', script: 'verify-parity', args: [], env: { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' }, message: /Kafka broker at 127\.0\.0\.1:1 is unreachable/ },
  { name: 'verify:parity with a bad timeout', script: 'verify-parity', args: ['--wait', '--timeout', 'soon'], message: /--timeout must be an integer/ },
  { name: 'demo with --count 0', script: 'demo', args: ['--count', '0'], message: /--count must be an integer >= 1/ },
  { name: 'stack:restart of an unknown service', script: 'stack-restart', args: ['postgres'], message: /unknown service postgres/ },
  { name: 'any command with a malformed config value', script: 'sql-apply', args: [], env: { CONNECT_URL: 'not a url' }, message: /CONNECT_URL/ },
];

describe('bad input', () => {
  for (const c of cases) {
    it(`${c.name}: exit 2 with a clear message`, () => {
      const args = c.args.map((a) =>
        a === 'MALFORMED_AVSC' ? file('bad.avsc', '{"type": "record", ') : a === 'MALFORMED_JSON' ? file('bad.json', '{not json') : a === 'WRONG_SHAPE' ? file('shape.json', '{"hello": 1}') : a,
      );
      const out = cli(c.script, args, c.env);
      expect(out.code, out.stderr).toBe(2);
      expect(out.stderr).toMatch(c.message);
    });
  }

  it('sql:apply with one bad template among good files applies nothing', async () => {
    const sqlDir = tempDir('kit-bad-sql-');
    writeFileSync(path.join(sqlDir, '00_ok.sql'), 'CREATE DATABASE IF NOT EXISTS {{database}};\nCREATE TABLE IF NOT EXISTS {{database}}.ok (a UInt8) ENGINE = MergeTree ORDER BY a;\n');
    writeFileSync(path.join(sqlDir, '10_bad.sql'), 'CREATE TABLE IF NOT EXISTS {{database}}.bad (a UInt8) ENGINE = Kafka SETTINGS kafka_broker_list = {{no_such_value}};\n');
    const out = cli('sql-apply', ['--sql-dir', sqlDir]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/10_bad\.sql: unknown placeholder \{\{no_such_value\}\}/);
    const ch = clickhouseClient(config);
    const rows = await (await ch.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}', query_params: { db: config.clickhouse.database }, format: 'JSONEachRow' })).json<{ n: string }>();
    await ch.close();
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
