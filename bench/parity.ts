/**
 * bench:parity: how long verify:parity takes on N rows per leg of a pipeline's schema,
 * against one full-scan hash aggregate of both tables over the same columns (the least any
 * exact check must read), and how much memory the Node process needs while it runs (it
 * should stay flat: every row stays inside ClickHouse).
 *
 * Isolated: its own ClickHouse server (the embedded stack's, started the same way, with a
 * fresh temp data dir and its own port), its own copy of the pipeline and 3-partition topic
 * on the running broker (no messages: the run summary names the ranges), all removed at
 * the end. The rows are ClickHouse's own random values of the pipeline's column types
 * (generateRandom), copied to the second leg.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { InvalidArgumentError } from 'commander';
import type { Admin } from 'kafkajs';
import { command, int, printJson, run, table, UsageError } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from '../src/clickhouse/ddl.js';
import { scopeOf, userNames, usersXml } from '../src/clickhouse/users.js';
import { loadConfig, resolveEnv, type KitConfig } from '../src/config.js';
import { projectRoot, stackPaths } from '../src/paths.js';
import { quoteIdent, renderType, sqlString } from '../src/pipeline/clickhouse-type.js';
import { contentOf, type Content } from '../src/pipeline/content.js';
import { pipelineDdl } from '../src/pipeline/ddl.js';
import type { Pipeline } from '../src/pipeline/definition.js';
import { writePipeline } from '../src/pipeline/isolated.js';
import { legsOf } from '../src/parity/legs.js';
import { pipelineOption, resolvePipelines } from '../src/pipelines.js';
import { javaBin } from '../src/stack/jvm.js';
import { queryRows } from '../src/clickhouse/query.js';
import { serverLaunchSpec, writeServerFiles } from '../src/stack/clickhouse/server.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { RunSummarySchema, type RunSummary } from '../src/parity/truth.js';
import { verifyParity, type ParityReport } from '../src/parity/verify.js';
import { median, spawnCollect } from './lib/run.js';

const PARTITIONS = 3;
const FIRST_PORT = 18124;

function rowsList(value: string): number[] {
  const list = value.split(',').map((s) => s.trim().replace(/_/g, ''));
  const rows = list.map(Number);
  if (list.length === 0 || rows.some((n) => !Number.isInteger(n) || n < PARTITIONS)) {
    throw new InvalidArgumentError(`--rows takes integers >= ${PARTITIONS}, comma-separated, got ${JSON.stringify(value)}`);
  }
  return rows;
}

const program = pipelineOption(command(
  'bench:parity',
  "Benchmark verify:parity on N rows per leg of a pipeline's schema in a private ClickHouse server (the embedded stack's kind): verify time as a ratio to one full-scan hash aggregate of both tables over the same columns, and the Node process peak memory. Exit 1 when a verification is not exact.",
), false)
  .option('--rows <n,...>', 'rows per leg, one benchmark per value (e.g. 1000000,10000000)', rowsList, [1_000_000, 10_000_000])
  .option('--repeat <n>', 'measurements of each (verify and reference alternate); the median is reported', int('--repeat', 1), 3)
  .option('--warmup <n>', 'unmeasured runs of each first', int('--warmup', 0), 1)
  .option('--port <n>', `port of the private ClickHouse server (default: the first free from ${FIRST_PORT})`, int('--port', 1))
  .option('--sample-ms <n>', 'memory sampling interval', int('--sample-ms', 1), 50)
  .option('--incremental <append>', 'also measure verify:parity --incremental: the topic gets real records (ProducerPerformance), then each repeat appends this many records and rows and checks only them; one --rows value', int('--incremental', 1))
  .option('--keep', 'keep the temp data dir (its path is printed)')
  .option('--json', 'print the results as JSON');

interface Opts {
  pipeline?: string;
  rows: number[];
  repeat: number;
  warmup: number;
  port?: number;
  sampleMs: number;
  keep?: boolean;
  incremental?: number;
  json?: boolean;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  for (let p = FIRST_PORT; p < FIRST_PORT + 100; p++) if (await portFree(p)) return p;
  throw new UsageError(`no free port in ${FIRST_PORT}..${FIRST_PORT + 99}; pass --port`);
}

/** The private ClickHouse server: a child process, stopped by its PID. */
class PrivateClickHouse {
  readonly log: { at: number; line: string }[] = [];
  private exited?: string;
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
  ) {
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      const at = Date.now();
      for (const line of lines) {
        this.log.push({ at, line });
        if (this.log.length > 5000) this.log.splice(0, 1000);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.log.push({ at: Date.now(), line: `stderr: ${chunk.trimEnd()}` }));
    child.once('exit', (code, signal) => (this.exited = `exited with ${signal ?? code}`));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(port: number, dir: string, env: NodeJS.ProcessEnv, users: string): Promise<PrivateClickHouse> {
    const configDir = path.join(dir, 'config');
    writeServerFiles(configDir, users);
    const spec = serverLaunchSpec({ name: 'bench-clickhouse', configDir, dataDir: path.join(dir, 'data'), port, env });
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const host = new PrivateClickHouse(child, port, dir);
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (host.exited) throw new Error(`the private ClickHouse server ${host.exited}:\n${host.log.map((l) => l.line).join('\n')}`);
      try {
        const res = await fetch(`${host.url}/ping`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return host;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await host.stop();
        throw new Error(`the private ClickHouse server did not answer /ping on ${host.url} within 90 s`);
      }
      await sleep(200);
    }
  }

  /** CPU seconds (user + system) the server process has used so far (Linux; USER_HZ 100). */
  cpuSeconds(): number | undefined {
    try {
      const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return undefined;
    }
  }

  /** Peak resident memory of the server process (Linux), in bytes. */
  peakRss(): number | undefined {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const pid = this.child.pid;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const timedOut = await Promise.race([gone.then(() => false), sleep(30_000, undefined, { ref: false }).then(() => true)]);
    if (timedOut && !this.exited) {
      signal('SIGKILL');
      await gone;
    }
  }
}

