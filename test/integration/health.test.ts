/**
 * npm run health on the embedded stack, as a child process with an isolated config:
 * a healthy Kafka-engine leg (lag 0, one poison message in the errors table), the
 * connector "not deployed" (Connect runs without the ClickHouse sink plugin), a
 * consumer exception read from system.kafka_consumers turning the verdict unhealthy,
 * --watch refreshing until Ctrl-C, and exit 2 for bad input, 3 for unreachable services.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { applySql, loadSqlFiles, templateValues } from '../../src/clickhouse/ddl.js';
import type { HealthReport } from '../../src/health/model.js';
import { pipelineDdl } from '../../src/pipeline/ddl.js';
import { produceAvro } from '../../src/produce/producer.js';
import { createTopic } from '../../src/kafka.js';
import { committedOffsets } from '../../src/parity/truth.js';
import { projectRoot } from '../../src/paths.js';
import { eventually, produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
/** A second kit whose Kafka table is created before its topic: the consumer raises an exception. */
let early: IsolatedKit;
let earlyUp: ResolvedPipeline;

const SCRIPT = ['--import', 'tsx', 'scripts/health.ts'];

let ch: ClickHouseClient;
let admin: Admin;

function health(c: IsolatedKit, args: string[] = [], extra: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, [...SCRIPT, ...args], { cwd: projectRoot, env: c.env(extra), encoding: 'utf8', timeout: 60_000 });
  return { code: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}

