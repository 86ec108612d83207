/**
 * The embedded stack's ClickHouse is ClickHouse's own server, for every client the kit and the
 * sink connector use: @clickhouse/client, and the official Java clients 0.9.5 (the V1 HTTP
 * client, the connector's default, and client-v2) driven by test/java-clients/ClientsHarness.java;
 * an INSERT sent as an LZ4 frame; and the users file's least privilege, answered with
 * ClickHouse's own error codes. Writes go to a database of the test's own, dropped afterwards;
 * on `kit` only INSERTs with an empty body and statements the users may not run are sent.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from '../../src/clickhouse/ddl.js';
import { pipelineDdl } from '../../src/pipeline/ddl.js';
import { choosePipelines, pipelineSchema } from '../../src/pipeline/load.js';
import { loadConfig, resolveEnv, type Credentials } from '../../src/config.js';
import { projectRoot, stackPaths } from '../../src/paths.js';
import { javaBin, runMaven } from '../../src/stack/jvm.js';
import { ISOLATED_USERS } from '../../src/stack/clickhouse/isolated-users.js';

const HARNESS_DIR = path.join(projectRoot, 'test', 'java-clients');
const HARNESS_POM = path.join(HARNESS_DIR, 'pom.xml');
const HARNESS_LIB = path.join(stackPaths().base, 'java-clients', 'lib');
const HARNESS_TIMEOUT_MS = 120_000;

const tag = randomBytes(4).toString('hex');
const DB = `it_clients_${tag}`;
const ROWS_TABLE = 'rows';
const ROWS = 5_000;
/** Created by the admin in `kit` only for the connector's refused DROP, and dropped again. */
const KIT_PROBE = `clients_probe_${tag}`;

const kit = loadConfig();
const K = kit.clickhouse.database;
/** The shipped pipelines (pipelines/): the kit's users are granted on their tables. */
const [events, orders] = ['user_events', 'orders'].map((name) => choosePipelines({ requested: name, database: K, env: {} })[0]!);
const tables = events!.tables;
/** The test users (src/stack/clickhouse/isolated-users.ts) on the test's own database. */
const own = loadConfig({
  ...resolveEnv(),
  CLICKHOUSE_DATABASE: DB,
  CLICKHOUSE_CONNECTOR_USER: ISOLATED_USERS.connector,
  CLICKHOUSE_READER_USER: ISOLATED_USERS.reader,
});

let admin: ClickHouseClient;

// ---- the harness