/** What the benchmark runs on: the kit's config (the private server), the pipeline copy, its columns. */
interface Bench {
  config: KitConfig;
  pipeline: Pipeline;
  content: Content;
}

/** The kit's SQL and the pipeline's tables minus the Kafka-engine consumer (and its views): the benchmark fills the tables itself. */
function benchSql(b: Bench) {
  const endpoints = { brokerList: b.config.clickhouseKafka.brokerList, registryUrl: b.config.clickhouseKafka.registryUrl };
  return [...loadSqlFiles(templateValues(b.config)), ...pipelineDdl(b.pipeline, b.content.columns, endpoints)].map((f) => ({
    file: f.file,
    statements: f.statements.filter((s) => !/ENGINE\s*=\s*(Kafka|Null)\b/i.test(s) && !/MATERIALIZED\s+VIEW/i.test(s)),
  }));
}

const perPartition = (rows: number, p: number) => Math.floor((rows - p + PARTITIONS - 1) / PARTITIONS);

/** Offsets of one partition to fill: [from, from + count). */
interface FillRange {
  partition: number;
  from: number;
  count: number;
}

/**
 * Fills the connector leg with synthetic events inside ClickHouse, each partition's
 * offsets from `from` on (the values derive from partition and offset), copies them to
 * the Kafka-engine leg, and, when asked, merges each table to one part so no background
 * merge runs while measuring.
 */
async function fill(ch: ClickHouseClient, b: Bench, ranges: FillRange[], merge: boolean, progress: (s: string) => void) {
  const db = b.pipeline.database;
  const tables = b.pipeline.tables;
  const structure = sqlString(b.content.columns.map((c) => `${quoteIdent(c.name)} ${renderType(c.type)}`).join(', '));
  const chunk = 2_000_000;
  const total = ranges.reduce((a, r) => a + r.count, 0);
  let done = 0;
  for (const r of ranges) {
    for (let start = 0; start < r.count; start += chunk) {
      const count = Math.min(chunk, r.count - start);
      await ch.command({
        query: `
          INSERT INTO ${db}.${tables.connector} (${b.content.list}, _topic, _partition, _offset)
          SELECT ${b.content.list}, {topic:String}, toInt32({p:UInt32}), toInt64({start:UInt64} + rowNumberInAllBlocks())
          FROM generateRandom(${structure}, {seed:UInt64}, 16, 4)
          LIMIT {count:UInt64}`,
        query_params: { topic: b.pipeline.topic.name, p: r.partition, start: r.from + start, count, seed: r.partition * 1_000_003 + r.from + start },
      });
      done += count;
      progress(`generated ${done}/${total} rows`);
    }
  }
  const where = ranges.map((r) => `(_partition = ${r.partition} AND _offset >= ${r.from} AND _offset < ${r.from + r.count})`).join(' OR ');
  for (const r of ranges) {
    await ch.command({ query: `INSERT INTO ${db}.${tables.kafka} SELECT * FROM ${db}.${tables.connector} WHERE _partition = ${r.partition} AND (${where})` });
  }
  progress('copied to the second leg');
  if (merge) for (const t of [tables.connector, tables.kafka]) await ch.command({ query: `OPTIMIZE TABLE ${db}.${t} FINAL` });
}

