/**
 * Faults while events stream in, on the embedded stack: kill -9 of the Connect
 * worker, a restart of the ClickHouse host process, a restart of the broker,
 * poison messages, a schema the registry refuses. After each, verify:parity --wait
 * must end exact or report exact losses/duplicates with their offsets; nothing silent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { connectAdmin, kafkaClient } from '../../src/kafka.js';
import { legsFromConfig, verifyParity, type ParityReport } from '../../src/parity/verify.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { EmbeddedStack } from '../../src/stack/stack.js';
import { isolatedConfig, produceOptions, setUpKit } from '../integration/helpers.js';

const config = isolatedConfig('faults');
const db = config.clickhouse.database;
const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[faults] ${line}\n`) });
let ch: ClickHouseClient;

/** Streams `count` events at `rate`/s and runs `fault` once `after` ms have passed. */
async function streamWith(fault: () => Promise<void>, { count = 6000, rate = 1500, after = 1500, poison = 0 } = {}): Promise<ProduceSummary> {
  const sending = produceAvro(produceOptions(config, {
    count,
    rate,
    batchSize: 250,
    seed: Date.now() % 100_000,
    poison,
  }));
  // Observed now, awaited below: a failure during the fault is the test's result, not an unhandled rejection.
  sending.catch(() => undefined);
  await new Promise((r) => setTimeout(r, after));
  await fault();
  return sending;
}

async function parity(run: ProduceSummary): Promise<ParityReport> {
  const reader = clickhouseClient(config, 'reader');
  const kafka = kafkaClient(config.kafka.brokers);
  const admin = await connectAdmin(kafka, config.kafka.brokers);
  try {
    return await verifyParity(reader, kafka, admin, {
      topic: config.topic,
      legs: legsFromConfig(config),
      run,
      wait: true,
      timeoutMs: 180_000,
      require: 'any',
      diffLimit: 10,
      notDeployed: ['connector'],
    });
  } finally {
    await admin.disconnect();
    await reader.close();
  }
}

/** Exact, or every difference accounted for: nothing missing, duplicates counted per partition. */
function expectNothingSilent(report: ParityReport, run: ProduceSummary) {
  const leg = report.legs.find((l) => l.leg === 'kafka_engine')!;
  expect(report.settled, report.settleNote).toBe(true);
  expect(leg.present).toBe(true);
  expect(leg.accountingHolds).toBe(true);
  expect(leg.totals.expected).toBe(run.events + run.poison);
  expect(leg.totals.missing, JSON.stringify(leg.partitions.map((p) => p.missingRanges))).toBe(0);
  expect(leg.totals.errorRows).toBe(run.poison);
  // At-least-once: a restart may re-deliver; if so, the report names how many, per partition.
  expect(leg.totals.duplicates).toBe(leg.partitions.reduce((s, p) => s + p.duplicates, 0));
  expect(report.exact).toBe(leg.totals.duplicates === 0);
}

beforeAll(async () => {
  ch = await setUpKit(config);
});

afterAll(async () => {
  await stack.up(); // whatever a test left down comes back for the next suite
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  await ch?.close();
});

describe('faults while events stream in', () => {
  it('kill -9 of the Connect worker: it comes back, and the Kafka-engine leg is exact', async () => {
    const run = await streamWith(async () => {
      expect(await stack.processes.stop('connect', 0)).toBe('killed');
      await stack.up();
    });
    const report = await parity(run);
    expectNothingSilent(report, run);
    expect((await stack.status()).services.every((s) => s.ready)).toBe(true);
  });

  it('restart of the ClickHouse host mid-stream: nothing lost; any re-delivery is reported as duplicates', async () => {
    const run = await streamWith(async () => {
      expect(await stack.processes.stop('clickhouse')).toBe('stopped');
      await stack.up();
    });
    expectNothingSilent(await parity(run), run);
  });

  it('restart of the broker mid-stream: the idempotent producer and the Kafka engine ride it out', async () => {
    const run = await streamWith(async () => {
      expect(await stack.processes.stop('kafka')).toBe('stopped');
      await stack.up();
    });
    expect(run.events).toBe(6000);
    expectNothingSilent(await parity(run), run);
  });

  it('poison messages mid-stream land in the errors table, counted per partition', async () => {
    const run = await streamWith(async () => {}, { count: 3000, poison: 7 });
    const report = await parity(run);
    expectNothingSilent(report, run);
    expect(report.exact).toBe(true);
    const leg = report.legs.find((l) => l.leg === 'kafka_engine')!;
    for (const p of leg.partitions) expect(p.errorRows).toBe(run.poisonOffsets.filter((o) => o.partition === p.partition).length);
  });

  it('a schema the registry refuses sends nothing, and parity of the topic stays exact', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kit-faults-')), 'bad.avsc');
    writeFileSync(file, JSON.stringify({ type: 'record', name: 'UserEvent', namespace: 'dev.kit.events', fields: [{ name: 'id', type: 'long' }] }));
    const kafka = kafkaClient(config.kafka.brokers);
    const admin = await connectAdmin(kafka, config.kafka.brokers);
    const before = await admin.fetchTopicOffsets(config.topic);
    await expect(
      produceAvro(produceOptions(config, { count: 10, batchSize: 10, seed: 1, schemaFile: file })),
    ).rejects.toThrow(/not compatible/);
    expect(await admin.fetchTopicOffsets(config.topic)).toEqual(before);
    await admin.disconnect();
  });

  it('mitigation for at-least-once duplicates: a ReplacingMergeTree keyed on partition and offset holds each offset once', async () => {
    // A second target fed by its own view from the same Kafka table, deduplicating on (_topic, _partition, _offset).
    await ch.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.events_kafka_dedup AS ${db}.events_kafka ENGINE = ReplacingMergeTree ORDER BY (_topic, _partition, _offset)` });
    await ch.command({ query: `INSERT INTO ${db}.events_kafka_dedup SELECT * FROM ${db}.events_kafka` });
    // Re-deliver a slice on purpose, as a consumer restart would.
    await ch.command({ query: `INSERT INTO ${db}.events_kafka_dedup SELECT * FROM ${db}.events_kafka WHERE _offset < 50` });
    const dupsBefore = await (await ch.query({ query: `SELECT count() - uniqExact(_topic, _partition, _offset) AS d FROM ${db}.events_kafka_dedup`, format: 'JSONEachRow' })).json<{ d: string }>();
    expect(Number(dupsBefore[0]!.d)).toBeGreaterThan(0);
    await ch.command({ query: `OPTIMIZE TABLE ${db}.events_kafka_dedup FINAL`, clickhouse_settings: { mutations_sync: '2' } });
    const reader = clickhouseClient(config, 'reader');
    const kafka = kafkaClient(config.kafka.brokers);
    const admin = await connectAdmin(kafka, config.kafka.brokers);
    try {
      const report = await verifyParity(reader, kafka, admin, {
        topic: config.topic,
        legs: [{ ...legsFromConfig(config)[1]!, name: 'kafka_engine_dedup', table: 'events_kafka_dedup' }],
        wait: false,
        timeoutMs: 0,
        require: 'any',
        diffLimit: 0,
      });
      const leg = report.legs[0]!;
      expect(leg.totals.duplicates).toBe(0);
      expect(leg.totals.missing).toBe(0);
      expect(report.exact).toBe(true);
    } finally {
      await admin.disconnect();
      await reader.close();
    }
  });
});