function resolveHarnessJars(): void {
  const stamp = path.join(HARNESS_LIB, '.pom-sha256');
  const want = createHash('sha256').update(readFileSync(HARNESS_POM)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  runMaven(stackPaths(), { pom: HARNESS_POM, goals: ['dependency:copy-dependencies@classpath'] });
  mkdirSync(HARNESS_LIB, { recursive: true });
  writeFileSync(stamp, want);
}

/** Per client (or batch): its result fields, or `ok: false` with ClickHouse's `code` and `error`. */
type HarnessResult = Record<string, Record<string, unknown>>;

/** Runs one scenario; a compile or launch failure, or output that is not the JSON line, throws with Java's output. */
function harness(who: Credentials, scenario: string, ...args: string[]): Promise<HarnessResult> {
  const argv = [
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    path.join(HARNESS_LIB, '*'),
    path.join(HARNESS_DIR, 'ClientsHarness.java'),
    kit.clickhouse.url,
    who.user,
    scenario,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      javaBin(),
      argv,
      { env: { ...process.env, CLICKHOUSE_PASSWORD: who.password }, timeout: HARNESS_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          if (error) throw error;
          resolve(JSON.parse(line) as HarnessResult);
        } catch (e) {
          reject(new Error(`ClientsHarness ${scenario} failed: ${(e as Error).message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        }
      },
    );
  });
}

// ---- rows: what the harness writes (see ClientsHarness.java), checked inside ClickHouse

const TS_BASE_MS = 1_700_000_000_000;

function generatedRow(batch: string, i: number) {
  return {
    batch,
    s: `row-${i}-ü✓`,
    lc: `lc${i % 3}`,
    ts: new Date(TS_BASE_MS + i * 1001).toISOString().replace('T', ' ').replace('Z', ''),
    n: i * 7 - 500,
    ns: i % 4 === 0 ? null : `n${i}`,
    id: i,
  };
}

const rowKey = (s: string, lc: string, tsMs: string, n: string, ns: string, id: string) =>
  `cityHash64(concat(${s}, '|', ${lc}, '|', toString(${tsMs}), '|', toString(${n}), '|', ${ns}, '|', toString(${id})))`;

interface BatchCheck {
  batch: string;
  rows: number;
  ids: number;
  min_id: number;
  max_id: number;
  checksum: string;
}

/** Per batch: rows, distinct ids, and an order-independent checksum over every column. */
async function batches(client: ClickHouseClient): Promise<Map<string, BatchCheck>> {
  const result = await client.query({
    query: `SELECT batch, toUInt32(count()) AS rows, toUInt32(uniqExact(id)) AS ids, toInt32(min(id)) AS min_id, toInt32(max(id)) AS max_id,
                   toString(sum(${rowKey('s', 'lc', 'toUnixTimestamp64Milli(ts)', 'n', "ifNull(ns, '<null>')", 'id')})) AS checksum
            FROM ${DB}.${ROWS_TABLE} GROUP BY batch`,
    format: 'JSONEachRow',
  });
  return new Map((await result.json<BatchCheck>()).map((b) => [b.batch, b]));
}

/** The same checksum over the generator's formula, computed by the server. */
async function expectedChecksum(client: ClickHouseClient, rows: number): Promise<string> {
  const result = await client.query({
    query: `SELECT toString(sum(${rowKey(
      "concat('row-', toString(number), '-ü✓')",
      "concat('lc', toString(number % 3))",
      `${TS_BASE_MS} + number * 1001`,
      'toInt64(number) * 7 - 500',
      "if(number % 4 = 0, '<null>', concat('n', toString(number)))",
      'number',
    )})) AS checksum FROM numbers(${rows})`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ checksum: string }>())[0]!.checksum;
}

async function expectExactBatch(name: string, rows = ROWS): Promise<void> {
  const reader = clickhouseClient(own, 'reader');
  try {
    const got = (await batches(reader)).get(name);
    expect(got, `batch ${name}`).toEqual({
      batch: name,
      rows,
      ids: rows,
      min_id: 0,
      max_id: rows - 1,
      checksum: await expectedChecksum(reader, rows),
    });
  } finally {
    await reader.close();
  }
}

// ---- ClickHouse's answer to a statement, as the client reports it

/** ClickHouse's error code for what `run` did, or 'ok'. */
async function codeOf(run: () => Promise<unknown>): Promise<number | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (e) {
    const code = Number((e as { code?: string }).code);
    if (!Number.isInteger(code)) throw e;
    return code;
  }
}

/** A POST as the connector sends an INSERT (the statement in `query`, the data as the body), with an empty body. */
async function postEmpty(who: Credentials, query: string) {
  const response = await fetch(`${kit.clickhouse.url}/?query=${encodeURIComponent(query)}`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}` },
    body: '',
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const summary = response.headers.get('x-clickhouse-summary');
  return {
    status: response.status,
    code: Number(response.headers.get('x-clickhouse-exception-code') ?? 0),
    text: text.trim(),
    writtenRows: summary ? Number((JSON.parse(summary) as { written_rows: string }).written_rows) : undefined,
  };
}

beforeAll(async () => {
  admin = clickhouseClient(kit, 'admin');
  // The kit's own objects, for the privilege checks on them (a fresh stack has none yet): the kit's idempotent DDL.
  const endpoints = { brokerList: kit.clickhouseKafka.brokerList, registryUrl: kit.clickhouseKafka.registryUrl };
  for (const p of [events!, orders!]) {
    const exists = await (await admin.query({ query: `EXISTS TABLE ${K}.${p.tables.connector}`, format: 'JSONEachRow' })).json<{ result: number }>();
    if (Number(exists[0]?.result) !== 1) await applySql(admin, [...loadSqlFiles(templateValues(kit)), ...pipelineDdl(p, (await pipelineSchema(p)).columns, endpoints)]);
  }
  await admin.command({ query: `CREATE DATABASE ${DB}` });
  await admin.command({
    query: `CREATE TABLE ${DB}.${ROWS_TABLE} (batch String, s String, lc LowCardinality(String), ts DateTime64(3, 'UTC'),
              n Int32, ns Nullable(String), id Int64) ENGINE = MergeTree ORDER BY (batch, id)`,
  });
});

afterAll(async () => {
  if (!admin) return;
  await admin.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` });
  await admin.command({ query: `DROP TABLE IF EXISTS ${K}.${KIT_PROBE} SYNC` });
  await admin.close();
});

describe('the official Java clients 0.9.5 (V1 HTTP client and client-v2)', () => {
  const connector = own.clickhouse.connector;

  beforeAll(() => resolveHarnessJars(), 600_000);

  it('ping', async () => {
    const r = await harness(kit.clickhouse.connector, 'ping');
    expect(r.v1).toEqual({ ok: true });
    expect(r.v2).toEqual({ ok: true });
  });

  it('read VERSION() and 100 000 typed rows, with compressed (compress=1) and plain responses', async () => {
    const rows = 100_000;
    const r = await harness(kit.clickhouse.connector, 'select', String(rows));
    const [version] = await (await admin.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
    for (const client of ['v1', 'v2'] as const) {
      for (const mode of ['compressed', 'plain'] as const) {
        expect(r[client]![mode], `${client} ${mode}`).toEqual({
          ok: true,
          version: version!.v,
          rows,
          idSum: (rows * (rows - 1)) / 2,
          nulls: rows / 4,
          mismatches: 0,
          firstMismatch: null,
        });
      }
    }
    // The connector refuses servers older than 23.3.
    const [major, minor] = version!.v.split('.').map(Number);
    expect(major! * 100 + minor!).toBeGreaterThanOrEqual(2303);
  });

  it('RowBinary INSERTs as the connector sends them land every row and value', async () => {
    const r = await harness(connector, 'insert', DB, ROWS_TABLE, String(ROWS));
    for (const batch of ['v1', 'v1-compressed-request', 'v2', 'v2-compressed-request']) {
      expect(r[batch], batch).toEqual({ ok: true, writtenRows: ROWS });
      await expectExactBatch(batch);
    }
  });

  it('an INSERT whose body is an LZ4 frame (Content-Encoding: lz4) writes its rows', async () => {
    const r = await harness(connector, 'lz4', DB, ROWS_TABLE, String(ROWS));
    expect(r['lz4-frame']).toMatchObject({ ok: true, status: 200 });
    expect(JSON.parse(r['lz4-frame']!.summary as string)).toMatchObject({ written_rows: String(ROWS) });
    expect(r['lz4-frame']!.sentBytes as number).toBeLessThan(r['lz4-frame']!.rawBytes as number);
    expect(r['v2-http-lz4']).toEqual({ ok: true, writtenRows: ROWS });
    await expectExactBatch('lz4-frame');
    await expectExactBatch('v2-http-lz4');
  });

  it.each([
    ['an unknown table', () => connector, `SELECT * FROM ${DB}.no_such_table`, 60, 'UNKNOWN_TABLE'],
    ['a wrong password', () => ({ ...connector, password: 'wrong' }), 'SELECT 1', 516, 'AUTHENTICATION_FAILED'],
    ['a privilege the user lacks', () => kit.clickhouse.connector, `SELECT count() FROM ${K}.events_kafka`, 497, 'ACCESS_DENIED'],
  ])('surface ClickHouse’s code for %s', async (_, who, sql, code, name) => {
    const r = await harness(who(), 'fail', sql);
    for (const client of ['v1', 'v2'] as const) {
      expect(r[client], client).toMatchObject({ ok: false, code });
      expect(r[client]!.error).toContain(`(${name})`);
    }
  });
});

describe('@clickhouse/client, the kit’s own client', () => {
  it('round trips: JSONEachRow query and insert, a server error’s code', async () => {
    const writer = clickhouseClient(own, 'connector');
    const reader = clickhouseClient(own, 'reader');
    try {
      const [row] = await (await reader.query({ query: "SELECT version() AS v, 'ü✓' AS s, toInt64(-1) AS n", format: 'JSONEachRow' })).json<{ v: string; s: string; n: string | number }>();
      expect(row!.s).toBe('ü✓');
      expect(Number(row!.n)).toBe(-1);
      expect(row!.v).toMatch(/^\d+\.\d+\./);
      await writer.insert({ table: `${DB}.${ROWS_TABLE}`, values: Array.from({ length: ROWS }, (_, i) => generatedRow('ts-json', i)), format: 'JSONEachRow' });
      await expectExactBatch('ts-json');
      const error = await reader.query({ query: `SELECT * FROM ${DB}.no_such_table` }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('round trips with request and response compression on', async () => {
    const gz = createClient({
      url: own.clickhouse.url,
      username: ISOLATED_USERS.connector,
      password: own.clickhouse.connector.password,
      compression: { request: true, response: true },
    });
    try {
      await gz.insert({ table: `${DB}.${ROWS_TABLE}`, values: Array.from({ length: ROWS }, (_, i) => generatedRow('ts-gzip', i)), format: 'JSONEachRow' });
      await expectExactBatch('ts-gzip');
      const got = await (await gz.query({ query: `SELECT toUInt32(id) AS id, s FROM ${DB}.${ROWS_TABLE} WHERE batch = 'ts-gzip' ORDER BY id`, format: 'JSONEachRow' })).json<{ id: number; s: string }>();
      expect(got).toHaveLength(ROWS);
      expect(got[ROWS - 1]).toEqual({ id: ROWS - 1, s: `row-${ROWS - 1}-ü✓` });
    } finally {
      await gz.close();
    }
  });
});

describe('the users file: least privilege, with ClickHouse’s codes', () => {
  const reader = () => clickhouseClient(kit, 'reader');
  const connector = () => clickhouseClient(kit, 'connector');
  const DENIED = [497, 164]; // ACCESS_DENIED, or READONLY for the read-only profile

  it('kit_reader reads the kit’s tables and what health reads', async () => {
    const ch = reader();
    try {
      for (const table of [tables.connector, tables.kafka, tables.kafkaErrors]) {
        expect(await codeOf(() => ch.query({ query: `SELECT count() FROM ${K}.${table}` }).then((r) => r.json())), table).toBe('ok');
      }
      // What verify:parity and health read besides: system.tables, system.columns, and the Kafka engine's consumers.
      for (const table of ['tables', 'columns', 'kafka_consumers']) {
        expect(await codeOf(() => ch.query({ query: `SELECT count() FROM system.${table} WHERE database = '${K}'` }).then((r) => r.json())), `system.${table}`).toBe('ok');
      }
    } finally {
      await ch.close();
    }
  });

  it('kit_reader may not INSERT or CREATE', async () => {
    const insert = await postEmpty(kit.clickhouse.reader, `INSERT INTO ${K}.${tables.kafka} FORMAT RowBinary`);
    expect(DENIED, insert.text).toContain(insert.code);
    const ch = reader();
    try {
      expect(DENIED).toContain(await codeOf(() => ch.command({ query: `CREATE TABLE ${K}.${KIT_PROBE} (x Int8) ENGINE = Null` })));
    } finally {
      await ch.close();
    }
  });

  it('kit_connector runs what the connector runs: VERSION(), its table’s columns, an INSERT into it', async () => {
    const ch = connector();
    try {
      expect(await codeOf(() => ch.query({ query: 'SELECT VERSION()' }).then((r) => r.text()))).toBe('ok');
      expect(await codeOf(() => ch.query({ query: `DESCRIBE TABLE ${K}.${tables.connector}`, clickhouse_settings: { describe_include_subcolumns: 1 } }).then((r) => r.json()))).toBe('ok');
      const columns = await (await ch.query({ query: `SELECT name FROM system.columns WHERE database = '${K}' AND table = '${tables.connector}'`, format: 'JSONEachRow' })).json<{ name: string }>();
      expect(columns.map((c) => c.name)).toContain('_offset');
    } finally {
      await ch.close();
    }
    // Allowed, and with an empty RowBinary body it writes nothing into the kit's table.
    const insert = await postEmpty(kit.clickhouse.connector, `INSERT INTO ${K}.${tables.connector} FORMAT RowBinary`);
    expect(insert, insert.text).toMatchObject({ status: 200, code: 0, writtenRows: 0 });
  });

  it("kit_connector may insert into every pipeline's connector table (the users file names them all), and into no other leg's", async () => {
    for (const p of [events!, orders!]) {
      const ok = await postEmpty(kit.clickhouse.connector, `INSERT INTO ${K}.${p.tables.connector} FORMAT RowBinary`);
      expect(ok, `${p.name}: ${ok.text}`).toMatchObject({ status: 200, code: 0, writtenRows: 0 });
      const refused = await postEmpty(kit.clickhouse.connector, `INSERT INTO ${K}.${p.tables.kafka} FORMAT RowBinary`);
      expect(refused.code, refused.text).toBe(497);
    }
  });

  it('kit_connector may not write elsewhere, read the other leg, CREATE or DROP', async () => {
    const insert = await postEmpty(kit.clickhouse.connector, `INSERT INTO ${K}.${tables.kafka} FORMAT RowBinary`);
    expect(insert.code, insert.text).toBe(497);
    await admin.command({ query: `CREATE TABLE ${K}.${KIT_PROBE} (x Int8) ENGINE = Null` });
    const ch = connector();
    try {
      expect(await codeOf(() => ch.query({ query: `SELECT count() FROM ${K}.${tables.kafka}` }).then((r) => r.json()))).toBe(497);
      expect(await codeOf(() => ch.command({ query: `CREATE TABLE ${K}.x_${tag} (x Int8) ENGINE = Null` }))).toBe(497);
      // DROP is checked against an existing table (a missing one answers 60 first): the probe.
      expect(await codeOf(() => ch.command({ query: `DROP TABLE ${K}.${KIT_PROBE}` }))).toBe(497);
    } finally {
      await ch.close();
      await admin.command({ query: `DROP TABLE IF EXISTS ${K}.${KIT_PROBE} SYNC` });
      await admin.command({ query: `DROP TABLE IF EXISTS ${K}.x_${tag} SYNC` });
    }
  });

  it('a wrong password is refused with 516', async () => {
    const ch = createClient({ url: kit.clickhouse.url, username: kit.clickhouse.reader.user, password: 'wrong' });
    try {
      expect(await codeOf(() => ch.query({ query: 'SELECT 1' }).then((r) => r.json()))).toBe(516);
    } finally {
      await ch.close();
    }
  });

  it('the engine’s own `default` user is refused over HTTP by its spent quota (201), STOP LISTEN included', async () => {
    // `default` holds SYSTEM LISTEN. Nothing is sent as `default` unless its quota shows no query left,
    // and STOP LISTEN only once a harmless counted query was refused with QUOTA_EXCEEDED (queries that
    // read only system tables, like SELECT 1, are not counted against quotas, so they prove nothing).
    const [usage] = await (
      await admin.query({ query: "SELECT toUInt32(queries) AS queries, toUInt32(max_queries) AS max FROM system.quotas_usage WHERE quota_key = 'default'", format: 'JSONEachRow' })
    ).json<{ queries: number; max: number }>();
    expect(usage, 'the quota of `default`').toBeDefined();
    expect(usage!.queries, `\`default\` may still run ${usage!.max - usage!.queries} of its ${usage!.max} queries over HTTP`).toBeGreaterThanOrEqual(usage!.max);
    const ch = createClient({ url: kit.clickhouse.url, username: 'default', password: '' });
    try {
      expect(await codeOf(() => ch.query({ query: 'SELECT count() FROM numbers(1)' }).then((r) => r.json()))).toBe(201);
      expect(await codeOf(() => ch.command({ query: 'SYSTEM STOP LISTEN HTTP' }))).toBe(201);
    } finally {
      await ch.close();
    }
  });
});
