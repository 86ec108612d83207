/**
 * sql:apply on a kit database of the older Kafka-engine layout (two views straight on the
 * Kafka table, before the fan-out table): it refuses, applying nothing, and names the flag;
 * with --recreate-kafka-engine it upgrades in place, the consumer group resumes where it
 * was, and parity over the events before and after is exact.
 */
import { spawnSync } from 'node:child_process';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from '../../src/clickhouse/ddl.js';
import { ensureTopic } from '../../src/kafka.js';
import { pipelineDdl } from '../../src/pipeline/ddl.js';
import { produceAvro } from '../../src/produce/producer.js';
import { projectRoot } from '../../src/paths.js';
import { eventually, produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
let env: NodeJS.ProcessEnv;
let ch: ClickHouseClient;

const cli = (script: string, ...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { cwd: projectRoot, env, encoding: 'utf8', timeout: 180_000 });

/** The Kafka-engine objects as the kit laid them out before the fan-out table. */
function olderLayout(): string[] {
  const values = { kafka_broker_list: kit.config.clickhouseKafka.brokerList, schema_registry_url: kit.config.clickhouseKafka.registryUrl };
  return [
    `CREATE TABLE ${db}.events_kafka_queue (id String, user_id String, action String, event_time DateTime64(3, 'UTC'), version Int32, referrer Nullable(String))
     ENGINE = Kafka SETTINGS kafka_broker_list = '${values.kafka_broker_list}', kafka_topic_list = '${up.pipeline.topic.name}', kafka_group_name = '${up.pipeline.kafkaEngine.group}',
       kafka_format = 'AvroConfluent', format_avro_schema_registry_url = '${values.schema_registry_url}', kafka_handle_error_mode = 'stream', kafka_num_consumers = 1, kafka_flush_interval_ms = 1000`,
    `CREATE MATERIALIZED VIEW ${db}.events_kafka_mv TO ${db}.events_kafka AS
     SELECT id, user_id, action, event_time, version, referrer, _topic, toInt32(_partition) AS _partition, toInt64(_offset) AS _offset
     FROM ${db}.events_kafka_queue WHERE length(_error) = 0`,
    `CREATE MATERIALIZED VIEW ${db}.events_kafka_errors_mv TO ${db}.events_kafka_errors AS
     SELECT _topic, toInt32(_partition) AS _partition, toInt64(_offset) AS _offset, _raw_message, _error
     FROM ${db}.events_kafka_queue WHERE length(_error) > 0`,
  ];
}

const count = async (query: string) => Number((await (await ch.query({ query, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
const readers = async (table: string) =>
  (await (await ch.query({ query: `SELECT dependencies_table AS d FROM system.tables WHERE database = '${db}' AND name = '${table}'`, format: 'JSONEachRow' })).json<{ d: string[] }>())[0]?.d.sort();

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('sql_upgrade', {}, false));
  db = kit.config.clickhouse.database;
  env = kit.env();
  await ensureTopic(kit.config.kafka.brokers, up.pipeline.topic);
  ch = clickhouseClient(kit.config, 'admin');
  // The kit's tables as today, its Kafka-engine views as before.
  const endpoints = { brokerList: kit.config.clickhouseKafka.brokerList, registryUrl: kit.config.clickhouseKafka.registryUrl };
  const files = [...loadSqlFiles(templateValues(kit.config)), ...pipelineDdl(up.pipeline, up.schema.columns, endpoints).filter((f) => !/Kafka engine$/.test(f.file))];
  await applySql(ch, files);
  for (const statement of olderLayout()) await ch.command({ query: statement });
  await produceAvro(produceOptions(kit, up, { count: 60, seed: 41, poison: 1 }));
  await eventually('the older layout lands the first run', () => count(`SELECT count() AS n FROM ${db}.events_kafka`), (n) => n === 60, 120_000);
});

afterAll(async () => {
  await ch?.close();
  await kit?.drop();
});

describe('sql:apply on an older Kafka-engine layout', () => {
  it('refuses, applying nothing, and names the flag that upgrades it', async () => {
    const r = cli('sql-apply');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/Kafka-engine tables of pipeline \w+ are of an older layout \(events_kafka_fanout does not exist\)/);
    expect(r.stderr).toContain(`npm run sql:apply -- --pipeline ${up.pipeline.name} --recreate-kafka-engine`);
    expect(await count(`SELECT count() AS n FROM system.tables WHERE database = '${db}' AND name = 'events_kafka_fanout'`)).toBe(0);
  });

  it('upgrades with --recreate-kafka-engine: one view on the Kafka table, the group resumes, parity exact', async () => {
    const r = cli('sql-apply', '--recreate-kafka-engine');
    expect(r.status, r.stderr).toBe(0);
    expect(await readers('events_kafka_queue')).toEqual(['events_kafka_queue_mv']);
    expect(await readers('events_kafka_fanout')).toEqual(['events_kafka_errors_mv', 'events_kafka_mv']);

    await produceAvro(produceOptions(kit, up, { count: 60, seed: 42, poison: 1 }));
    const parity = cli('verify-parity', '--wait', '--timeout', '150', '--require', 'any', '--json');
    expect(parity.status, parity.stdout.slice(-2000) + parity.stderr).toBe(0);
    const leg = (JSON.parse(parity.stdout) as { legs: { leg: string; totals: { expected: number; landed: number; errorRows: number; duplicates: number } }[] }).legs.find((l) => l.leg === 'kafka_engine')!;
    expect(leg.totals).toMatchObject({ expected: 122, landed: 120, errorRows: 2, duplicates: 0 });
    // Rows landed through the new layout carry their Kafka timestamp.
    expect(await count(`SELECT count() AS n FROM ${db}.events_kafka WHERE _kafka_timestamp > '2020-01-01'`)).toBeGreaterThanOrEqual(60);
    // The new consumer may wait out the old one's session (45 s) before it is assigned the partitions.
  }, 300_000);
});
