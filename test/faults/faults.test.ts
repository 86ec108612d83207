/**
 * Faults while events stream in, on the embedded stack, with both legs running: the
 * official ClickHouse sink (at-least-once, then exactly-once) and the Kafka engine.
 * kill -9 of the Connect worker, kill -9 of ClickHouse mid-insert, a restart of the
 * broker and of ZooKeeper. After each, verify:parity --wait must be exact, or report
 * the exact duplicated offsets where a leg is at-least-once; with exactly-once the
 * connector leg must be exact. Nothing may go missing silently.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { kafkaEngineSection } from '../../src/health/collect.js';
import { isHung, stalledFor } from '../../src/health/model.js';
import { connectAdmin, kafkaClient } from '../../src/kafka.js';
import { committedOffsets } from '../../src/parity/truth.js';
import { legsOf } from '../../src/parity/legs.js';
import { contentOf } from '../../src/pipeline/content.js';
import { schemaFromText } from '../../src/pipeline/load.js';
import { verifyParity, type LegReport, type ParityReport } from '../../src/parity/verify.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { EmbeddedStack } from '../../src/stack/stack.js';
import { deployPipelineSink, type DeployedSink } from '../../src/connect/pipeline-sink.js';
import { resolveEnv } from '../../src/config.js';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { produceOptions, userEventsKit, type IsolatedKit } from '../integration/helpers.js';
import { tempDir } from '../temp-dir.js';

const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[faults] ${line}\n`) });

/** A kit of its own and its user_events pipeline. */
interface Fx {
  kit: IsolatedKit;
  up: ResolvedPipeline;
}

/** Streams `count` events at `rate`/s and runs `fault` once `after` ms have passed. */
async function streamWith(
  { kit, up }: Fx,
  fault: () => Promise<void>,
  { count = 6000, rate = 1500, after = 1500, poison = 2 } = {},
): Promise<ProduceSummary> {
  const sending = produceAvro(produceOptions(kit, up, { count, rate, batchSize: 250, seed: Date.now() % 100_000, poison }));
  // Observed now, awaited below: a failure during the fault is the test's result, not an unhandled rejection.
  sending.catch(() => undefined);
  await new Promise((r) => setTimeout(r, after));
  try {
    await fault();
  } catch (e) {
    // This run's events must not spill into the next test's offset ranges.
    await sending.catch(() => undefined);
    throw e;
  }
  return sending;
}

/**
 * Until the Kafka-engine group has committed up to the topic's end (at most 300 s): a
 * consumer `health` finds hung, or a table it finds stalled, gets the remedy health names,
 * a ClickHouse restart, said loudly. After a broker restart ClickHouse's Kafka engine can
 * wait for good in a synchronous commit (ClickHouse issue 113920), or fail the commit and
 * never rejoin its group; each was seen here about once in twenty broker restarts with a
 * core kept busy, and nothing inside the kit's reach brings the first one back.
 */
async function restartIfStuck({ kit, up }: Fx): Promise<void> {
  const ch = clickhouseClient(kit.config, 'reader');
  const kafka = kafkaClient(kit.config.kafka.brokers);
  const admin = await connectAdmin(kafka, kit.config.kafka.brokers);
  const deadline = Date.now() + 300_000;
  let restarts = 0;
  let previousLag: number | undefined;
  try {
    while (Date.now() < deadline) {
      let lag: number;
      let stuck: string | undefined;
      try {
        const ends = await admin.fetchTopicOffsets(up.pipeline.topic.name);
        const committed = await committedOffsets(admin, up.pipeline.kafkaEngine.group, up.pipeline.topic.name);
        lag = ends.reduce((s, e) => s + Math.max(0, Number(e.high) - Number(committed?.get(e.partition) ?? 0n)), 0);
        if (lag === 0) return;
        const engine = await kafkaEngineSection({ ch, pipeline: up.pipeline });
        const hung = engine.consumers.find((c) => isHung(c));
        // As health judges a stall: on a second look, the lag not shrinking.
        const stalled = previousLag !== undefined && lag >= previousLag ? stalledFor(engine, lag) : undefined;
        if (hung) stuck = `HUNG consumer (no poll for ${hung.lastPollAgeSec} s)`;
        else if (stalled !== undefined) stuck = `STALLED table (lag ${lag}, no commit for ${stalled} s)`;
      } catch (e) {
        // A service just restarted may not answer yet: look again.
        process.stderr.write(`[faults] stuck check: ${(e as Error).message}\n`);
        await sleep(2000);
        continue;
      }
      previousLag = lag;
      if (stuck) {
        // The remedy must work the first time: a second restart is the test's failure.
        expect(restarts, `Kafka engine stuck again after a ClickHouse restart: ${stuck}`).toBe(0);
        restarts++;
        process.stderr.write(`[faults] Kafka engine: ${stuck}: restarting ClickHouse, as health advises\n`);
        await stack.stop('clickhouse');
        await stack.up();
        previousLag = undefined;
      }
      await sleep(5000);
    }
  } finally {
    await admin.disconnect();
    await ch.close();
  }
}

