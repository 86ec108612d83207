/**
 * bench:pipeline: how fast and how fresh each leg lands rows in ClickHouse, against
 * what ClickHouse itself can take, on the running embedded stack.
 *
 * - Ceiling: the same events written straight into a table of the same shape over
 *   ClickHouse's HTTP interface in RowBinary, in batches like the connector's (one
 *   request at a time per connector task, as its tasks send them); and ClickHouse reading them from a
 *   local file (the engine's own limit).
 * - Throughput per leg, each alone on a topic of its own: N events produced as fast as
 *   possible; from the first produced event (its Kafka timestamp) to the last row
 *   landed (its `_inserted_at`).
 * - Freshness per leg at fixed rates: `_inserted_at - _kafka_timestamp` over the run.
 * - CPU seconds per million events of every service and of this process (the producer).
 *
 * Isolated: its own database (`it_bench_<tag>`, with the isolated kits' users), topics
 * and connector, all removed at the end.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { InvalidArgumentError } from 'commander';
import type { Admin } from 'kafkajs';
import { command, int, printJson, run, table, UsageError } from '../src/cli.js';
import { applySql, loadSqlFiles, templateValues } from '../src/clickhouse/ddl.js';
import { queryRows } from '../src/clickhouse/query.js';
import { withTableSettings } from '../src/clickhouse/table-settings.js';
import { loadConfig, resolveEnv, type KitConfig } from '../src/config.js';
import { deployPipelineSink, type DeployedSink } from '../src/connect/pipeline-sink.js';
import { isolatedKit, type IsolatedKit } from '../src/isolated-kit.js';
import { connectAdmin, createTopic, kafkaClient } from '../src/kafka.js';
import { quoteIdent, renderType, sqlString } from '../src/pipeline/clickhouse-type.js';
import { columnList } from '../src/pipeline/content.js';
import { pipelineDdl } from '../src/pipeline/ddl.js';
import { RecordGenerator } from '../src/pipeline/generate.js';
import { RowBinaryWriter, writeValue } from '../src/pipeline/rowbinary.js';
import { toColumnValue } from '../src/pipeline/values.js';
import { qualified, rangeFilter, type OffsetRange } from '../src/parity/queries.js';
import { pipelineOption, resolvePipelines, type ResolvedPipeline } from '../src/pipelines.js';
import { produceAvro, type ProduceSummary } from '../src/produce/producer.js';
import { installIsolatedUsers } from '../src/stack/clickhouse/isolated-users.js';
import { extraUsersDir } from '../src/stack/services/clickhouse.js';
import { EmbeddedStack, SERVICES } from '../src/stack/stack.js';
import { median } from './lib/run.js';

const PARTITIONS = 3;

function intList(flag: string) {
  return (value: string): number[] => {
    const list = value.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
    if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError(`${flag} takes positive integers, comma-separated, got ${JSON.stringify(value)}`);
    return list;
  };
}

const program = pipelineOption(command(
  'bench:pipeline',
  "Benchmark both legs' ingest of a pipeline's records on the running embedded stack: rows/s of each leg against ClickHouse's own ceiling (the same rows in RowBinary over HTTP in the connector's batches, and from a local file), and each leg's freshness at fixed rates, with every service's CPU seconds per million records.",
), false)
  .option('--count <n>', 'events per throughput round', int('--count', 1000), 2_000_000)
  .option('--rounds <n>', 'throughput rounds (ceiling, connector leg, Kafka-engine leg, alternating); medians reported', int('--rounds', 1), 3)
  .option('--batch <n>', "rows per HTTP insert of the ceiling (default: the connector's batch, its consumer's max.poll.records)", int('--batch', 1))
  .option('--rates <n,...>', 'events per second of the freshness runs', intList('--rates'), [5000, 20000])
  .option('--duration <seconds>', 'length of each freshness run', int('--duration', 1), 60)
  .option('--skip-freshness', 'throughput rounds only')
  .option('--timeout <seconds>', 'how long a leg may take to land a run', int('--timeout', 1), 900)
  .option('--connector-config <key=value>', "a connector setting over its definition's for this run, e.g. tasks.max=3 (repeatable)", keyValue('--connector-config'), {})
  .option('--kafka-engine-setting <key=value>', "a setting of the Kafka table over the pipeline's for this run, as an SQL literal, e.g. kafka_num_consumers=3 (repeatable)", keyValue('--kafka-engine-setting'), {})
  .option('--json', 'print the results as JSON');

/** Collects a repeated `key=value` flag into one object. */
function keyValue(flag: string) {
  return (value: string, previous: Record<string, string>): Record<string, string> => {
    const eq = value.indexOf('=');
    if (eq < 1) throw new InvalidArgumentError(`${flag} takes key=value, got ${JSON.stringify(value)}`);
    return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
  };
}