function healthJson(c: IsolatedKit): { code: number; report: HealthReport; stderr: string } {
  const out = health(c, ['--json']);
  try {
    return { code: out.code, report: JSON.parse(out.stdout) as HealthReport, stderr: out.stderr };
  } catch {
    throw new Error(`health printed no JSON (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
}

async function count(query: string): Promise<number> {
  const rs = await ch.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return Number(((await rs.json<{ n: number }>())[0])?.n ?? 0);
}

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('health'));
  db = kit.config.clickhouse.database;
  ch = kit.admin;
  admin = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  ({ kit: early, r: earlyUp } = await userEventsKit('health_early', {}, false));
  const endpoints = { brokerList: early.config.clickhouseKafka.brokerList, registryUrl: early.config.clickhouseKafka.registryUrl };
  await applySql(ch, [...loadSqlFiles(templateValues(early.config)), ...pipelineDdl(earlyUp.pipeline, earlyUp.schema.columns, endpoints)]);
  await produceAvro(produceOptions(kit, up, {
    count: 20,
    batchSize: 20,
    seed: 11,
    poison: 1,
  }));
  await eventually('20 events and 1 error row landed', async () => [await count(`SELECT count() AS n FROM ${db}.events_kafka`), await count(`SELECT count() AS n FROM ${db}.events_kafka_errors`)], ([e, r]) => e === 20 && r === 1, 90_000);
  const ends = await admin.fetchTopicOffsets(up.pipeline.topic.name);
  await eventually(
    'the Kafka engine committed up to the end',
    () => committedOffsets(admin, up.pipeline.kafkaEngine.group, up.pipeline.topic.name),
    (c) => c !== undefined && ends.every((e) => c.get(e.partition) === BigInt(e.high)),
    60_000,
  );
});

afterAll(async () => {
  if (admin) {
    const existing = await admin.listTopics();
    const mine = [up.pipeline.topic.name, earlyUp.pipeline.topic.name].filter((t) => existing.includes(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
  await early?.drop();
  await kit?.drop();
});

describe('npm run health', () => {
  it('reports a healthy Kafka-engine leg: lag 0 per partition, 1 error row, connector not deployed, exit 0', () => {
    const { code, report, stderr } = healthJson(kit);
    expect(code, `${stderr}\n${JSON.stringify(report.verdict)}`).toBe(0);
    expect(report.topic).toMatchObject({ name: up.pipeline.topic.name, exists: true, partitions: 3, messages: 21 });

    const engine = report.lag.find((g) => g.leg === 'kafka_engine')!;
    expect(engine).toMatchObject({ group: up.pipeline.kafkaEngine.group, committed: true, totalLag: 0, unknown: 0 });
    expect(engine.partitions).toHaveLength(3);
    expect(engine.partitions.every((p) => p.lag === 0 && p.state === 'ok' && p.committed === p.end)).toBe(true);
    const connector = report.lag.find((g) => g.leg === 'connector')!;
    expect(connector).toMatchObject({ group: `connect-${up.pipeline.connector.name}`, committed: false });

    expect(report.connect).toMatchObject({ reachable: true, connector: { name: up.pipeline.connector.name, deployed: false, tasks: [] } });
    expect(report.errorsTable).toMatchObject({ name: `${kit.config.clickhouse.database}.events_kafka_errors`, exists: true, count: 1 });
    expect(report.dlq).toEqual({ name: `${up.pipeline.topic.name}-dlq`, exists: false, count: 0 });

    expect(report.kafkaEngine.exists).toBe(true);
    expect(report.kafkaEngine.consumers).toHaveLength(1);
    const consumer = report.kafkaEngine.consumers[0]!;
    expect(consumer.numMessagesRead).toBe(21);
    expect(consumer.assignments.map((a) => a.partition).sort()).toEqual([0, 1, 2]);
    expect(consumer.exceptions).toEqual([]);
    expect(consumer.dependencies?.map((chain) => chain.join(' > ')).sort()).toEqual(
      [
        'events_kafka_queue_mv > events_kafka_fanout > events_kafka_errors_mv > events_kafka_errors',
        'events_kafka_queue_mv > events_kafka_fanout > events_kafka_mv > events_kafka',
      ].map((chain) => chain.replace(/\w+/g, (t) => `${kit.config.clickhouse.database}.${t}`)),
    );
    expect(report.verdict).toEqual({
      healthy: true,
      problems: [],
      notes: [`connector ${up.pipeline.connector.name} not deployed`, `1 row(s) in the errors table ${kit.config.clickhouse.database}.events_kafka_errors`],
      exitCode: 0,
    });
  });

  it("shows each leg's ingest from its own rows: rows per second and freshness", () => {
    // A window that surely holds the 20 events landed in beforeAll, however slow the run.
    const out = health(kit, ['--json', '--ingest-window', '3600']);
    const report = JSON.parse(out.stdout) as HealthReport;
    const engine = report.ingest.find((l) => l.leg === 'kafka_engine')!;
    expect(engine).toMatchObject({ exists: true, rows: 20, windowSec: 3600 });
    const f = engine.freshnessMs!;
    expect(f.p50).toBeGreaterThanOrEqual(0);
    expect(f.p99).toBeGreaterThanOrEqual(f.p50);
    expect(f.max).toBeGreaterThanOrEqual(f.p99);
    // Written after the record, and within the run.
    expect(f.max).toBeLessThan(3_600_000);
    expect(report.ingest.find((l) => l.leg === 'connector')).toMatchObject({ exists: true, rows: 0 });
    expect(health(kit).stdout).toMatch(/ingest over the last 60 s/);
  });

  it('prints the same for people', () => {
    const out = health(kit);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`connector ${up.pipeline.connector.name} on ${kit.config.connect.url}`);
    expect(out.stdout).toContain('not deployed');
    expect(out.stdout).toContain('kafka_engine lag 0');
    expect(out.stdout).toContain(`errors table ${kit.config.clickhouse.database}.events_kafka_errors: 1 row(s)`);
    expect(out.stdout.trimEnd().split('\n').find((l) => l.startsWith('HEALTHY'))).toBe('HEALTHY');
  });

  it('turns unhealthy (exit 1) on a recent exception in system.kafka_consumers', async () => {
    // The early kit's Kafka table exists before its topic: its consumer records "Unknown topic or partition".
    await eventually('the early consumer recorded an exception', () => count(`SELECT sum(length(exceptions.text)) AS n FROM system.kafka_consumers WHERE database = '${early.config.clickhouse.database}'`), (n) => n > 0, 60_000);
    await createTopic(admin, { ...earlyUp.pipeline.topic, partitions: 1 });
    const { code, report } = healthJson(early);
    expect(code).toBe(1);
    expect(report.verdict.healthy).toBe(false);
    expect(report.verdict.problems.join('\n')).toMatch(/Kafka-engine consumer .+ of .+\.events_kafka_queue: \d+ exception\(s\) in the last 5 min, newest \d+ s ago: .+/);
    const e = report.kafkaEngine.consumers[0]!.exceptions[0]!;
    expect(e.ageSec).toBeGreaterThanOrEqual(0);
    expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('--watch refreshes until Ctrl-C, then exits 0', async () => {
    const child = spawn(process.execPath, [...SCRIPT, '--watch', '1', '--json'], { cwd: projectRoot, env: kit.env() });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually('two refreshes', async () => stdout.split('\n').filter((l) => l.startsWith('{')).length, (n) => n >= 2, 60_000);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const docs = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as HealthReport);
    expect(docs.every((d) => d.verdict.healthy)).toBe(true);
  });

  it('exits 2 on bad input, 3 when Kafka or ClickHouse is unreachable; an unreachable Connect worker is only a note', () => {
    expect(health(kit, ['--watch', 'soon']).code).toBe(2);
    const ch2 = health(kit, [], { CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    expect(ch2.code).toBe(3);
    expect(ch2.stderr).toMatch(/ClickHouse at http:\/\/127\.0\.0\.1:1 is unreachable/);
    const kafka2 = health(kit, [], { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' });
    expect(kafka2.code).toBe(3);
    expect(kafka2.stderr).toMatch(/Kafka broker at 127\.0\.0\.1:1 is unreachable/);

    const out = spawnSync(process.execPath, [...SCRIPT, '--json'], { cwd: projectRoot, env: kit.env({ CONNECT_URL: 'http://127.0.0.1:1' }), encoding: 'utf8', timeout: 60_000 });
    expect(out.status).toBe(0);
    const report = JSON.parse(out.stdout) as HealthReport;
    expect(report.connect.reachable).toBe(false);
    expect(report.connect.error).toMatch(/unreachable/);
    expect(report.errorsTable.count).toBe(1);
  });
});