async function parity(fx: Fx, run: ProduceSummary, legs = legsOf(fx.up.pipeline)): Promise<ParityReport> {
  await restartIfStuck(fx);
  const { kit, up } = fx;
  const reader = clickhouseClient(kit.config, 'reader');
  const kafka = kafkaClient(kit.config.kafka.brokers);
  const admin = await connectAdmin(kafka, kit.config.kafka.brokers);
  try {
    return await verifyParity(reader, kafka, admin, { topic: up.pipeline.topic.name, legs, content: contentOf(up.schema.columns), run, wait: true, timeoutMs: 300_000, require: 'both', diffLimit: 10 });
  } finally {
    await admin.disconnect();
    await reader.close();
  }
}

function duplicatedOffsets(leg: LegReport): string {
  return leg.partitions.flatMap((p) => p.duplicateRanges.map((d) => `p${p.partition} [${d.from}, ${d.to}] x${d.copies}`)).join(', ');
}

/**
 * Nothing missing on either leg, every poison message accounted for, duplicates (if
 * any) named by offset; none on the connector leg when it runs exactly-once.
 */
function expectNothingSilent(report: ParityReport, run: ProduceSummary, { exactlyOnce }: { exactlyOnce: boolean }) {
  expect(report.settled, report.settleNote).toBe(true);
  for (const leg of report.legs) {
    const what = `${leg.leg}: ${JSON.stringify(leg.totals)}; missing ${JSON.stringify(leg.partitions.map((p) => p.missingRanges))}; duplicated ${duplicatedOffsets(leg)}`;
    expect(leg.present, what).toBe(true);
    expect(leg.accountingHolds, what).toBe(true);
    expect(leg.totals.expected, what).toBe(run.events + run.poison);
    expect(leg.totals.missing, what).toBe(0);
    expect(leg.totals.errorRows + leg.totals.deadLettered, what).toBe(run.poison);
    // Duplicates are named by offset: the runs cover exactly the duplicated rows.
    const named = leg.partitions.reduce((s, p) => s + p.duplicateRanges.reduce((t, d) => t + (Number(d.to) - Number(d.from) + 1) * (d.copies - 1), 0), 0);
    expect(named, what).toBe(leg.totals.duplicates);
    if (leg.leg === 'connector' && exactlyOnce) expect(leg.totals.duplicates, what).toBe(0);
    if (leg.totals.duplicates > 0) process.stderr.write(`[faults] at-least-once re-delivery on ${leg.leg}: ${duplicatedOffsets(leg)}\n`);
    if (leg.totals.deadLetteredLanded > 0) process.stderr.write(`[faults] ${leg.leg}: ${leg.totals.deadLetteredLanded} landed offsets were also dead-lettered (exactly-once duplicate notices)\n`);
  }
  const duplicates = report.legs.reduce((s, l) => s + l.totals.duplicates, 0);
  expect(report.exact, report.reasons.join('; ')).toBe(duplicates === 0);
  if (duplicates === 0) expect(report.content.differing).toBe(0);
}