interface Opts {
  pipeline?: string;
  connectorConfig: Record<string, string>;
  kafkaEngineSetting: Record<string, string>;
  count: number;
  rounds: number;
  batch?: number;
  rates: number[];
  duration: number;
  skipFreshness?: boolean;
  timeout: number;
  json?: boolean;
}

type Leg = 'connector' | 'kafka_engine';
const LEGS: Leg[] = ['connector', 'kafka_engine'];

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/** CPU seconds (user + system) of a process so far (Linux, USER_HZ 100). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds spent by every stack service and by this process (the producer lanes are its threads). */
class CpuMeter {
  constructor(private readonly stack: EmbeddedStack) {}
  sample(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of SERVICES) {
      const pid = this.stack.processes.alive(s.name)?.pid;
      out[s.name] = pid === undefined ? NaN : cpuSeconds(pid);
    }
    const u = process.cpuUsage();
    out.bench = (u.user + u.system) / 1e6;
    return out;
  }
  static perMillion(before: Record<string, number>, after: Record<string, number>, events: number): Record<string, number> {
    return Object.fromEntries(Object.keys(after).map((k) => [k, round(((after[k]! - before[k]!) / events) * 1e6, 2)]));
  }
}

function rangesOf(run: ProduceSummary): OffsetRange[] {
  return run.partitions.map((p) => ({ partition: p.partition, from: BigInt(p.firstOffset), to: BigInt(p.lastOffset) }));
}

/** Waits until the table holds `n` distinct offsets of the run; then its first Kafka timestamp and last write. */
/** Rows in a table, from its parts' metadata: free to ask while a leg is writing. */
async function rowCount(ch: ClickHouseClient, table: string): Promise<number> {
  const [r] = await queryRows<{ n: string }>(ch, { query: `SELECT count() AS n FROM ${table}`, params: {} });
  return Number(r?.n ?? 0);
}

/**
 * Waits until every event of the run has its row. Each table is fed by its leg's topic
 * alone, so the row count (free) gates the exact check by offsets (a scan): polling
 * the scan itself took as much CPU as the leg it was waiting for.
 */
