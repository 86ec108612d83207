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
import { committedOffsets } from '../../src/parity/truth.js';
import { projectRoot } from '../../src/paths.js';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { produceAvro } from '../../src/produce/producer.js';
import { Registry } from '../../src/registry/registry.js';
import { deployPipelineSink, type DeployedSink } from '../../src/connect/pipeline-sink.js';
import { resolveEnv } from '../../src/config.js';
import { eventually, isolatedKit, ORDERS_SCHEMA, produceOptions, USER_EVENTS_V2_SCHEMA, userEventsKit, type IsolatedKit } from './helpers.js';
import { tempDir } from '../temp-dir.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
let group: string;
let topic: string;
const V1_EVENTS = 600;
const V2_EVENTS = 300;
const OLD_AFTER = 20;
const V2_SEED = 9;

let ch: ClickHouseClient;
let admin: Admin;
let sink: DeployedSink;

/** The Kafka engine group's committed offsets, sampled every 250 ms from before the first evolve to the end. */
const samples: Map<number, bigint>[] = [];
let sampling = true;
let sampler: Promise<void>;

function evolveRun(args: string[], env: NodeJS.ProcessEnv = kit.env()): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/evolve.ts', ...args], { cwd: projectRoot, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

async function evolveJson(...args: string[]): Promise<{ code: number; summary: EvolveSummary; stderr: string }> {
  const out = await evolveRun(['--json', '--require', 'both', '--to', USER_EVENTS_V2_SCHEMA, ...args]);
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
  ({ kit, r: up } = await userEventsKit('evolve'));
  db = kit.config.clickhouse.database;
  group = up.pipeline.kafkaEngine.group;
  topic = up.pipeline.topic.name;
  ch = kit.admin;
  admin = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  sink = await deployPipelineSink(kit.config, resolveEnv(), [up.pipeline]);
  await produceAvro(produceOptions(kit, up, {
    count: V1_EVENTS,
    batchSize: 200,
    seed: 7,
    poison: 1,
  }));
  const ends = await admin.fetchTopicOffsets(topic);
  await eventually(
    'the v1 events landed and were committed',
    () => committedOffsets(admin, group, topic),
    (c) => c !== undefined && ends.every((e) => c.get(e.partition) === BigInt(e.high)),
    90_000,
  );
  await eventually('the v1 events landed through the connector', () => count(`SELECT count() AS n FROM ${db}.events_connect`), (n) => n === V1_EVENTS, 90_000);
  sampler = (async () => {
    while (sampling) {
      const c = await committedOffsets(admin, group, topic).catch(() => undefined);
      if (c) samples.push(c);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
});

afterAll(async () => {
  sampling = false;
  await sampler;
  await sink?.remove();
  if (admin) {
    const existing = new Set(await admin.listTopics());
    const mine = [topic, up.pipeline.connector.dlqTopic].filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
  await kit?.drop();
});

const STEPS = ['compatibility', 'change', 'connector stop', 'columns', 'kafka engine', 'connector start', 'pipeline', 'produce', 'parity'];

describe('npm run evolve', () => {
  it('--dry-run prints the plan and its SQL and changes nothing', async () => {
    const { code, summary } = await evolveJson('--dry-run');
    expect(code).toBe(0);
    expect(summary.added).toEqual(['session_id Nullable(String) DEFAULT null']);
    expect(summary.kafkaEngineZeroDefaults).toEqual([]);
    expect(stepStates(summary)).toEqual(STEPS.map((s, i) => [s, i < 2 ? 'done' : 'planned']));
    expect(step(summary, 'columns').sql).toEqual([
      `ALTER TABLE ${db}.events_connect ADD COLUMN IF NOT EXISTS \`session_id\` Nullable(String) DEFAULT NULL AFTER \`referrer\``,
      `ALTER TABLE ${db}.events_kafka ADD COLUMN IF NOT EXISTS \`session_id\` Nullable(String) DEFAULT NULL AFTER \`referrer\``,
    ]);
    const recreate = step(summary, 'kafka engine').sql;
    expect(recreate.slice(0, 2)).toEqual([`DROP VIEW IF EXISTS ${db}.events_kafka_queue_mv SYNC`, `DROP TABLE IF EXISTS ${db}.events_kafka_queue SYNC`]);
    expect(recreate.at(-1)).toMatch(new RegExp(`^CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}\\.events_kafka_queue_mv TO ${db}\\.events_kafka_fanout AS`));
    expect(recreate.join('\n')).toContain(`kafka_group_name = '${group}'`);
    expect(await count(`SELECT count() AS n FROM system.columns WHERE database = '${db}' AND name = 'session_id'`)).toBe(0);
    expect((await sink.client.status(sink.name))?.connector.state).toBe('RUNNING');
    expect(readFileSync(up.pipeline.file, 'utf8')).not.toContain('user_events.v2.avsc');
  });

  it('evolves both legs without losing or re-reading an offset; both equal the topic read as v2, old records with the default', { timeout: 300_000 }, async () => {
    const { code, summary, stderr } = await evolveJson('--count', String(V2_EVENTS), '--old-count', String(OLD_AFTER), '--seed', String(V2_SEED), '--timeout', '150');
    expect(code, `${stderr}\n${JSON.stringify(summary.parity?.reasons)}`).toBe(0);
    expect(stepStates(summary)).toEqual(STEPS.map((s) => [s, 'done']));
    expect(step(summary, 'connector stop').detail).toMatch(new RegExp(`^${sink.name} STOPPED with no tasks .*\\(was RUNNING\\)$`));
    expect(step(summary, 'connector start').detail).toBe(`${sink.name} RUNNING again with 1 new task(s)`);
    // The recreate kept the group's committed offsets as they were.
    expect(summary.offsets.before).toBeDefined();
    expect(summary.offsets.after).toEqual(summary.offsets.before);
    // The pipeline names the new schema.
    expect(readFileSync(up.pipeline.file, 'utf8')).toMatch(/file: .*user_events\.v2\.avsc/);

    // Parity over the whole topic: old records before, new and old ones after; both legs exact, no duplicates,
    // equal content, and each equal to the topic's records read with the v2 schema (session_id included).
    expect(summary.parity!.exact).toBe(true);
    expect(summary.parity!.source).toBe('topic');
    const totals = { expected: V1_EVENTS + 1 + V2_EVENTS + OLD_AFTER, landed: V1_EVENTS + V2_EVENTS + OLD_AFTER, missing: 0, duplicates: 0 };
    expect(leg(summary, 'kafka_engine').totals).toMatchObject({ ...totals, errorRows: 1 });
    expect(leg(summary, 'connector').totals).toMatchObject({ ...totals, deadLettered: 1 });
    expect(summary.parity!.content).toMatchObject({ compared: true, differing: 0 });
    const witness = summary.parity!.witness!;
    expect(witness.sample.read).toBe(totals.expected);
    for (const l of witness.legs) expect(l, l.leg).toMatchObject({ present: true, differing: 0 });

    // New records carry session_id (NULL one time in five); the old ones, before and after the change, read NULL.
    const old = summary.produced.old!;
    const lateOld = old.partitions.map((p) => `(_partition = ${p.partition} AND _offset BETWEEN ${p.firstOffset} AND ${p.lastOffset})`).join(' OR ');
    for (const table of ['events_kafka', 'events_connect']) {
      const [withId] = await rows<{ n: number }>(`SELECT count() AS n FROM ${db}.${table} WHERE session_id IS NOT NULL`);
      expect(withId!.n, table).toBeGreaterThan(V2_EVENTS / 2);
      expect(withId!.n, table).toBeLessThanOrEqual(V2_EVENTS);
    }
    expect(old.events).toBe(OLD_AFTER);
    expect(lateOld.length).toBeGreaterThan(0);
    // The connector's INSERT names no columns: one sent with the old column list fails (code 33). None did.
    await ch.command({ query: 'SYSTEM FLUSH LOGS' });
    const failed = await rows<{ code: number; query: string }>(
      `SELECT exception_code AS code, query FROM system.query_log WHERE type != 'QueryStart' AND exception_code != 0 AND user = '${kit.config.clickhouse.connector.user}' AND has(databases, '${db}')`,
    );
    expect(failed).toEqual([]);

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

  it('is harmless when run again: nothing stopped or recreated, new records land once on both legs', { timeout: 240_000 }, async () => {
    const consumerBefore = await rows<{ id: string }>(`SELECT consumer_id AS id FROM system.kafka_consumers WHERE database = '${db}'`);
    const { code, summary } = await evolveJson('--count', '50', '--old-count', '0', '--seed', '10', '--timeout', '120');
    expect(code).toBe(0);
    expect(summary.added).toEqual([]);
    expect(step(summary, 'connector stop')).toMatchObject({ status: 'skipped', detail: 'events_connect already has the column(s)' });
    expect(step(summary, 'columns')).toMatchObject({ status: 'skipped', detail: 'already done', sql: [] });
    expect(step(summary, 'kafka engine')).toMatchObject({ status: 'skipped', detail: 'already done', sql: [] });
    expect(step(summary, 'connector start')).toMatchObject({ status: 'skipped', detail: 'events_connect already has the column(s)' });
    expect(step(summary, 'pipeline').status).toBe('skipped');
    const expected = V1_EVENTS + 1 + V2_EVENTS + OLD_AFTER + 50;
    for (const name of ['kafka_engine', 'connector'] as const) expect(leg(summary, name).totals).toMatchObject({ expected, missing: 0, duplicates: 0 });
    expect(summary.parity!.exact).toBe(true);
    const consumerAfter = await rows<{ id: string }>(`SELECT consumer_id AS id FROM system.kafka_consumers WHERE database = '${db}'`);
    expect(consumerAfter).toEqual(consumerBefore);
  });

  it("refuses an incompatible v3 with exit 2, the registry's reason and the field, changing nothing", async () => {
    const v3 = JSON.parse(readFileSync(USER_EVENTS_V2_SCHEMA, 'utf8')) as { fields: { name: string; type: unknown }[] };
    v3.fields.find((f) => f.name === 'version')!.type = 'string';
    const file = path.join(tempDir('kit-evolve-'), 'user_event.v3.avsc');
    writeFileSync(file, JSON.stringify(v3));
    const registry = new Registry(kit.config.registry.url);
    const before = await registry.latestVersion(`${topic}-value`);
    const out = await evolveRun(['--to', file]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/refused: .*user_event\.v3\.avsc is not compatible with the latest version of subject/);
    expect(out.stderr).toMatch(/\(field version\)/);
    expect(await registry.latestVersion(`${topic}-value`)).toEqual(before);
  });

  it("never moved the Kafka engine group's committed offsets backwards", async () => {
    sampling = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(20);
    for (let i = 1; i < samples.length; i++) {
      for (const [p, o] of samples[i - 1]!) expect(samples[i]!.get(p)! >= o, `partition ${p}: ${o} then ${samples[i]!.get(p)}`).toBe(true);
    }
    const ends = await admin.fetchTopicOffsets(topic);
    expect(Object.fromEntries(samples.at(-1)!)).toEqual(Object.fromEntries(ends.map((e) => [e.partition, BigInt(e.high)])));
  });
});

describe('npm run evolve on the orders pipeline: a field added with a default other than its type\'s zero', () => {
  let okit: IsolatedKit;
  let orders: ResolvedPipeline;
  let osink: DeployedSink;

  beforeAll(async () => {
    okit = isolatedKit('evolve_orders');
    orders = await okit.pipeline(ORDERS_SCHEMA, { key: { field: 'customer_id' } });
    await okit.setUp(orders);
    osink = await deployPipelineSink(okit.config, resolveEnv(), [orders.pipeline]);
    await produceAvro(produceOptions(okit, orders, { count: 200, seed: 3 }));
  });

  afterAll(async () => {
    await osink?.remove();
    await okit?.drop();
  });

  it('rolls it; the connector leg stores the default for records written without the field, the Kafka engine the zero, and parity names it', { timeout: 300_000 }, async () => {
    const v2 = JSON.parse(readFileSync(ORDERS_SCHEMA, 'utf8')) as { fields: unknown[] };
    v2.fields.push({ name: 'priority', type: 'int', default: 3 }, { name: 'region', type: ['null', 'string'], default: null });
    const file = path.join(tempDir('kit-evolve-orders-'), 'orders.v2.avsc');
    writeFileSync(file, JSON.stringify(v2, null, 2));
    const out = await evolveRun(['--json', '--to', file, '--count', '100', '--old-count', '50', '--timeout', '150'], okit.env());
    const summary = JSON.parse(out.stdout) as EvolveSummary;
    expect(summary.added).toEqual(['priority Int32 DEFAULT 3', 'region Nullable(String) DEFAULT null']);
    expect(summary.kafkaEngineZeroDefaults).toEqual(['priority']);
    expect(step(summary, 'change').detail).toMatch(/the Kafka engine takes no DEFAULT, so records written without priority land there with the type's zero/);
    // Exact accounting on both legs. Rows landed before the change took the column's DEFAULT (3) when it was
    // added; the 50 old-schema records consumed after it differ from the topic in priority alone (0, not 3).
    for (const name of ['connector', 'kafka_engine'] as const) expect(leg(summary, name).totals).toMatchObject({ missing: 0, duplicates: 0 });
    const byLeg = Object.fromEntries(summary.parity!.witness!.legs.map((l) => [l.leg, l]));
    expect(byLeg.connector!.differing).toBe(0);
    expect(byLeg.kafka_engine!.differing).toBe(50);
    expect(Object.entries(byLeg.kafka_engine!.columns).filter(([, n]) => n > 0)).toEqual([['priority', 50]]);
    expect(out.code).toBe(1);
  });
});
