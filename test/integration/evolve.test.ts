/**
 * npm run evolve on the embedded stack, as a child process with an isolated config and
 * the official ClickHouse sink deployed for it: v1 events land through both legs, then
 * the rehearsal stops the connector, adds session_id (schema v2) to both target tables,
 * recreates the Kafka-engine table, its fan-out and views with the same consumer group,
 * starts the connector again, produces v2 and v1 events, and parity over the whole topic
 * is exact on both legs with equal content, session_id included. The Kafka engine
 * group's committed offsets are sampled throughout: they never go back.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { EvolveSummary } from '../../src/evolve/evolve.js';
import { V2EventGenerator } from '../../src/evolve/produce.js';
import { V2_SCHEMA_FILE } from '../../src/evolve/schema.js';
import { committedOffsets } from '../../src/parity/truth.js';
import { projectRoot } from '../../src/paths.js';
import { produceAvro } from '../../src/produce/producer.js';
import { Registry } from '../../src/registry/registry.js';
import { deployPipelineSink, type DeployedSink } from '../../src/connect/pipeline-sink.js';
import { resolveEnv } from '../../src/config.js';
import { cliEnv, eventually, isolatedConfig, produceOptions, setUpKit } from './helpers.js';
import { tempDir } from '../temp-dir.js';

const config = isolatedConfig('evolve');
const db = config.clickhouse.database;
const group = config.clickhouseKafka.consumerGroup;
const env = kit.env();
const V1_EVENTS = 600;
const V2_EVENTS = 300;
const V1_AFTER = 20;
const V2_SEED = 9;

let ch: ClickHouseClient;
let admin: Admin;
let sink: DeployedSink;

/** The Kafka engine group's committed offsets, sampled every 250 ms from before the first evolve to the end. */
const samples: Map<number, bigint>[] = [];
let sampling = true;
let sampler: Promise<void>;

function evolveRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/evolve.ts', ...args], { cwd: projectRoot, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

