/**
 * The Kafka-engine pipeline for real: SQL applied through the ClickHouse HTTP host,
 * Avro events produced through the registry with kafkajs, consumed by ClickHouse's
 * Kafka engine into the target table with their topic/partition/offset, and a
 * broken message landing in the errors table.
 */
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { applySql, loadSqlFiles, templateValues } from '../../src/clickhouse/ddl.js';
import { pipelineDdl } from '../../src/pipeline/ddl.js';
import { RecordGenerator } from '../../src/pipeline/generate.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { eventually, produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
let ch: ClickHouseClient;
let summary: ProduceSummary;

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('pipeline'));
  db = kit.config.clickhouse.database;
  ch = kit.admin;
  summary = await produceAvro(produceOptions(kit, up, {
    count: 60,
    batchSize: 25,
    seed: 11,
    poison: 1,
  }));
});

afterAll(async () => {
  await kit?.drop();
});

describe('Kafka-engine pipeline on the embedded stack', () => {
  it('applies the SQL idempotently', async () => {
    const endpoints = { brokerList: kit.config.clickhouseKafka.brokerList, registryUrl: kit.config.clickhouseKafka.registryUrl };
    const again = await applySql(ch, [...loadSqlFiles(templateValues(kit.config)), ...pipelineDdl(up.pipeline, up.schema.columns, endpoints)]);
    expect(again.length).toBeGreaterThan(5);
    const tables = await (await ch.query({ query: `SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name`, query_params: { db }, format: 'JSONEachRow' })).json<{ name: string; engine: string }>();
    expect(tables).toEqual([
      { name: 'events_connect', engine: 'MergeTree' },
      { name: 'events_kafka', engine: 'MergeTree' },
      { name: 'events_kafka_errors', engine: 'MergeTree' },
      { name: 'events_kafka_errors_mv', engine: 'MaterializedView' },
      { name: 'events_kafka_fanout', engine: 'Null' },
      { name: 'events_kafka_mv', engine: 'MaterializedView' },
      { name: 'events_kafka_queue', engine: 'Kafka' },
      { name: 'events_kafka_queue_mv', engine: 'MaterializedView' },
      { name: 'parity_watermarks', engine: 'ReplacingMergeTree' },
    ]);
  });

  it('produced through the registry: the subject exists and the events decode to what the seed generates', async () => {
    expect(summary.events).toBe(60);
    expect(summary.poison).toBe(1);
    const res = await fetch(`${kit.config.registry.url}/subjects/${up.pipeline.topic.name}-value/versions/latest`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: number }).id).toBe(summary.schemaId);
  });

  it('lands every event in the Kafka-engine target table with the right values and lineage', async () => {
    const rows = await eventually(
      'all 60 events in events_kafka',
      async () => (await ch.query({ query: `SELECT id, user_id, action, toUnixTimestamp64Milli(event_time) AS t, version, referrer, _topic, _partition, _offset FROM ${db}.events_kafka ORDER BY _partition, _offset`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<Record<string, unknown>>(),
      (r) => r.length >= 60,
      90_000,
    );
    expect(rows).toHaveLength(60);
    const expected = new RecordGenerator(up.schema.parsed.root, 11).take(60);
    // Each event's time is its own (the generator's clock moves on with every record).
    const byTime = new Map(rows.map((r) => [r.t as number, r]));
    for (const e of expected) {
      const r = byTime.get(e.event_time as number);
      expect(r, `event at ${e.event_time}`).toBeDefined();
      expect(r).toMatchObject({ id: e.id, user_id: e.user_id, action: e.action, version: e.version, referrer: e.referrer, _topic: up.pipeline.topic.name });
    }
    // Lineage: each partition's offsets are exactly what the producer's summary reported.
    for (const p of summary.partitions) {
      const offsets = rows.filter((r) => r._partition === p.partition).map((r) => Number(r._offset));
      const poisonHere = summary.poisonOffsets.filter((o) => o.partition === p.partition).map((o) => Number(o.offset));
      const all = [...offsets, ...poisonHere].sort((a, b) => a - b);
      expect(all[0]).toBe(Number(p.firstOffset));
      expect(all[all.length - 1]).toBe(Number(p.lastOffset));
      expect(all).toHaveLength(p.messages);
    }
  });

  it('keeps the broken message in the errors table with its raw bytes and error', async () => {
    const errors = await eventually(
      'the poison message in events_kafka_errors',
      async () => (await ch.query({ query: `SELECT _partition, _offset, _raw_message, _error FROM ${db}.events_kafka_errors`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<{ _partition: number; _offset: number; _raw_message: string; _error: string }>(),
      (r) => r.length >= 1,
      60_000,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!._raw_message).toContain('poison-0');
    expect(errors[0]!._error.length).toBeGreaterThan(0);
    expect({ partition: errors[0]!._partition, offset: String(errors[0]!._offset) }).toEqual(summary.poisonOffsets[0]);
  });

  it('shows the Kafka engine consumer in system.kafka_consumers without exceptions', async () => {
    const consumers = await (await ch.query({ query: `SELECT table, length(assignments.topic) AS assigned, num_messages_read FROM system.kafka_consumers WHERE database = {db:String}`, query_params: { db }, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<{ table: string; assigned: number; num_messages_read: number }>();
    expect(consumers).toHaveLength(1);
    expect(consumers[0]!.num_messages_read).toBeGreaterThanOrEqual(61);
  });

  it('committed the Kafka engine group to the end of the topic', async () => {
    const kafka = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(up.pipeline.topic.name);
      const committed = await eventually(
        'group commits at the end offsets',
        async () => (await admin.fetchOffsets({ groupId: up.pipeline.kafkaEngine.group, topics: [up.pipeline.topic.name] }))[0]!.partitions,
        (parts) => parts.every((p) => p.offset === ends.find((e) => e.partition === p.partition)!.high),
        90_000,
      );
      expect(committed.length).toBe(3);
    } finally {
      await admin.disconnect();
    }
  });
});
