/**
 * The Kafka-engine DDL loses no error row. ClickHouse consumes from a Kafka table as soon
 * as one view reads it, and each block goes only to the views that exist at that moment;
 * so the kit's DDL gives the Kafka table one view, created last, into a Null table whose
 * two views fan out to the events and the errors table.
 *
 * Each of KITS isolated kits gets a fresh topic that already holds events and poison
 * messages BEFORE any DDL runs; then the kit's sql/ is applied, and every poison offset
 * must reach the errors table and every event offset the events table, once. Then more of
 * both are produced and the evolve recreate (sql/evolve/) runs: the same holds across it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues, type SqlFile } from '../../src/clickhouse/ddl.js';
import type { KitConfig } from '../../src/config.js';
import { consumptionOrderProblems, readsKafkaTable } from '../../src/evolve/ddl-order.js';
import { kafkaEngineObjects } from '../../src/evolve/kafka-engine.js';
import { loadInputs } from '../../src/evolve/schema.js';
import { ensureTopic } from '../../src/kafka.js';
import { committedOffsets } from '../../src/parity/truth.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { eventually, isolatedConfig, produceOptions } from './helpers.js';

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
  config: KitConfig;
  base?: Landed;
  evolve?: Landed;
  error?: Error;
}

let admin: Admin;
const kits: Kit[] = Array.from({ length: KITS }, (_, i) => ({ config: isolatedConfig(`ddl${i}`) }));

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
async function applyAndLand(ch: ClickHouseClient, config: KitConfig, run: ProduceSummary, sql: SqlFile[]): Promise<Landed> {
  await applySql(ch, sql);
  const started = Date.now();
  await eventually(
    `${config.topic}: the Kafka engine committed the run's ends`,
    () => committedOffsets(admin, config.clickhouseKafka.consumerGroup, config.topic).catch(() => undefined),
    (c) => c !== undefined && run.partitions.every((p) => c.get(p.partition) === BigInt(p.lastOffset) + 1n),
    120_000,
  );
  const settleMs = Date.now() - started;
  const db = config.clickhouse.database;
  const read = async (table: string) =>
    coordinates(await (await ch.query({ query: `SELECT _partition, _offset FROM ${db}.${table}`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json());
  const expected = expectedOffsets(run);
  return { events: await read('events_kafka'), errors: await read('events_kafka_errors'), expectedEvents: expected.events, expectedErrors: expected.errors, settleMs };
}

/** Cumulative: what the evolve round expects on top of the base round. */
function plus(a: Landed, b: Landed): Pick<Landed, 'expectedEvents' | 'expectedErrors'> {
  return { expectedEvents: [...a.expectedEvents, ...b.expectedEvents].sort(), expectedErrors: [...a.expectedErrors, ...b.expectedErrors].sort() };
}

async function runKit(kit: Kit, seed: number): Promise<void> {
  const { config } = kit;
  const ch = clickhouseClient(config, 'admin');
  try {
    await ensureTopic(config.kafka.brokers, config.topic, 3);
    const first = await produceAvro(produceOptions(config, { count: EVENTS, seed, poison: POISON, batchSize: 100 }));
    kit.base = await applyAndLand(ch, config, first, loadSqlFiles(templateValues(config)));
    const inputs = loadInputs(templateValues(config), kafkaEngineObjects(config));
    // Half the kits stop consumption first (the recreate's first statement), so the recreated
    // table starts on pending messages; the others produce into the live kit, so the recreate
    // may stop the old table in the middle of a block.
    const stopFirst = seed % 2 === 0;
    if (stopFirst) await applySql(ch, [{ file: inputs.sql.kafkaEngine.file, statements: inputs.sql.kafkaEngine.statements.slice(0, 1) }]);
    const second = await produceAvro(produceOptions(config, { count: EVENTS, seed: seed + 1000, poison: POISON, batchSize: 100 }));
    const landed = await applyAndLand(ch, config, second, [inputs.sql.addColumns, inputs.sql.kafkaEngine]);
    kit.evolve = { ...landed, ...plus(kit.base, landed) };
  } catch (e) {
    kit.error = e as Error;
  } finally {
    await ch.close();
  }
}

beforeAll(async () => {
  admin = new Kafka({ brokers: kits[0]!.config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
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
  const admins = kits.map((k) => clickhouseClient(k.config, 'admin'));
  await Promise.all(kits.map((k, i) => admins[i]!.command({ query: `DROP DATABASE IF EXISTS ${k.config.clickhouse.database} SYNC` }).catch(() => undefined)));
  await Promise.all(admins.map((c) => c.close()));
  if (admin) {
    const existing = new Set(await admin.listTopics());
    const mine = kits.map((k) => k.config.topic).filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
});

describe('the DDL keeps the Kafka table unconsumed until every view exists', () => {
  const objects = kafkaEngineObjects(kits[0]!.config);
  const values = templateValues(kits[0]!.config);

  it('sql/: the one view reading the Kafka table is the last statement', () => {
    const statements = loadSqlFiles(values).flatMap((f) => f.statements);
    expect(consumptionOrderProblems(statements, objects)).toEqual([]);
    expect(statements.filter((s) => readsKafkaTable(s, objects.queue))).toHaveLength(1);
  });

  it('sql/evolve/: the recreate stops consumption first and starts it last, with the fan-out in between', () => {
    const st = loadInputs(values, objects).sql.kafkaEngine.statements;
    expect(consumptionOrderProblems(st, objects)).toEqual([]);
    const created = st.map((s) => /^CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS \S+\.(\w+)/.exec(s)?.[1]).filter(Boolean);
    expect(created).toEqual([objects.fanout, objects.errorsView, objects.eventsView, objects.queue, objects.queueView]);
  });

  it('refuses the layout with two views on the Kafka table, and a recreate that drops a view while the table is consumed', () => {
    const q = `CREATE TABLE IF NOT EXISTS kit.${objects.queue} (id String) ENGINE = Kafka`;
    const view = (name: string, from: string) => `CREATE MATERIALIZED VIEW IF NOT EXISTS kit.${name} TO kit.t AS SELECT id FROM kit.${from}`;
    expect(consumptionOrderProblems([q, view(objects.eventsView, objects.queue), view(objects.errorsView, objects.queue)], objects)).toHaveLength(1);
    expect(consumptionOrderProblems([`DROP VIEW IF EXISTS kit.${objects.eventsView} SYNC`, `DROP VIEW IF EXISTS kit.${objects.queueView} SYNC`, q, view(objects.queueView, objects.queue)], objects)).toHaveLength(1);
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
