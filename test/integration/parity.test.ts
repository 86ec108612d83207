/**
 * verify:parity on the embedded stack: a real produce:avro run lands through the
 * real Kafka engine, parity is exact; then faults injected directly in ClickHouse
 * are reported with their exact ranges, counts, offsets and exit codes.
 *
 * Here the connector leg is filled with rows copied from the Kafka-engine leg, and its
 * dead-letter topic with records in Connect's DLQ shape (context headers), so faults can
 * be injected into one leg at will; the real connector leg is tested in
 * connector-leg.test.ts and the fault suite.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import type { ParityReport } from '../../src/parity/verify.js';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { projectRoot } from '../../src/paths.js';
import { mutate, produceOptions, restoreLegsFromPristine, userEventsKit, type IsolatedKit } from './helpers.js';
import { tempDir } from '../temp-dir.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
let env: NodeJS.ProcessEnv;
let ch: ClickHouseClient;
let summary: ProduceSummary;

function runParity(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-parity.ts', '--json', ...args], {
    cwd: projectRoot,
    env,
    encoding: 'utf8',
    timeout: 180_000,
  });
}

function parity(...args: string[]): { code: number; report: ParityReport; stderr: string } {
  const out = runParity(args);
  let report: ParityReport;
  try {
    report = JSON.parse(out.stdout) as ParityReport;
  } catch {
    throw new Error(`verify:parity printed no JSON (exit ${out.status}):\n${out.stdout}\n${out.stderr}`);
  }
  return { code: out.status ?? -1, report, stderr: out.stderr };
}

const leg = (r: ParityReport, name: string) => r.legs.find((l) => l.leg === name)!;
const part = (r: ParityReport, name: string, p: number) => leg(r, name).partitions.find((x) => x.partition === p)!;

const exec = (query: string) => mutate(ch, query);
const restore = () => restoreLegsFromPristine(ch, db);

/** Offsets of one partition that hold events (poison offsets excluded), in order. */
function eventOffsets(partition: number): number[] {
  const range = summary.partitions.find((p) => p.partition === partition)!;
  const poison = new Set(summary.poisonOffsets.filter((o) => o.partition === partition).map((o) => Number(o.offset)));
  const out: number[] = [];
  for (let o = Number(range.firstOffset); o <= Number(range.lastOffset); o++) if (!poison.has(o)) out.push(o);
  return out;
}

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('parity'));
  db = kit.config.clickhouse.database;
  env = kit.env();
  ch = kit.admin;
  summary = await produceAvro(produceOptions(kit, up, {
    count: 3000,
    batchSize: 500,
    seed: 5,
    poison: 2,
  }));
});

afterAll(async () => {
  await kit?.drop();
});