/** Writes `n` one-byte records to the topic with Kafka's own ProducerPerformance: real offsets for --incremental. */
async function produceRecords(b: Bench, n: number): Promise<void> {
  const config = b.config;
  const paths = stackPaths();
  await spawnCollect(javaBin(), [
    '-cp', `${paths.lib}/*`, `-Dlog4j2.configurationFile=${path.join(paths.run, 'log4j2.properties')}`,
    'org.apache.kafka.tools.ProducerPerformance', '--topic', b.pipeline.topic.name, '--num-records', String(n), '--record-size', '1', '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${config.kafka.brokers.join(',')}`, 'acks=1', 'linger.ms=20', 'batch.size=1048576',
  ], 'ProducerPerformance');
}

/** Each partition's end offset. */
async function topicEnds(kAdmin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await kAdmin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
}

interface Sample {
  ms: number;
  /** CPU seconds the ClickHouse server spent meanwhile: less sensitive than wall time to other load. */
  hostCpuS?: number;
  /** process.memoryUsage() before the measured call. */
  before: { rss: number; heapUsed: number };
  /** Peaks sampled during the call. */
  peak: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
}

async function measure<T>(host: PrivateClickHouse, sampleMs: number, fn: () => Promise<T>): Promise<{ value: T; sample: Sample }> {
  const first = process.memoryUsage();
  const peak = { rss: first.rss, heapUsed: first.heapUsed, heapTotal: first.heapTotal, external: first.external, arrayBuffers: first.arrayBuffers };
  const take = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]);
  };
  const timer = setInterval(take, sampleMs);
  const cpuBefore = host.cpuSeconds();
  const started = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - started;
    const cpuAfter = host.cpuSeconds();
    const hostCpuS = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    return { value, sample: { ms, hostCpuS, before: { rss: first.rss, heapUsed: first.heapUsed }, peak } };
  } finally {
    clearInterval(timer);
    take();
  }
}

type RefRow = { partition: number; rows: string; h: string };

