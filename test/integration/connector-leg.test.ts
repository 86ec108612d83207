/**
 * Both legs for real on the embedded stack: the official ClickHouse sink (built from its
 * source release) on the Connect worker, and the Kafka engine, reading one topic with
 * poison messages, one of them the very last message of a partition.
 */
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { queryRows } from '../../src/clickhouse/query.js';
import { committedOffsets, readDeadLetters } from '../../src/parity/truth.js';
import { legsOf } from '../../src/parity/legs.js';
import { contentOf } from '../../src/pipeline/content.js';
import { verifyParity, type ParityReport } from '../../src/parity/verify.js';
import { poisonValue, produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { deployPipelineSink, type DeployedSink } from '../../src/connect/pipeline-sink.js';
import { resolveEnv } from '../../src/config.js';
import { produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
const LAST_POISON_PARTITION = 1;
let ch: ClickHouseClient;
let kafka: Kafka;
let admin: Admin;
let sink: DeployedSink;
let run: ProduceSummary;
let lastPoisonOffset: bigint;
let report: ParityReport;

const leg = (name: string) => report.legs.find((l) => l.leg === name)!;

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('connector_leg'));
  db = kit.config.clickhouse.database;
  ch = kit.admin;
  kafka = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  sink = await deployPipelineSink(kit.config, resolveEnv(), [up.pipeline]);
  run = await produceAvro(produceOptions(kit, up, { count: 3000, seed: 21, poison: 2 }));
  // A poison message as the very last message of one partition.
  const producer = kafka.producer();
  await producer.connect();
  const [meta] = await producer.send({ topic: up.pipeline.topic.name, acks: -1, messages: [{ partition: LAST_POISON_PARTITION, key: 'poison-last', value: poisonValue(99) }] });
  await producer.disconnect();
  lastPoisonOffset = BigInt(meta!.baseOffset!);
  const reader = clickhouseClient(kit.config, 'reader');
  try {
    report = await verifyParity(reader, kafka, admin, {
      topic: up.pipeline.topic.name,
      content: contentOf(up.schema.columns),
      legs: legsOf(up.pipeline),
      wait: true,
      timeoutMs: 180_000,
      require: 'both',
      diffLimit: 10,
    });
  } finally {
    await reader.close();
  }
});

afterAll(async () => {
  await sink?.remove();
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${kit.config.clickhouse.database} SYNC` });
  await ch?.close();
  await admin?.deleteTopics({ topics: [up.pipeline.topic.name, up.pipeline.connector.dlqTopic] }).catch(() => undefined);
  await admin?.disconnect();
});

describe('the connector leg beside the Kafka-engine leg', () => {
  it('settles, though the connector never commits past a partition-ending dead-lettered record', async () => {
    expect(report.settled, report.settleNote).toBe(true);
    const committed = await committedOffsets(admin, up.pipeline.connector.group, up.pipeline.topic.name);
    // reportInsertedOffsets: the committed offset is the last inserted one + 1, i.e. the poison message itself.
    expect(committed?.get(LAST_POISON_PARTITION)).toBe(lastPoisonOffset);
  });

  it('lands every event once on both legs, exact against the topic', () => {
    expect(report.reasons).toEqual([]);
    expect(report.exact).toBe(true);
    for (const name of ['connector', 'kafka_engine']) {
      const l = leg(name);
      expect(l.present).toBe(true);
      expect(l.totals).toMatchObject({ expected: 3003, landed: 3000, missing: 0, duplicates: 0 });
      expect(l.accountingHolds).toBe(true);
    }
  });

  it('accounts for the poison messages: the DLQ with context headers on one leg, the errors table on the other', async () => {
    expect(leg('connector').totals.deadLettered).toBe(3);
    expect(leg('kafka_engine').totals.errorRows).toBe(3);
    const letters = (await readDeadLetters(kafka, admin, up.pipeline.connector.dlqTopic, up.pipeline.topic.name)) ?? [];
    const expected = [...run.poisonOffsets.map((o) => `${o.partition}:${o.offset}`), `${LAST_POISON_PARTITION}:${lastPoisonOffset}`];
    expect(letters.map((l) => `${l.partition}:${l.offset}`).sort()).toEqual(expected.sort());
    for (const l of letters) expect(l.error).toBeTruthy();
  });

  it("keeps each record's Kafka timestamp on both legs, the same per offset, and when its row was written", async () => {
    const rows = await queryRows<{ differing: string; rows: string; early: string; old: string }>(ch, {
      query: `SELECT countIf(c._kafka_timestamp != k._kafka_timestamp) AS differing, count() AS rows,
                     countIf(c._inserted_at < c._kafka_timestamp OR k._inserted_at < k._kafka_timestamp) AS early,
                     countIf(c._kafka_timestamp < now64(3) - INTERVAL 1 HOUR) AS old
              FROM ${db}.events_connect AS c INNER JOIN ${db}.events_kafka AS k USING (_topic, _partition, _offset)`,
      params: {},
    });
    expect(rows[0]).toEqual({ differing: '0', rows: '3000', early: '0', old: '0' });
  });

  it('holds equal content in both legs, partition by partition', () => {
    expect(report.content.compared).toBe(true);
    expect(report.content.differing).toBe(0);
    expect(report.content.partitions.every((p) => p.equal)).toBe(true);
    expect(report.content.partitions).toHaveLength(3);
  });
});