describe.each([{ exactlyOnce: false }, { exactlyOnce: true }])('faults with both legs running (connector exactlyOnce=$exactlyOnce)', ({ exactlyOnce }) => {
  const fx = {} as Fx;
  let db: string;
  let ch: ClickHouseClient;
  let sink: DeployedSink;

  beforeAll(async () => {
    Object.assign(fx, (({ kit, r }) => ({ kit, up: r }))(await userEventsKit(exactlyOnce ? 'faults_eos' : 'faults')));
    db = fx.kit.config.clickhouse.database;
    ch = fx.kit.admin;
    sink = await deployPipelineSink(fx.kit.config, resolveEnv(), [fx.up.pipeline], { exactlyOnce });
  });

  afterAll(async () => {
    await stack.up(); // whatever a test left down comes back for the next suite
    await sink?.remove();
    await fx.kit?.drop();
  });

  // Each waits up to 300 s for a stuck Kafka-engine consumer's restart, then up to parity's own deadline for both legs to settle.
  const FAULT_TIMEOUT_MS = 800_000;

  it('kill -9 of the Connect worker mid-stream: it comes back and its task resumes', { timeout: FAULT_TIMEOUT_MS }, async () => {
    const run = await streamWith(fx, async () => {
      expect(await stack.stop('connect', 0)).toBe('killed');
      await stack.up();
    });
    expectNothingSilent(await parity(fx, run), run, { exactlyOnce });
    expect((await stack.status()).services.every((s) => s.ready)).toBe(true);
  });

  it('kill -9 of ClickHouse mid-insert: it comes back with every committed row', { timeout: FAULT_TIMEOUT_MS }, async () => {
    const run = await streamWith(fx, async () => {
      expect(await stack.stop('clickhouse', 0)).toBe('killed');
      await stack.up();
    });
    expectNothingSilent(await parity(fx, run), run, { exactlyOnce });
  });

  it('restart of the broker mid-stream: the idempotent producer and both consumers ride it out', { timeout: FAULT_TIMEOUT_MS }, async () => {
    const run = await streamWith(fx, async () => {
      expect(await stack.stop('kafka')).toBe('stopped');
      await stack.up();
    });
    expect(run.events).toBe(6000);
    expectNothingSilent(await parity(fx, run), run, { exactlyOnce });
  });

  it('restart of ZooKeeper mid-stream: KeeperMap state comes back', { timeout: FAULT_TIMEOUT_MS }, async () => {
    const run = await streamWith(fx, async () => {
      expect(await stack.stop('zookeeper')).toBe('stopped');
      await stack.up();
    });
    expectNothingSilent(await parity(fx, run), run, { exactlyOnce });
  });

  it.runIf(!exactlyOnce)('poison messages mid-stream: the connector dead-letters them, the Kafka engine keeps error rows, per partition', async () => {
    const run = await streamWith(fx, async () => {}, { count: 3000, poison: 7 });
    const report = await parity(fx, run);
    expectNothingSilent(report, run, { exactlyOnce });
    expect(report.exact).toBe(true);
    const perPartition = (p: number) => run.poisonOffsets.filter((o) => o.partition === p).length;
    for (const leg of report.legs) {
      for (const p of leg.partitions) expect(p.errorRows + p.deadLettered, `${leg.leg} p${p.partition}`).toBe(perPartition(p.partition));
    }
  });

  it.runIf(!exactlyOnce)('a schema the registry refuses sends nothing, and parity of the topic stays exact', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const file = path.join(tempDir('kit-faults-'), 'bad.avsc');
    writeFileSync(file, JSON.stringify({ type: 'record', name: 'UserEvent', namespace: 'dev.kit.events', fields: [{ name: 'id', type: 'long' }] }));
    const kafka = kafkaClient(fx.kit.config.kafka.brokers);
    const admin = await connectAdmin(kafka, fx.kit.config.kafka.brokers);
    const before = await admin.fetchTopicOffsets(fx.up.pipeline.topic.name);
    const schema = schemaFromText(readFileSync(file, 'utf8'), file);
    await expect(produceAvro(produceOptions(fx.kit, fx.up, { count: 10, batchSize: 10, seed: 1, schema }))).rejects.toThrow(/not compatible/);
    expect(await admin.fetchTopicOffsets(fx.up.pipeline.topic.name)).toEqual(before);
    await admin.disconnect();
  });

  it.runIf(!exactlyOnce)('mitigation for at-least-once duplicates: a ReplacingMergeTree keyed on partition and offset holds each offset once', async () => {
    // A second target fed from the Kafka-engine leg's rows, deduplicating on (_topic, _partition, _offset).
    await ch.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.events_kafka_dedup AS ${db}.events_kafka ENGINE = ReplacingMergeTree ORDER BY (_topic, _partition, _offset)` });
    await ch.command({ query: `INSERT INTO ${db}.events_kafka_dedup SELECT * FROM ${db}.events_kafka` });
    // Re-deliver a slice on purpose, as a consumer restart would.
    await ch.command({ query: `INSERT INTO ${db}.events_kafka_dedup SELECT * FROM ${db}.events_kafka WHERE _offset < 50` });
    const dupsBefore = await (await ch.query({ query: `SELECT count() - uniqExact(_topic, _partition, _offset) AS d FROM ${db}.events_kafka_dedup`, format: 'JSONEachRow' })).json<{ d: string }>();
    expect(Number(dupsBefore[0]!.d)).toBeGreaterThan(0);
    await ch.command({ query: `OPTIMIZE TABLE ${db}.events_kafka_dedup FINAL`, clickhouse_settings: { mutations_sync: '2' } });
    const reader = clickhouseClient(fx.kit.config, 'reader');
    const kafka = kafkaClient(fx.kit.config.kafka.brokers);
    const admin = await connectAdmin(kafka, fx.kit.config.kafka.brokers);
    try {
      const report = await verifyParity(reader, kafka, admin, {
        topic: fx.up.pipeline.topic.name,
        content: contentOf(fx.up.schema.columns),
        legs: [{ ...legsOf(fx.up.pipeline)[1]!, name: 'kafka_engine_dedup', table: 'events_kafka_dedup' }],
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
