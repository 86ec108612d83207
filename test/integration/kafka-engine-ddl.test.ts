/**
 * The Kafka-engine DDL loses no error row. ClickHouse consumes from a Kafka table as soon
 * as one view reads it, and each block goes only to the views that exist at that moment;
 * so the kit's DDL gives the Kafka table one view, created last, into a Null table whose
 * two views fan out to the events and the errors table.
 *
 * Each of KITS isolated kits gets a fresh topic that already holds events and poison
 * messages BEFORE any DDL runs; then the pipeline's derived DDL is applied, and every poison
 * offset must reach the errors table and every event offset the events table, once. Then
 * more of both are produced and evolve's recreate (to the v2 schema) runs: the same holds
 * across it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { applySql, loadSqlFiles, templateValues, type SqlFile } from '../../src/clickhouse/ddl.js';
import { loadConfig } from '../../src/config.js';
import { ensureTopic } from '../../src/kafka.js';
import { addColumnStatements, kafkaEngineDropStatements, kafkaEngineStatements, pipelineDdl } from '../../src/pipeline/ddl.js';
import { consumptionOrderProblems, readsKafkaTable } from '../../src/pipeline/ddl-order.js';
import { schemaFromText, readSchemaFile } from '../../src/pipeline/load.js';
import { committedOffsets } from '../../src/parity/truth.js';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { eventually, produceOptions, USER_EVENTS_V2_SCHEMA, userEventsKit, type IsolatedKit } from './helpers.js';

const KITS = 20;
const EVENTS = 12;
const POISON = 3;

interface Landed {
  events: string[];
  errors: string[];
  expectedEvents: string[];
  expectedErrors: string[];
  settleMs: number;
}

interface Kit {
  kit?: IsolatedKit;
  up?: ResolvedPipeline;
  base?: Landed;
  evolve?: Landed;
  error?: Error;
}

let admin: Admin;
const kits: Kit[] = Array.from({ length: KITS }, () => ({}));
const v2 = schemaFromText(readSchemaFile(USER_EVENTS_V2_SCHEMA).text, USER_EVENTS_V2_SCHEMA);

const coordinates = (rows: { _partition: number; _offset: number }[]) => rows.map((r) => `${r._partition}:${r._offset}`).sort();

function expectedOffsets(run: ProduceSummary): { events: string[]; errors: string[] } {
  const errors = run.poisonOffsets.map((o) => `${o.partition}:${o.offset}`);
  const poison = new Set(errors);
  const events: string[] = [];
  for (const p of run.partitions) {
    for (let o = BigInt(p.firstOffset); o <= BigInt(p.lastOffset); o++) if (!poison.has(`${p.partition}:${o}`)) events.push(`${p.partition}:${o}`);
  }
  return { events: events.sort(), errors: errors.sort() };
}

/** Applies `sql` after `run` was produced, waits until the group committed the run's ends, and reads what landed. */
async function applyAndLand(ch: ClickHouseClient, up: ResolvedPipeline, run: ProduceSummary, sql: SqlFile[]): Promise<Landed> {
  await applySql(ch, sql);
  const started = Date.now();
  const { topic, kafkaEngine, database: db } = up.pipeline;
  await eventually(
    `${topic.name}: the Kafka engine committed the run's ends`,
    () => committedOffsets(admin, kafkaEngine.group, topic.name).catch(() => undefined),
    (c) => c !== undefined && run.partitions.every((p) => c.get(p.partition) === BigInt(p.lastOffset) + 1n),
    120_000,
  );
  const settleMs = Date.now() - started;
  const read = async (table: string) =>
    coordinates(await (await ch.query({ query: `SELECT _partition, _offset FROM ${db}.${table}`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json());
  const expected = expectedOffsets(run);
  return { events: await read('events_kafka'), errors: await read('events_kafka_errors'), expectedEvents: expected.events, expectedErrors: expected.errors, settleMs };
}

/** Cumulative: what the evolve round expects on top of the base round. */
function plus(a: Landed, b: Landed): Pick<Landed, 'expectedEvents' | 'expectedErrors'> {
  return { expectedEvents: [...a.expectedEvents, ...b.expectedEvents].sort(), expectedErrors: [...a.expectedErrors, ...b.expectedErrors].sort() };
}

/** The kit's DDL and the pipeline's (the first round), and evolve's to v2: columns, then the recreate. */
function ddl(up: ResolvedPipeline, kit: IsolatedKit) {
  const endpoints = { brokerList: kit.config.clickhouseKafka.brokerList, registryUrl: kit.config.clickhouseKafka.registryUrl };
  const p = up.pipeline;
  return {
    base: [...loadSqlFiles(templateValues(kit.config)), ...pipelineDdl(p, up.schema.columns, endpoints)],
    recreate: [...kafkaEngineDropStatements(p), ...kafkaEngineStatements(p, v2.columns, endpoints)],
    addColumns: [p.tables.connector, p.tables.kafka].flatMap((t) => addColumnStatements(p, v2.columns, t).slice(-1)),
  };
}

async function runKit(k: Kit, seed: number): Promise<void> {
  try {
    const { kit, r: up } = await userEventsKit(`ddl${seed}`, {}, false);
    Object.assign(k, { kit, up });
    const ch = kit.admin;
    await ensureTopic(kit.config.kafka.brokers, up.pipeline.topic);
    const first = await produceAvro(produceOptions(kit, up, { count: EVENTS, seed, poison: POISON, batchSize: 100 }));
    const sql = ddl(up, kit);
    k.base = await applyAndLand(ch, up, first, sql.base);
    // Half the kits stop consumption first (the recreate's first statement), so the recreated
    // table starts on pending messages; the others produce into the live kit, so the recreate
    // may stop the old table in the middle of a block.
    const stopFirst = seed % 2 === 0;
    if (stopFirst) await applySql(ch, [{ file: 'recreate (its first statement)', statements: sql.recreate.slice(0, 1) }]);
    const second = await produceAvro(produceOptions(kit, up, { count: EVENTS, seed: seed + 1000, poison: POISON, batchSize: 100 }));
    const landed = await applyAndLand(ch, up, second, [{ file: 'columns', statements: sql.addColumns }, { file: 'recreate', statements: sql.recreate }]);
    k.evolve = { ...landed, ...plus(k.base, landed) };
  } catch (e) {
    k.error = e as Error;
  }
}

beforeAll(async () => {
  admin = new Kafka({ brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const started = Date.now();
  // All kits at once: most of a kit's time is the ~45 s its recreated Kafka table waits for
  // the dropped one's consumer to leave the group, idle time that overlaps.
  await Promise.all(kits.map((kit, i) => runKit(kit, i + 1)));
  const wallMs = Date.now() - started;
  const settle = (pick: (k: Kit) => Landed | undefined) => kits.map((k) => pick(k)?.settleMs ?? NaN).map((ms) => (ms / 1000).toFixed(1)).join(' ');
  process.stderr.write(`[kafka-engine-ddl] ${KITS} kits in ${(wallMs / 1000).toFixed(1)} s; settle after the base DDL (s): ${settle((k) => k.base)}; after the evolve recreate (s): ${settle((k) => k.evolve)}\n`);
});

afterAll(async () => {
  await Promise.all(kits.map((k) => k.kit?.drop().catch(() => undefined)));
  if (admin) {
    const existing = new Set(await admin.listTopics());
    const mine = kits.flatMap((k) => (k.up ? [k.up.pipeline.topic.name] : [])).filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
});

describe('the DDL keeps the Kafka table unconsumed until every view exists', () => {
  let up: ResolvedPipeline;
  let kit: IsolatedKit;
  beforeAll(async () => {
    ({ kit, r: up } = await userEventsKit('ddl_order', {}, false));
  });
  afterAll(async () => kit.drop());

  it("the derived DDL: the one view reading the Kafka table is the pipeline's last statement", () => {
    const statements = ddl(up, kit).base.flatMap((f) => f.statements);
    expect(consumptionOrderProblems(statements, up.pipeline.tables)).toEqual([]);
    expect(statements.filter((s) => readsKafkaTable(s, up.pipeline.tables.kafkaQueue))).toHaveLength(1);
  });

  it('the recreate stops consumption first and starts it last, with the fan-out in between', () => {
    const st = ddl(up, kit).recreate;
    expect(consumptionOrderProblems(st, up.pipeline.tables)).toEqual([]);
    const created = st.map((s) => /^CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS \S+\.(\w+)/.exec(s)?.[1]).filter(Boolean);
    const t = up.pipeline.tables;
    expect(created).toEqual([t.kafkaFanout, t.kafkaView, t.kafkaErrorsView, t.kafkaQueue, t.kafkaQueueView]);
  });

  it('refuses the layout with two views on the Kafka table, and a recreate that drops a view while the table is consumed', () => {
    const t = up.pipeline.tables;
    const q = `CREATE TABLE IF NOT EXISTS kit.${t.kafkaQueue} (id String) ENGINE = Kafka`;
    const view = (name: string, from: string) => `CREATE MATERIALIZED VIEW IF NOT EXISTS kit.${name} TO kit.t AS SELECT id FROM kit.${from}`;
    expect(consumptionOrderProblems([q, view(t.kafkaView, t.kafkaQueue), view(t.kafkaErrorsView, t.kafkaQueue)], t)).toHaveLength(1);
    expect(consumptionOrderProblems([`DROP VIEW IF EXISTS kit.${t.kafkaView} SYNC`, `DROP VIEW IF EXISTS kit.${t.kafkaQueueView} SYNC`, q, view(t.kafkaQueueView, t.kafkaQueue)], t)).toHaveLength(1);
  });
});

describe(`events and poison messages produced before the DDL, ${KITS} kits`, () => {
  const cases = kits.map((k, i) => [i + 1, k] as const);

  it.each(cases)('kit %i: every poison offset in the errors table, every event offset in events_kafka, once', (_, kit) => {
    if (kit.error) throw kit.error;
    const base = kit.base!;
    expect(base.expectedErrors).toHaveLength(POISON);
    expect(base.errors).toEqual(base.expectedErrors);
    expect(base.events).toEqual(base.expectedEvents);
  });

  it.each(cases)('kit %i: the same across the evolve recreate', (_, kit) => {
    if (kit.error) throw kit.error;
    const evolve = kit.evolve!;
    expect(evolve.errors).toEqual(evolve.expectedErrors);
    expect(evolve.events).toEqual(evolve.expectedEvents);
  });
});