/** One full-scan hash aggregate of each leg: every event column of every row hashed as stored, per partition. */
async function reference(ch: ClickHouseClient, b: Bench): Promise<RefRow[][]> {
  const out: RefRow[][] = [];
  for (const t of [b.pipeline.tables.connector, b.pipeline.tables.kafka]) {
    const rs = await ch.query({
      query: `SELECT _partition AS partition, count() AS rows,
                     sum(cityHash64(${b.content.list}, _offset)) AS h
              FROM ${b.pipeline.database}.${t} GROUP BY _partition ORDER BY _partition`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    out.push(await rs.json<RefRow>());
  }
  return out;
}

function checkVerify(report: ParityReport, rows: number): string[] {
  const problems = report.exact ? [] : [`not exact: ${report.reasons.join('; ')}`];
  for (const leg of report.legs) {
    if (!leg.present) problems.push(`${leg.leg} absent`);
    if (leg.totals.expected !== rows || leg.totals.landed !== rows) problems.push(`${leg.leg}: expected ${leg.totals.expected}, landed ${leg.totals.landed}, want ${rows}`);
  }
  if (!report.content.compared || report.content.differing !== 0) problems.push(`content not compared equal (${report.content.reason ?? report.content.differing})`);
  return problems;
}

function checkReference(res: RefRow[][], rows: number): string[] {
  const [a, b] = res;
  const total = (a ?? []).reduce((s, r) => s + Number(r.rows), 0);
  const problems: string[] = [];
  if (total !== rows) problems.push(`reference counted ${total} rows, want ${rows}`);
  if (JSON.stringify(a) !== JSON.stringify(b)) problems.push('reference aggregates of the two legs differ');
  return problems;
}

/** Which verify statement took how long, server-side, from the server's system.query_log. */
async function profile(admin: ClickHouseClient, user: string, since: Date) {
  const kinds: [string, RegExp][] = [
    ['stats (count, distinct, min, max, checksum)', /AS distinct_offsets/],
    ['gaps (window over offsets)', /lagInFrame/],
    ['duplicated runs', /row_number\(\)/],
    ['below log start', /_offset < \{ls/],
    ['accounted (errors table)', /AS offsets FROM/],
    ['content diff', /INNER JOIN/],
    ['table exists', /system\.tables/],
  ];
  await admin.command({ query: 'SYSTEM FLUSH LOGS' });
  const rows = await queryRows<{ query: string; ms: string }>(admin, {
    query: `SELECT query, query_duration_ms AS ms FROM system.query_log
            WHERE type = 'QueryFinish' AND user = {user:String} AND event_time_microseconds >= {since:DateTime64(6)}`,
    params: { user, since: since.toISOString().replace('T', ' ').replace('Z', '') },
  });
  const by = new Map<string, { n: number; ms: number }>();
  for (const r of rows) {
    const kind = kinds.find(([, re]) => re.test(r.query))?.[0] ?? `other: ${r.query.replace(/\s+/g, ' ').slice(0, 60)}`;
    const e = by.get(kind) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += Number(r.ms);
    by.set(kind, e);
  }
  return [...by].map(([query, e]) => ({ query, statements: e.n, ms: Math.round(e.ms) })).sort((x, y) => y.ms - x.ms);
}

function machine() {
  let chdbVersion = '?';
  try {
    chdbVersion = (JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', 'chdb', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // reported as '?'
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? '?',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    chdb: chdbVersion,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

interface SizeResult {
  rows: number;
  fillSeconds: number;
  verify: { medianS: number; runsS: number[]; hostCpuMedianS?: number };
  reference: { medianS: number; runsS: number[]; hostCpuMedianS?: number };
  /** verify / reference, medians of wall time. */
  ratio: number;
  /** verify / reference, medians of the server's CPU time. */
  cpuRatio?: number;
  node: {
    /** Peaks over all measured verify runs, MiB. */
    verifyPeakRssMiB: number;
    verifyPeakHeapUsedMiB: number;
    verifyRssGrowthMiB: number;
    maxRssSoFarMiB: number;
  };
  hostPeakRssMiB?: number;
  verifyQueries: Awaited<ReturnType<typeof profile>>;
  /** --incremental: the first incremental check (sets the watermarks), then checks of `append` new offsets each. */
  incremental?: { append: number; firstS: number; runsS: number[]; medianS: number; rowsReadBelow: number[]; ratioToFullCheck: number };
  loadavg: number[];
}

/**
 * The first --incremental check over the filled table (it sets the watermarks), then per
 * repeat: `o.incremental` new records in the topic and rows in both legs, and one
 * incremental check of them.
 */
async function benchIncremental(
  host: PrivateClickHouse,
  admin: ClickHouseClient,
  parityUser: ClickHouseClient,
  kafka: ReturnType<typeof kafkaClient>,
  kAdmin: Admin,
  b: Bench,
  ends: Map<number, number>,
  o: Opts,
  progress: (s: string) => void,
): Promise<{ append: number; firstS: number; runsS: number[]; medianS: number; rowsReadBelow: number[] }> {
  const legs = legsOf(b.pipeline);
  const check = () =>
    verifyParity(parityUser, kafka, kAdmin, { topic: b.pipeline.topic.name, legs, content: b.content, wait: false, timeoutMs: 0, require: 'both', diffLimit: 20, incremental: { database: b.config.clickhouse.database } });
  const expectExact = (r: ParityReport, what: string, expected: number) => {
    const bad = r.exact ? [] : [r.reasons.join('; ')];
    for (const l of r.legs) if (l.totals.expected !== expected) bad.push(`${l.leg} checked ${l.totals.expected} offsets, want ${expected}`);
    if (bad.length) throw Object.assign(new Error(`${what}: ${bad.join('; ')}`), { exitCode: 1 });
  };
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const first = await measure(host, o.sampleMs, check);
  expectExact(first.value, 'the first incremental check', total);
  progress(`first incremental check (sets the watermarks): ${(first.sample.ms / 1000).toFixed(2)} s`);
  const runsS: number[] = [];
  // Rows the proof below the watermarks read afresh (parts written or merged since the last check).
  const rowsReadBelow: number[] = [];
  let current = ends;
  for (let i = 0; i < o.repeat; i++) {
    await produceRecords(b, o.incremental!);
    const next = await topicEnds(kAdmin, b.pipeline.topic.name);
    await fill(admin, b, [...next].map(([partition, end]) => ({ partition, from: current.get(partition) ?? 0, count: end - (current.get(partition) ?? 0) })), false, progress);
    current = next;
    const r = await measure(host, o.sampleMs, check);
    expectExact(r.value, `incremental check ${i + 1}`, o.incremental!);
    runsS.push(r.sample.ms / 1000);
    rowsReadBelow.push(r.value.incremental!.belowWatermark.reduce((s, b) => s + Number(b.rowsRead), 0));
    progress(`incremental check ${i + 1}/${o.repeat} of ${o.incremental} new offsets: ${(r.sample.ms / 1000).toFixed(2)} s (${rowsReadBelow.at(-1)} rows read below the watermarks)`);
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { append: o.incremental!, firstS: round(first.sample.ms / 1000), runsS: runsS.map(round), medianS: round(median(runsS)), rowsReadBelow };
}

async function benchSize(
  host: PrivateClickHouse,
  admin: ClickHouseClient,
  reader: ClickHouseClient,
  parityUser: ClickHouseClient,
  kafka: ReturnType<typeof kafkaClient>,
  kAdmin: Admin,
  b: Bench,
  rows: number,
  o: Opts,
  progress: (s: string) => void,
): Promise<SizeResult> {
  const { config, pipeline } = b;
  const db = config.clickhouse.database;
  await admin.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  await applySql(admin, benchSql(b));
  const fillStarted = performance.now();
  // --incremental needs real offsets in the topic (watermarks are checked against its ends);
  // otherwise a run summary names the ranges of an empty topic.
  let ends = new Map<number, number>();
  if (o.incremental) {
    progress(`producing ${rows} one-byte records with ProducerPerformance`);
    await produceRecords(b, rows);
    ends = await topicEnds(kAdmin, pipeline.topic.name);
  } else for (let p = 0; p < PARTITIONS; p++) ends.set(p, perPartition(rows, p));
  await fill(admin, b, [...ends].map(([partition, count]) => ({ partition, from: 0, count })), true, progress);
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  progress(`${rows} rows per leg ready in ${fillSeconds.toFixed(1)} s`);

  const summary: RunSummary = RunSummarySchema.parse({
    runId: `bench-parity-${rows}`,
    topic: pipeline.topic.name,
    events: rows,
    poison: 0,
    poisonOffsets: [],
    partitions: [...ends].map(([p, n]) => ({ partition: p, firstOffset: '0', lastOffset: String(n - 1), messages: n })),
  });
  const legs = legsOf(pipeline);
  const verifyOnce = () =>
    verifyParity(reader, kafka, kAdmin, { topic: pipeline.topic.name, legs, content: b.content, run: o.incremental ? undefined : summary, wait: false, timeoutMs: 0, require: 'both', diffLimit: 20 });

  const verifyRuns: Sample[] = [];
  const refRuns: Sample[] = [];
  let lastProfile: Awaited<ReturnType<typeof profile>> = [];
  for (let i = 0; i < o.warmup + o.repeat; i++) {
    const measured = i >= o.warmup;
    const since = new Date();
    const v = await measure(host, o.sampleMs, verifyOnce);
    const bad = checkVerify(v.value, rows);
    if (bad.length) throw Object.assign(new Error(`verify at ${rows} rows is not exact: ${bad.join('; ')}`), { exitCode: 1 });
    if (measured) {
      verifyRuns.push(v.sample);
      lastProfile = await profile(admin, config.clickhouse.reader.user, since);
    }
    const r = await measure(host, o.sampleMs, () => reference(reader, b));
    const badRef = checkReference(r.value, rows);
    if (badRef.length) throw Object.assign(new Error(`reference at ${rows} rows: ${badRef.join('; ')}`), { exitCode: 1 });
    if (measured) refRuns.push(r.sample);
    progress(
      `${measured ? `run ${i - o.warmup + 1}/${o.repeat}` : 'warm-up'}: verify ${(v.sample.ms / 1000).toFixed(2)} s (server CPU ${v.sample.hostCpuS?.toFixed(2) ?? '?'} s), ` +
        `reference ${(r.sample.ms / 1000).toFixed(2)} s (server CPU ${r.sample.hostCpuS?.toFixed(2) ?? '?'} s)`,
    );
  }
  const incremental = o.incremental ? await benchIncremental(host, admin, parityUser, kafka, kAdmin, b, ends, o, progress) : undefined;
  const vS = verifyRuns.map((s) => s.ms / 1000);
  const rS = refRuns.map((s) => s.ms / 1000);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const cpu = (runs: Sample[]) => (runs.every((r) => r.hostCpuS !== undefined) ? median(runs.map((r) => r.hostCpuS!)) : undefined);
  const [vCpu, rCpu] = [cpu(verifyRuns), cpu(refRuns)];
  return {
    rows,
    fillSeconds: round(fillSeconds),
    verify: { medianS: round(median(vS)), runsS: vS.map(round), hostCpuMedianS: vCpu === undefined ? undefined : round(vCpu) },
    reference: { medianS: round(median(rS)), runsS: rS.map(round), hostCpuMedianS: rCpu === undefined ? undefined : round(rCpu) },
    ratio: Math.round((median(vS) / median(rS)) * 100) / 100,
    cpuRatio: vCpu === undefined || !rCpu ? undefined : Math.round((vCpu / rCpu) * 100) / 100,
    node: {
      verifyPeakRssMiB: mb(Math.max(...verifyRuns.map((s) => s.peak.rss))),
      verifyPeakHeapUsedMiB: mb(Math.max(...verifyRuns.map((s) => s.peak.heapUsed))),
      verifyRssGrowthMiB: mb(Math.max(...verifyRuns.map((s) => s.peak.rss - s.before.rss))),
      maxRssSoFarMiB: mb(process.resourceUsage().maxRSS * 1024),
    },
    hostPeakRssMiB: host.peakRss() === undefined ? undefined : mb(host.peakRss()!),
    verifyQueries: lastProfile,
    incremental: incremental && { ...incremental, ratioToFullCheck: Math.round((incremental.medianS / median(vS)) * 1000) / 1000 },
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function render(results: SizeResult[], info: ReturnType<typeof machine>, o: Opts): string {
  const out: string[] = [];
  out.push(`machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.memoryGiB} GiB, node ${info.node}, chdb ${info.chdb}; load before ${info.loadavg.join(' ')}`);
  out.push(`median of ${o.repeat} alternating runs (after ${o.warmup} warm-up); reference = one full-scan hash aggregate of each leg`);
  out.push(
    table(
      ['rows/leg', 'verify s', 'reference s', 'ratio', 'server CPU s (v/r)', 'CPU ratio', 'Node peak RSS MiB', 'Node peak heap MiB', 'RSS growth MiB', 'maxRSS MiB', 'server peak RSS MiB'],
      results.map((r) => [
        r.rows.toLocaleString('en-US'),
        r.verify.medianS.toFixed(2),
        r.reference.medianS.toFixed(2),
        `${r.ratio.toFixed(2)}×`,
        r.verify.hostCpuMedianS === undefined ? '-' : `${r.verify.hostCpuMedianS.toFixed(2)} / ${r.reference.hostCpuMedianS!.toFixed(2)}`,
        r.cpuRatio === undefined ? '-' : `${r.cpuRatio.toFixed(2)}×`,
        r.node.verifyPeakRssMiB,
        r.node.verifyPeakHeapUsedMiB,
        r.node.verifyRssGrowthMiB,
        r.node.maxRssSoFarMiB,
        r.hostPeakRssMiB ?? '-',
      ]),
    ),
  );
  for (const r of results) {
    if (!r.incremental) continue;
    const i = r.incremental;
    out.push(
      `--incremental at ${r.rows.toLocaleString('en-US')} rows: first check (sets the watermarks) ${i.firstS.toFixed(2)} s; ` +
        `checks of ${i.append.toLocaleString('en-US')} new offsets ${i.runsS.map((x) => x.toFixed(2)).join(', ')} s, median ${i.medianS.toFixed(2)} s = ${i.ratioToFullCheck}× the full check`,
    );
  }
  const last = results.at(-1);
  if (last) {
    out.push(`verify's statements at ${last.rows.toLocaleString('en-US')} rows (last run, server-side time from system.query_log):`);
    out.push(table(['query', 'statements', 'ms'], last.verifyQueries.map((q) => [q.query, q.statements, q.ms])));
  }
  return out.join('\n');
}

await run(program, async () => {
  const o = program.opts<Opts>();
  if (o.incremental && o.rows.length !== 1) throw new UsageError('--incremental measures one size: give one --rows value');
  const progress = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const info = machine();
  const port = o.port ?? (await freePort());
  if (!(await portFree(port))) throw new UsageError(`port 127.0.0.1:${port} is taken; pass another --port`);
  const tag = randomBytes(4).toString('hex');
  const topic = `bench_parity_${tag}`;
  // This server is private and fresh: the kit's users, granted on the pipeline copy.
  const config = loadConfig({ ...resolveEnv(), CLICKHOUSE_URL: `http://127.0.0.1:${port}`, CLICKHOUSE_DATABASE: 'kit' });
  const [base] = await resolvePipelines(config, o.pipeline, false);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-bench-parity-'));
  const schemaFile = 'file' in base!.pipeline.schema ? base!.pipeline.schema.file : undefined;
  if (!schemaFile) throw new UsageError(`bench:parity copies the pipeline with its schema file; ${base!.pipeline.name} reads its schema from the registry`);
  const pipeline = writePipeline(path.join(dir, 'pipelines'), { name: topic, schema: { file: schemaFile }, topic: { name: topic, partitions: PARTITIONS, replication: 1 } }, 'kit');
  const bench: Bench = { config, pipeline, content: contentOf(base!.schema.columns) };
  let host: PrivateClickHouse | undefined;
  let kAdmin: Admin | undefined;
  let topicCreated = false;
  let admin: ClickHouseClient | undefined;
  let reader: ClickHouseClient | undefined;
  let parityUser: ClickHouseClient | undefined;
  let cleaning: Promise<void> | undefined;
  // Once, from the finally below or from a signal: everything this run made goes.
  const cleanup = () =>
    (cleaning ??= (async () => {
      await reader?.close();
      await parityUser?.close();
      await admin?.close();
      if (kAdmin) {
        if (topicCreated) await kAdmin.deleteTopics({ topics: [topic] }).catch((e: unknown) => progress(`could not delete topic ${topic}: ${String(e)}`));
        await kAdmin.disconnect();
      }
      await host?.stop();
      if (o.keep) progress(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress(`starting a private ClickHouse server on port ${port}, data in ${dir}`);
    host = await PrivateClickHouse.start(port, dir, { ...process.env, ...resolveEnv() }, usersXml(userNames(config), scopeOf(config, [pipeline]), 'bench:parity'));
    const kafka = kafkaClient(config.kafka.brokers);
    kAdmin = await connectAdmin(kafka, config.kafka.brokers);
    await kAdmin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    topicCreated = true;
    progress(`topic ${topic} (${PARTITIONS} partitions) created`);
    // Setup statements (generate, copy, merge) may outlast the kit client's 120 s.
    admin = createClient({ url: config.clickhouse.url, username: config.clickhouse.admin.user, password: config.clickhouse.admin.password, request_timeout: 3_600_000, log: { level: 127 as never } });
    reader = clickhouseClient(config, 'reader');
    parityUser = clickhouseClient(config, 'parity');
    const results: SizeResult[] = [];
    for (const rows of o.rows) results.push(await benchSize(host, admin, reader, parityUser, kafka, kAdmin, bench, rows, o, progress));
    if (o.json) printJson({ command: ['npm run bench:parity', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '), pipeline: base!.pipeline.name, columns: bench.content.columns.length, machine: info, repeat: o.repeat, warmup: o.warmup, results });
    else console.log(render(results, info, o));
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
});