async function landed(ch: ClickHouseClient, table: string, run: ProduceSummary, rowsBefore: number, timeoutMs: number) {
  const params: Record<string, unknown> = { topic: run.topic };
  const where = rangeFilter(rangesOf(run), params);
  const started = Date.now();
  for (;;) {
    const rows = (await rowCount(ch, table)) - rowsBefore;
    let n = rows;
    if (rows >= run.events) {
      const [r] = await queryRows<{ n: string }>(ch, { query: `SELECT uniqExact(_partition, _offset) AS n FROM ${table} WHERE ${where}`, params });
      n = Number(r?.n);
      if (n >= run.events) break;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${table}: ${n}/${run.events} rows of run ${run.runId} after ${timeoutMs / 1000} s`);
    // Duplicates (at-least-once) can fill the count first: scan again only every few seconds then.
    await sleep(rows >= run.events ? 3000 : 200);
  }
  const [t] = await queryRows<{ first_ms: string; last_ms: string; p50: string; p99: string; max: string }>(ch, {
    query: `SELECT toUnixTimestamp64Milli(min(_kafka_timestamp)) AS first_ms, toUnixTimestamp64Milli(max(_inserted_at)) AS last_ms,
                   quantileExact(0.5)(lag) AS p50, quantileExact(0.99)(lag) AS p99, max(lag) AS max
            FROM (SELECT _kafka_timestamp, _inserted_at, toUnixTimestamp64Milli(_inserted_at) - toUnixTimestamp64Milli(_kafka_timestamp) AS lag FROM ${table} WHERE ${where})`,
    params,
  });
  const seconds = (Number(t!.last_ms) - Number(t!.first_ms)) / 1000;
  return { seconds, rowsPerSec: run.events / seconds, freshnessMs: { p50: Number(t!.p50), p99: Number(t!.p99), max: Number(t!.max) } };
}

interface Kit {
  db: string;
  isolated: IsolatedKit;
  config: KitConfig;
  /** Each leg's pipeline: a copy of the chosen one with a topic of its own. */
  pipelines: Record<Leg, ResolvedPipeline>;
  tables: Record<Leg, string>;
  admin: ClickHouseClient;
  kAdmin: Admin;
  sink?: DeployedSink;
}

/** The RowBinary columns of a ceiling row: the event columns, then the lineage. */
function ceilingColumns(r: ResolvedPipeline): string {
  return `${columnList(r.schema.columns)}, _topic, _partition, _offset, _kafka_timestamp`;
}

/** RowBinary of `count` generated records in `batch`-row batches, ready before the clock starts. */
function encodeBatches(r: ResolvedPipeline, count: number, batch: number, seed: number, topic: string): Buffer[] {
  const gen = new RecordGenerator(r.schema.parsed.root, seed);
  const columns = r.schema.columns;
  const w = new RowBinaryWriter(batch * 256);
  const out: Buffer[] = [];
  const now = Date.now();
  const unfit: string[] = [];
  for (let i = 0; i < count; i++) {
    const record = gen.record();
    for (const c of columns) writeValue(w, c.type, toColumnValue(c.avro, c.type, record[c.name], c.name, unfit));
    w.string(topic);
    w.int32(i % PARTITIONS);
    w.int64Number(Math.floor(i / PARTITIONS));
    w.dateTime64ms(now);
    if ((i + 1) % batch === 0 || i === count - 1) out.push(w.take());
  }
  return out;
}

async function postInsert(config: KitConfig, query: string, body: Buffer): Promise<void> {
  const url = new URL(config.clickhouse.url);
  url.searchParams.set('query', query);
  // As the connector sends its inserts.
  url.searchParams.set('wait_end_of_query', '1');
  url.searchParams.set('async_insert', '0');
  const { user, password } = config.clickhouse.admin;
  const res = await fetch(url, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, body: new Uint8Array(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`ceiling insert: HTTP ${res.status}: ${text}`);
}

/** The file() structure of the ceiling's RowBinary rows. */
function structure(r: ResolvedPipeline): string {
  return `${r.schema.columns.map((c) => `${quoteIdent(c.name)} ${renderType(c.type)}`).join(', ')}, _topic LowCardinality(String), _partition Int32, _offset Int64, _kafka_timestamp DateTime64(3, 'UTC')`;
}

/** The connector inserts each poll's records of a partition as one batch: at most its consumer's max.poll.records. */
function connectorBatch(sink: DeployedSink | undefined): number {
  return Number(sink?.rendered.config['consumer.override.max.poll.records'] ?? KAFKA_MAX_POLL_RECORDS);
}
const KAFKA_MAX_POLL_RECORDS = 500;

/** Tasks the connector runs: tasks.max, at most one per partition. */
function connectorTasks(sink: DeployedSink | undefined): number {
  return Math.min(Number(sink?.rendered.config['tasks.max'] ?? 1), PARTITIONS);
}

async function ceilings(kit: Kit, stack: EmbeddedStack, o: Opts, roundNo: number, cpu: CpuMeter) {
  const config = kit.config;
  const r = kit.pipelines.connector;
  const batches = encodeBatches(r, o.count, o.batch ?? connectorBatch(kit.sink), 1000 + roundNo, `ceiling_${roundNo}`);
  const cols = ceilingColumns(r);
  let before = cpu.sample();
  let started = performance.now();
  // As many requests in flight as the connector has tasks, each sending its batches one at a time.
  const senders = connectorTasks(kit.sink);
  let next = 0;
  const send = async () => {
    while (next < batches.length) await postInsert(config, `INSERT INTO ${kit.db}.ceiling_http (${cols}) FORMAT RowBinary`, batches[next++]!);
  };
  await Promise.all(Array.from({ length: senders }, send));
  const httpSeconds = (performance.now() - started) / 1000;
  const httpCpu = CpuMeter.perMillion(before, cpu.sample(), o.count);

  // The file ClickHouse reads: the engine resolves file() paths from its data directory.
  const userFiles = path.join(stack.paths.data, 'clickhouse', 'user_files');
  mkdirSync(userFiles, { recursive: true });
  const name = `bench_${kit.db}_${roundNo}.rowbinary`;
  writeFileSync(path.join(userFiles, name), Buffer.concat(batches));
  before = cpu.sample();
  started = performance.now();
  await kit.admin.command({ query: `INSERT INTO ${kit.db}.ceiling_file (${cols}) SELECT * FROM file('user_files/${name}', 'RowBinary', ${sqlString(structure(r))})` });
  const fileSeconds = (performance.now() - started) / 1000;
  const fileCpu = CpuMeter.perMillion(before, cpu.sample(), o.count);
  rmSync(path.join(userFiles, name), { force: true });
  return {
    http: { rowsPerSec: round(o.count / httpSeconds), seconds: round(httpSeconds, 2), cpuPerMillion: httpCpu },
    file: { rowsPerSec: round(o.count / fileSeconds), seconds: round(fileSeconds, 2), cpuPerMillion: fileCpu },
  };
}

async function legRun(kit: Kit, leg: Leg, o: Opts, produce: { count: number; rate: number; seed: number }, cpu: CpuMeter) {
  const config = kit.config;
  const r = kit.pipelines[leg];
  const rowsBefore = await rowCount(kit.admin, kit.tables[leg]);
  const before = cpu.sample();
  const summary = await produceAvro({
    brokers: config.kafka.brokers,
    registryUrl: config.registry.url,
    pipeline: r.pipeline,
    schema: r.schema,
    count: produce.count,
    rate: produce.rate,
    batchSize: 4000,
    seed: produce.seed,
    poison: 0,
    compression: 'none',
  });
  const result = await landed(kit.admin, kit.tables[leg], summary, rowsBefore, o.timeout * 1000);
  return { ...result, rowsPerSec: round(result.rowsPerSec), seconds: round(result.seconds, 2), producedPerSec: summary.eventsPerSec, cpuPerMillion: CpuMeter.perMillion(before, cpu.sample(), summary.events) };
}

async function setUp(stack: EmbeddedStack, tag: string, o: Opts, log: (s: string) => void): Promise<Kit> {
  const status = await stack.status();
  const down = status.services.filter((s) => !s.ready).map((s) => s.name);
  if (down.length > 0) throw new UsageError(`the embedded stack is not up (${down.join(', ')} not ready): run \`npm run stack:up\` first`);
  if (!status.clickhouseConnector.installed) throw new UsageError(`the ClickHouse sink connector is not installed: ${status.clickhouseConnector.detail}`);
  if (installIsolatedUsers(extraUsersDir(stack.paths))) {
    log('restarting ClickHouse so it knows the isolated kits\' users');
    await stack.stop('clickhouse');
    await stack.up();
  }
  const [base] = await resolvePipelines(loadConfig(), o.pipeline, false);
  if (!('file' in base!.pipeline.schema)) throw new UsageError(`bench:pipeline copies the pipeline with its schema file; ${base!.pipeline.name} reads its schema from the registry`);
  const isolated = isolatedKit(`bench_${tag}`);
  const config = isolated.config;
  const key = base!.pipeline.key && 'field' in base!.pipeline.key ? { key: { field: base!.pipeline.key.field } } : {};
  const pipelines = {
    connector: await isolated.pipeline(base!.pipeline.schema.file, { ...key, topic: { partitions: PARTITIONS, replication: 1 } }, 'conn'),
    kafka_engine: await isolated.pipeline(base!.pipeline.schema.file, { ...key, topic: { partitions: PARTITIONS, replication: 1 } }, 'ke'),
  };
  const admin = createClient({ url: config.clickhouse.url, username: config.clickhouse.admin.user, password: config.clickhouse.admin.password, request_timeout: 3_600_000, log: { level: 127 as never } });
  const kAdmin = await connectAdmin(kafkaClient(config.kafka.brokers), config.kafka.brokers);
  for (const l of LEGS) await createTopic(kAdmin, pipelines[l].pipeline.topic);
  // Each leg's pipeline alone on its topic: the connector's pipeline gets its table only (no Kafka engine reading its
  // topic); the Kafka engine's gets its whole DDL, with the settings given.
  const endpoints = { brokerList: config.clickhouseKafka.brokerList, registryUrl: config.clickhouseKafka.registryUrl };
  const connDdl = pipelineDdl(pipelines.connector.pipeline, pipelines.connector.schema.columns, endpoints).filter((f) => /: (database|connector table)$/.test(f.file));
  const keDdl = pipelineDdl(pipelines.kafka_engine.pipeline, pipelines.kafka_engine.schema.columns, endpoints);
  const queue = keDdl.find((f) => f.statements.some((st) => /\bENGINE\s*=\s*Kafka\b/i.test(st)))!;
  queue.statements = withTableSettings(queue.statements, 'Kafka', o.kafkaEngineSetting);
  await applySql(admin, [...loadSqlFiles(templateValues(config)), ...connDdl, ...keDdl]);
  const db = config.clickhouse.database;
  const connTable = pipelines.connector.pipeline.tables.connector;
  for (const t of ['ceiling_http', 'ceiling_file']) await admin.command({ query: `CREATE TABLE ${db}.${t} AS ${db}.${connTable}` });
  const kit: Kit = { db, isolated, config, pipelines, tables: { connector: qualified(db, connTable), kafka_engine: qualified(db, pipelines.kafka_engine.pipeline.tables.kafka) }, admin, kAdmin };
  kit.sink = await deployPipelineSink(config, resolveEnv(), [pipelines.connector.pipeline], { overrides: o.connectorConfig });
  log(`kit ${db}, pipeline ${base!.pipeline.name}'s schema: topics ${pipelines.connector.pipeline.topic.name} (connector) and ${pipelines.kafka_engine.pipeline.topic.name} (Kafka engine), connector ${kit.sink.name}`);
  return kit;
}

async function tearDown(kit: Kit | undefined, log: (s: string) => void) {
  if (!kit) return;
  await kit.sink?.remove().catch((e: unknown) => log(`could not delete the connector: ${String(e)}`));
  const topics = LEGS.flatMap((l) => [kit.pipelines[l].pipeline.topic.name, kit.pipelines[l].pipeline.connector.dlqTopic]);
  const existing = await kit.kAdmin.listTopics();
  await kit.kAdmin.deleteTopics({ topics: topics.filter((t) => existing.includes(t)) }).catch(() => undefined);
  await kit.kAdmin.disconnect();
  await kit.admin.close();
  await kit.isolated.drop().catch((e: unknown) => log(`could not drop ${kit.db}: ${String(e)}`));
}

interface Round {
  ceiling: Awaited<ReturnType<typeof ceilings>>;
  legs: Record<string, Awaited<ReturnType<typeof legRun>>>;
}

function machine() {
  return { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? '?', memoryGiB: round(os.totalmem() / 1024 ** 3, 1), node: process.version, loadavg: os.loadavg().map((l) => round(l, 2)) };
}

await run(program, async () => {
  const o = program.opts<Opts>();
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const stack = new EmbeddedStack({ log });
  const cpu = new CpuMeter(stack);
  const tag = randomBytes(4).toString('hex');
  const info = machine();
  let kit: Kit | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= tearDown(kit, log));
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    kit = await setUp(stack, tag, o, log);
    const rounds: Round[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const ceiling = await ceilings(kit, stack, o, r, cpu);
      log(`round ${r + 1}/${o.rounds}: ceiling HTTP ${ceiling.http.rowsPerSec} rows/s, file ${ceiling.file.rowsPerSec} rows/s`);
      const legs: Round['legs'] = {};
      for (const leg of LEGS) {
        legs[leg] = await legRun(kit, leg, o, { count: o.count, rate: 0, seed: 100 + r }, cpu);
        log(`round ${r + 1}/${o.rounds}: ${leg} ${legs[leg]!.rowsPerSec} rows/s (${legs[leg]!.seconds} s from the first event produced to the last row written)`);
      }
      rounds.push({ ceiling, legs });
    }
    const freshness = [];
    if (!o.skipFreshness) {
      for (const rate of o.rates) {
        for (const leg of LEGS) {
          const res = await legRun(kit, leg, o, { count: rate * o.duration, rate, seed: 7 }, cpu);
          log(`freshness at ${rate} events/s for ${o.duration} s, ${leg}: p50 ${res.freshnessMs.p50} ms, p99 ${res.freshnessMs.p99} ms, max ${res.freshnessMs.max} ms`);
          freshness.push({ rate, leg, producedPerSec: res.producedPerSec, freshnessMs: res.freshnessMs, cpuPerMillion: res.cpuPerMillion });
        }
      }
    }
    const http = median(rounds.map((x) => x.ceiling.http.rowsPerSec));
    const summary = {
      ceilingHttpRowsPerSec: round(http),
      ceilingFileRowsPerSec: round(median(rounds.map((x) => x.ceiling.file.rowsPerSec))),
      legs: Object.fromEntries(
        LEGS.map((leg) => {
          const perRound = rounds.map((x) => x.legs[leg]!.rowsPerSec / x.ceiling.http.rowsPerSec);
          return [leg, { rowsPerSec: round(median(rounds.map((x) => x.legs[leg]!.rowsPerSec))), ratioToHttpCeiling: round(median(perRound), 3), ratiosPerRound: perRound.map((v) => round(v, 3)) }];
        }),
      ),
    };
    const batch = o.batch ?? connectorBatch(kit.sink);
    const result = { pipeline: kit.pipelines.connector.pipeline.name.replace(/_conn$/, ''), schema: kit.pipelines.connector.schema.source, columns: kit.pipelines.connector.schema.columns.length, batch, senders: connectorTasks(kit.sink), command: ['npm run bench:pipeline', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '), machine: info, options: o, rounds, freshness, summary };
    if (o.json) printJson(result);
    else console.log(render(result));
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
});

function render(r: { machine: ReturnType<typeof machine>; options: Opts; batch: number; senders: number; rounds: Round[]; freshness: { rate: number; leg: string; freshnessMs: { p50: number; p99: number; max: number }; cpuPerMillion: Record<string, number> }[]; summary: { ceilingHttpRowsPerSec: number; ceilingFileRowsPerSec: number; legs: Record<string, { rowsPerSec: number; ratioToHttpCeiling: number }> } }): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}; load before ${m.loadavg.join(' ')}`);
  out.push(`${r.options.rounds} round(s) of ${r.options.count.toLocaleString('en-US')} events, ceiling HTTP inserts of ${r.batch} rows, ${r.senders} at a time; rows/s per round`);
  const over = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(', ');
  if (Object.keys(r.options.connectorConfig).length > 0) out.push(`connector settings over its definition: ${over(r.options.connectorConfig)}`);
  if (Object.keys(r.options.kafkaEngineSetting).length > 0) out.push(`Kafka table settings over sql/: ${over(r.options.kafkaEngineSetting)}`);
  out.push(
    table(
      ['round', 'ceiling HTTP RowBinary', 'ceiling file', 'connector leg', 'Kafka-engine leg'],
      r.rounds.map((x, i) => [i + 1, x.ceiling.http.rowsPerSec, x.ceiling.file.rowsPerSec, `${x.legs.connector!.rowsPerSec} (${round(x.legs.connector!.rowsPerSec / x.ceiling.http.rowsPerSec, 2)}×)`, `${x.legs.kafka_engine!.rowsPerSec} (${round(x.legs.kafka_engine!.rowsPerSec / x.ceiling.http.rowsPerSec, 2)}×)`]),
    ),
  );
  const s = r.summary;
  out.push(`median: ceiling HTTP ${s.ceilingHttpRowsPerSec} rows/s, file ${s.ceilingFileRowsPerSec} rows/s; connector ${s.legs.connector!.rowsPerSec} (${s.legs.connector!.ratioToHttpCeiling}× HTTP), Kafka engine ${s.legs.kafka_engine!.rowsPerSec} (${s.legs.kafka_engine!.ratioToHttpCeiling}× HTTP)`);
  const last = r.rounds.at(-1);
  if (last) {
    const names = Object.keys(last.legs.connector!.cpuPerMillion);
    out.push('CPU seconds per million events (last round):');
    out.push(
      table(
        ['run', ...names],
        [
          ['ceiling HTTP', ...names.map((n) => last.ceiling.http.cpuPerMillion[n] ?? '-')],
          ['ceiling file', ...names.map((n) => last.ceiling.file.cpuPerMillion[n] ?? '-')],
          ...(['connector', 'kafka_engine'] as const).map((leg) => [`${leg} leg`, ...names.map((n) => last.legs[leg]!.cpuPerMillion[n] ?? '-')]),
        ],
      ),
    );
  }
  if (r.freshness.length > 0) {
    out.push(`freshness (row written - record's Kafka timestamp), ${r.options.duration} s at each rate:`);
    out.push(table(['events/s', 'leg', 'p50 ms', 'p99 ms', 'max ms'], r.freshness.map((f) => [f.rate, f.leg, f.freshnessMs.p50, f.freshnessMs.p99, f.freshnessMs.max])));
  }
  return out.join('\n');
}