describe('verify:parity', () => {
  it('waits for the Kafka-engine leg and finds it exact; the absent connector leg decides the exit code by --require', async () => {
    const any = parity('--wait', '--timeout', '120', '--require', 'any');
    expect(any.code, any.stderr).toBe(0);
    expect(any.report.settled).toBe(true);
    const k = leg(any.report, 'kafka_engine');
    expect(k.present).toBe(true);
    expect(k.totals).toMatchObject({ expected: 3002, landed: 3000, errorRows: 2, missing: 0, duplicates: 0 });
    expect(k.accountingHolds).toBe(true);
    expect(leg(any.report, 'connector').present).toBe(false);

    const both = parity('--require', 'both');
    expect(both.code).toBe(1);
    expect(both.report.reasons.join(' ')).toMatch(/connector: absent/);

    // Keep what landed as the pristine reference for the fault tests below.
    await exec(`CREATE TABLE ${db}.pristine AS ${db}.events_kafka`);
    await exec(`INSERT INTO ${db}.pristine SELECT * FROM ${db}.events_kafka`);
  });

  it('checks exactly one run with --run, and both legs when the connector leg holds the same rows and dead-letters', async () => {
    await restore();
    const kafka = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: up.pipeline.connector.dlqTopic,
      messages: summary.poisonOffsets.map((o) => ({
        value: 'poison',
        headers: {
          '__connect.errors.topic': up.pipeline.topic.name,
          '__connect.errors.partition': String(o.partition),
          '__connect.errors.offset': o.offset,
          '__connect.errors.exception.message': 'Unknown magic byte!',
        },
      })),
    });
    await producer.disconnect();

    const runFile = path.join(tempDir('kit-parity-'), 'run.json');
    writeFileSync(runFile, JSON.stringify(summary));
    const r = parity('--run', runFile);
    expect(r.code, JSON.stringify(r.report.reasons)).toBe(0);
    expect(r.report.source).toBe('run');
    const c = leg(r.report, 'connector');
    expect(c.totals).toMatchObject({ expected: 3002, landed: 3000, deadLettered: 2, errorRows: 0, missing: 0, duplicates: 0 });
    expect(r.report.content).toMatchObject({ compared: true, differing: 0 });
    expect(r.report.exact).toBe(true);
  });

  it('reports an offset range deleted from one leg, exactly', async () => {
    await restore();
    const offsets = eventOffsets(0).slice(100, 150);
    await exec(`ALTER TABLE ${db}.events_connect DELETE WHERE _partition = 0 AND _offset BETWEEN ${offsets[0]} AND ${offsets[49]}`);
    const r = parity();
    expect(r.code).toBe(1);
    const p0 = part(r.report, 'connector', 0);
    expect(p0.missing).toBe(offsets[49]! - offsets[0]! + 1);
    expect(p0.missingRanges).toEqual([{ from: String(offsets[0]), to: String(offsets[49]) }]);
    expect(leg(r.report, 'kafka_engine').exact).toBe(true);
    expect(leg(r.report, 'connector').accountingHolds).toBe(true);
    // Content is equal wherever both legs hold the offset.
    expect(r.report.content.differing).toBe(0);
  });

  it("counts the sink's exactly-once duplicate notices as landed where the row is there, and as nothing where it is not", async () => {
    await restore();
    const offsets = eventOffsets(2).slice(200, 206);
    const kafka = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: up.pipeline.connector.dlqTopic,
      messages: offsets.map((o) => ({
        value: 'a re-delivered event',
        headers: {
          '__connect.errors.topic': up.pipeline.topic.name,
          '__connect.errors.partition': '2',
          '__connect.errors.offset': String(o),
          '__connect.errors.exception.class.name': 'com.clickhouse.kafka.connect.sink.dlq.DuplicateException',
          '__connect.errors.exception.message': `${up.pipeline.topic.name}-2`,
        },
      })),
    });
    await producer.disconnect();
    // The last of them never landed: a "duplicate" of nothing.
    await exec(`ALTER TABLE ${db}.events_connect DELETE WHERE _partition = 2 AND _offset = ${offsets[5]}`);
    const r = parity();
    const p2 = part(r.report, 'connector', 2);
    expect(p2.deadLetteredLanded).toBe(5);
    expect(p2.missingRanges).toEqual([{ from: String(offsets[5]), to: String(offsets[5]) }]);
    expect(leg(r.report, 'connector').accountingHolds).toBe(true);
    expect(r.code).toBe(1);
    expect(r.report.reasons.join(' ')).toMatch(/connector: 1 offsets missing/);
  });

  it('reports duplicated rows with their count', async () => {
    await restore();
    const offsets = eventOffsets(1).slice(10, 20);
    await exec(`INSERT INTO ${db}.events_kafka SELECT * FROM ${db}.pristine WHERE _partition = 1 AND _offset BETWEEN ${offsets[0]} AND ${offsets[9]}`);
    const r = parity();
    expect(r.code).toBe(1);
    const p1 = part(r.report, 'kafka_engine', 1);
    expect(p1.duplicates).toBe(offsets[9]! - offsets[0]! + 1);
    // ...and which offsets: runs of consecutive offsets, each held twice.
    expect(p1.duplicateRanges[0]!.from).toBe(String(offsets[0]));
    expect(p1.duplicateRanges.at(-1)!.to).toBe(String(offsets[9]));
    expect(p1.duplicateRanges.reduce((sum, d) => sum + Number(d.to) - Number(d.from) + 1, 0)).toBe(p1.duplicates);
    expect(p1.duplicateRanges.every((d) => d.copies === 2)).toBe(true);
    expect(leg(r.report, 'kafka_engine').totals.missing).toBe(0);
    expect(r.report.reasons.join(' ')).toMatch(/kafka_engine: \d+ duplicate rows/);
  });

  it('finds an altered value and shows both rows at its offset', async () => {
    await restore();
    const offset = eventOffsets(2)[42]!;
    await exec(`ALTER TABLE ${db}.events_connect UPDATE action = 'tampered' WHERE _partition = 2 AND _offset = ${offset}`);
    const r = parity();
    expect(r.code).toBe(1);
    expect(r.report.content.differing).toBe(1);
    expect(r.report.content.partitions.find((p) => p.partition === 2)).toMatchObject({ equal: false, differing: 1 });
    const example = r.report.content.examples[0]!;
    expect({ partition: example.partition, offset: example.offset }).toEqual({ partition: 2, offset: String(offset) });
    expect(JSON.stringify(example.left)).toContain('tampered');
    expect(JSON.stringify(example.right)).not.toContain('tampered');
    expect(leg(r.report, 'connector').exact).toBe(true);
  });

  it("reports one partition's rows dropped as its exact missing ranges around the error rows", async () => {
    await restore();
    await exec(`ALTER TABLE ${db}.events_kafka DELETE WHERE _partition = 1`);
    const r = parity();
    expect(r.code).toBe(1);
    const p1 = part(r.report, 'kafka_engine', 1);
    const range = summary.partitions.find((p) => p.partition === 1)!;
    const poisonInP1 = summary.poisonOffsets.filter((o) => o.partition === 1).length;
    expect(p1.rows).toBe(0);
    expect(p1.missing).toBe(range.messages - poisonInP1);
    expect(Number(p1.missingRanges[0]!.from)).toBe(Number(range.firstOffset));
    expect(Number(p1.missingRanges.at(-1)!.to)).toBe(Number(range.lastOffset));
    expect(p1.missingRanges).toHaveLength(poisonInP1 + 1);
    expect(leg(r.report, 'kafka_engine').accountingHolds).toBe(true);
  });

  it("reports a leg's missing table as absent: exit 1 with --require both, 0 with --require any", async () => {
    await restore();
    await exec(`DROP TABLE ${db}.events_connect SYNC`);
    const both = parity();
    expect(both.code).toBe(1);
    expect(leg(both.report, 'connector')).toMatchObject({ present: false, absentReason: `table ${db}.events_connect does not exist` });
    const any = parity('--require', 'any');
    expect(any.code).toBe(0);
  });

  it('exits 2 on bad input, naming it', () => {
    const missing = runParity(['--run', '/nonexistent/summary.json']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--run /nonexistent/summary.json');
    const badFlag = runParity(['--require', 'all']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/--require/);
  });
});