async function evolveJson(...args: string[]): Promise<{ code: number; summary: EvolveSummary; stderr: string }> {
  const out = await evolveRun(['--json', '--require', 'both', ...args]);
  try {
    return { code: out.code, summary: JSON.parse(out.stdout) as EvolveSummary, stderr: out.stderr };
  } catch {
    throw new Error(`evolve printed no JSON (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
}

async function rows<T>(query: string): Promise<T[]> {
  const rs = await ch.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return rs.json<T>();
}

const step = (s: EvolveSummary, name: string) => s.steps.find((x) => x.step === name)!;
const leg = (s: EvolveSummary, name: 'connector' | 'kafka_engine') => s.parity!.legs.find((l) => l.leg === name)!;
const stepStates = (s: EvolveSummary) => s.steps.map((x) => [x.step, x.status]);
const count = async (query: string) => Number((await rows<{ n: number }>(query))[0]!.n);

beforeAll(async () => {
  ch = await setUpKit(config);
  admin = new Kafka({ brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  sink = await deployPipelineSink(kit.config, resolveEnv(), [up.pipeline]);
  await produceAvro(produceOptions(config, {
    count: V1_EVENTS,
    batchSize: 200,
    seed: 7,
    poison: 1,
  }));
  const ends = await admin.fetchTopicOffsets(config.topic);
  await eventually(
    'the v1 events landed and were committed',
    () => committedOffsets(admin, group, config.topic),
    (c) => c !== undefined && ends.every((e) => c.get(e.partition) === BigInt(e.high)),
    90_000,
  );
  await eventually('the v1 events landed through the connector', () => count(`SELECT count() AS n FROM ${db}.events_connect`), (n) => n === V1_EVENTS, 90_000);
  sampler = (async () => {
    while (sampling) {
      const c = await committedOffsets(admin, group, config.topic).catch(() => undefined);
      if (c) samples.push(c);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
});

afterAll(async () => {
  sampling = false;
  await sampler;
  await sink?.remove();
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  if (admin) {
    const existing = new Set(await admin.listTopics());
    const mine = [config.topic, config.connector.dlqTopic].filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
  await ch?.close();
});

describe('npm run evolve', () => {
  it('--dry-run prints the plan and its SQL and changes nothing', async () => {
    const { code, summary } = await evolveJson('--dry-run');
    expect(code).toBe(0);
    expect(summary.added).toEqual([{ name: 'session_id', column: 'Nullable(String) DEFAULT NULL' }]);
    expect(stepStates(summary)).toEqual([
      ['compatibility', 'done'],
      ['connector stop', 'planned'],
      ['columns', 'planned'],
      ['kafka engine', 'planned'],
      ['connector start', 'planned'],
      ['produce', 'planned'],
      ['parity', 'planned'],
    ]);
    expect(step(summary, 'columns').sql).toContain(`ALTER TABLE ${db}.events_connect ADD COLUMN IF NOT EXISTS session_id Nullable(String) DEFAULT NULL AFTER referrer`);
    expect(step(summary, 'columns').sql).toContain(`ALTER TABLE ${db}.events_kafka ADD COLUMN IF NOT EXISTS session_id Nullable(String) DEFAULT NULL AFTER referrer`);
    const recreate = step(summary, 'kafka engine').sql;
    expect(recreate.slice(0, 2)).toEqual([`DROP VIEW IF EXISTS ${db}.events_kafka_queue_mv SYNC`, `DROP TABLE IF EXISTS ${db}.events_kafka_queue SYNC`]);
    expect(recreate.at(-1)).toMatch(new RegExp(`^CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}\\.events_kafka_queue_mv TO ${db}\\.events_kafka_fanout AS`));
    expect(recreate.join('\n')).toContain(`kafka_group_name = '${group}'`);
    expect(await count(`SELECT count() AS n FROM system.columns WHERE database = '${db}' AND name = 'session_id'`)).toBe(0);
    expect((await sink.client.status(sink.name))?.connector.state).toBe('RUNNING');
  });

  it('evolves both legs without losing or re-reading an offset; v2 rows carry session_id on both, v1 rows the default', { timeout: 300_000 }, async () => {
    const { code, summary, stderr } = await evolveJson('--count', String(V2_EVENTS), '--v1-after', String(V1_AFTER), '--seed', String(V2_SEED), '--timeout', '150');
    expect(code, `${stderr}\n${JSON.stringify(summary.parity?.reasons)}`).toBe(0);
    expect(stepStates(summary)).toEqual([
      ['compatibility', 'done'],
      ['connector stop', 'done'],
      ['columns', 'done'],
      ['kafka engine', 'done'],
      ['connector start', 'done'],
      ['produce', 'done'],
      ['parity', 'done'],
    ]);
    expect(step(summary, 'connector stop').detail).toMatch(new RegExp(`^${sink.name} STOPPED with no tasks .*\\(was RUNNING\\)$`));
    expect(step(summary, 'connector start').detail).toBe(`${sink.name} RUNNING again with 1 new task(s)`);
    // The recreate kept the group's committed offsets as they were.
    expect(summary.offsets.before).toBeDefined();
    expect(summary.offsets.after).toEqual(summary.offsets.before);

    // Parity over the whole topic: v1 before, v2 and v1 after; both legs exact, no duplicates, equal content.
    expect(summary.parity!.exact).toBe(true);
    expect(summary.parity!.source).toBe('topic');
    const totals = { expected: V1_EVENTS + 1 + V2_EVENTS + V1_AFTER, landed: V1_EVENTS + V2_EVENTS + V1_AFTER, missing: 0, duplicates: 0 };
    expect(leg(summary, 'kafka_engine').totals).toMatchObject({ ...totals, errorRows: 1 });
    expect(leg(summary, 'connector').totals).toMatchObject({ ...totals, deadLettered: 1 });
    expect(summary.parity!.content).toMatchObject({ compared: true, differing: 0 });

    // v2 rows on each leg: exactly the generator's session ids. v1 rows, before and after the change: NULL.
    const expected = new V2EventGenerator(V2_SEED).take(V2_EVENTS).map((e) => ({ id: e.id, session_id: e.session_id })).sort((a, b) => a.id.localeCompare(b.id));
    expect(expected.filter((r) => r.session_id !== null).length).toBeGreaterThan(V2_EVENTS / 2);
    const after = summary.produced.v1After!;
    const lateV1 = after.partitions.map((p) => `(_partition = ${p.partition} AND _offset BETWEEN ${p.firstOffset} AND ${p.lastOffset})`).join(' OR ');
    for (const table of ['events_kafka', 'events_connect']) {
      expect(await rows<{ id: string; session_id: string | null }>(`SELECT id, session_id FROM ${db}.${table} WHERE version = 2 ORDER BY id`), table).toEqual(expected);
      const [v1] = await rows<{ n: number; nulls: number }>(`SELECT count() AS n, countIf(session_id IS NULL) AS nulls FROM ${db}.${table} WHERE version = 1`);
      expect(v1, table).toEqual({ n: V1_EVENTS + V1_AFTER, nulls: V1_EVENTS + V1_AFTER });
      // The v1 events produced after the change landed (not as error rows or dead letters) with the default.
      const [late] = await rows<{ n: number; nulls: number }>(`SELECT count() AS n, countIf(session_id IS NULL) AS nulls FROM ${db}.${table} WHERE ${lateV1}`);
      expect(late, table).toEqual({ n: V1_AFTER, nulls: V1_AFTER });
    }
    // The connector's INSERT names no columns: one sent with the old column list fails (code 33). None did.
    await ch.command({ query: 'SYSTEM FLUSH LOGS' });
    const failed = await rows<{ code: number; query: string }>(
      `SELECT exception_code AS code, query FROM system.query_log WHERE type != 'QueryStart' AND exception_code != 0 AND user = '${config.clickhouse.connector.user}' AND has(databases, '${db}')`,
    );
    expect(failed).toEqual([]);
    // Parity's checksum leaves session_id out: the two legs agree on it offset by offset too.
    const [both] = await rows<{ n: number; differ: number }>(
      `SELECT count() AS n, countIf(ifNull(c.session_id, '(null)') != ifNull(k.session_id, '(null)')) AS differ FROM ${db}.events_connect AS c INNER JOIN ${db}.events_kafka AS k USING (_partition, _offset)`,
    );
    expect(both).toEqual({ n: V1_EVENTS + V2_EVENTS + V1_AFTER, differ: 0 });

    // The column with the Avro default on both target tables; the fan-out and both views carry it; the Kafka table reads with the same group.
    const cols = await rows<{ table: string; type: string; default_expression: string }>(
      `SELECT table, type, default_expression FROM system.columns WHERE database = '${db}' AND name = 'session_id' ORDER BY table`,
    );
    expect(cols).toEqual([
      { table: 'events_connect', type: 'Nullable(String)', default_expression: 'NULL' },
      { table: 'events_kafka', type: 'Nullable(String)', default_expression: 'NULL' },
      { table: 'events_kafka_fanout', type: 'Nullable(String)', default_expression: '' },
      { table: 'events_kafka_mv', type: 'Nullable(String)', default_expression: '' },
      { table: 'events_kafka_queue', type: 'Nullable(String)', default_expression: '' },
      { table: 'events_kafka_queue_mv', type: 'Nullable(String)', default_expression: '' },
    ]);
    const [queue] = await rows<{ q: string; views: string[] }>(`SELECT create_table_query AS q, dependencies_table AS views FROM system.tables WHERE database = '${db}' AND name = 'events_kafka_queue'`);
    expect(queue!.q).toContain(`kafka_group_name = '${group}'`);
    expect(queue!.q).toContain('input_format_avro_allow_missing_fields = 1');
    expect(queue!.views).toEqual(['events_kafka_queue_mv']);
  });

  it('is harmless when run again: nothing stopped or recreated, new v2 events land once on both legs', { timeout: 240_000 }, async () => {
    const consumerBefore = await rows<{ id: string }>(`SELECT consumer_id AS id FROM system.kafka_consumers WHERE database = '${db}'`);
    const { code, summary } = await evolveJson('--count', '50', '--v1-after', '0', '--seed', '10', '--timeout', '120');
    expect(code).toBe(0);
    expect(step(summary, 'connector stop')).toMatchObject({ status: 'skipped', detail: 'events_connect already has the column(s)' });
    expect(step(summary, 'columns')).toMatchObject({ status: 'skipped', detail: 'already done', sql: [] });
    expect(step(summary, 'kafka engine')).toMatchObject({ status: 'skipped', detail: 'already done', sql: [] });
    expect(step(summary, 'connector start')).toMatchObject({ status: 'skipped', detail: 'events_connect already has the column(s)' });
    const expected = V1_EVENTS + 1 + V2_EVENTS + V1_AFTER + 50;
    for (const name of ['kafka_engine', 'connector'] as const) expect(leg(summary, name).totals).toMatchObject({ expected, missing: 0, duplicates: 0 });
    expect(summary.parity!.exact).toBe(true);
    const consumerAfter = await rows<{ id: string }>(`SELECT consumer_id AS id FROM system.kafka_consumers WHERE database = '${db}'`);
    expect(consumerAfter).toEqual(consumerBefore);
  });

  it('refuses an incompatible v3 with exit 2 and the registry\'s reason, changing nothing', async () => {
    const v3 = JSON.parse(readFileSync(V2_SCHEMA_FILE, 'utf8')) as { fields: { name: string; type: unknown }[] };
    v3.fields.find((f) => f.name === 'version')!.type = 'string';
    const file = path.join(tempDir('kit-evolve-'), 'user_event.v3.avsc');
    writeFileSync(file, JSON.stringify(v3));
    const registry = new Registry(config.registry.url);
    const before = await registry.latestVersion(`${config.topic}-value`);
    const out = await evolveRun(['--schema', file]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/refused: the schema is not compatible with the latest version of subject/);
    expect(out.stderr).toMatch(/STRING not compatible with writer type: INT|incompatible/i);
    expect(await registry.latestVersion(`${config.topic}-value`)).toEqual(before);
  });

  it("never moved the Kafka engine group's committed offsets backwards", async () => {
    sampling = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(20);
    for (let i = 1; i < samples.length; i++) {
      for (const [p, o] of samples[i - 1]!) expect(samples[i]!.get(p)! >= o, `partition ${p}: ${o} then ${samples[i]!.get(p)}`).toBe(true);
    }
    const ends = await admin.fetchTopicOffsets(config.topic);
    expect(Object.fromEntries(samples.at(-1)!)).toEqual(Object.fromEntries(ends.map((e) => [e.partition, BigInt(e.high)])));
  });
});
