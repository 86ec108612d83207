/**
 * The producer benchmark: the kit's `produceAvro()` (through the real `produce:avro` CLI,
 * Avro encoding of the pipeline's schema and the registry included) against Kafka's own
 * Java `ProducerPerformance` (the kafka-tools jar the embedded stack resolved from
 * Maven Central), same record count, a record size equal to our average Avro
 * message (5-byte Confluent header included), same broker, same run, alternating
 * rounds; reports ours/Java per round and the median.
 *
 *   npm run bench:produce -- [--pipeline orders] [--count 1000000] [--rounds 3] [--partitions 3] [--json]
 *
 * Exits 1 when the median ratio is below the 0.5 target (issue 4), 0 when it is met.
 */
import { randomBytes } from 'node:crypto';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { command, int, printJson, run, table, UsageError } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { stackPaths } from '../src/paths.js';
import { RecordGenerator } from '../src/pipeline/generate.js';
import { writePipeline } from '../src/pipeline/isolated.js';
import { avroType } from '../src/pipeline/values.js';
import { pipelineOption, resolvePipelines, type ResolvedPipeline } from '../src/pipelines.js';
import type { ProduceSummary } from '../src/produce/producer.js';
import { javaBin } from '../src/stack/jvm.js';
import { median, sh, spawnCollect } from './lib/run.js';

const TARGET = 0.5;

const program = pipelineOption(command(
  'bench:produce',
  `Benchmark produce:avro (a pipeline's records) against Kafka's Java ProducerPerformance on the same broker, same record count and size; exits 1 when the median ours/Java ratio is below ${TARGET}.`,
), false)
  .option('--count <n>', 'records per leg per round', int('--count', 1), 1_000_000)
  .option('--rounds <n>', 'alternating rounds (the median ratio is reported)', int('--rounds', 1), 3)
  .option('--partitions <n>', 'partitions of each benchmark topic', int('--partitions', 1), 3)
  .option('--batch-size <n>', "produce:avro's --batch-size (default: the CLI's own default)", int('--batch-size', 1))
  .option('--lanes <n>', "produce:avro's --lanes (default: the CLI's own default)", int('--lanes', 1))
  .option('--only <leg>', 'run one leg only: java or ours (for tuning; no ratio)')
  .option('--json', 'print the results as JSON');

interface JavaResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  line: string;
}

/** ProducerPerformance's final line: `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, ...`. */
function parseProducerPerformance(stdout: string): JavaResult {
  const re = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency/;
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => re.test(l));
  const line = lines.at(-1);
  if (!line) throw new Error(`no summary line in ProducerPerformance's output:\n${stdout.slice(-2000)}`);
  const m = re.exec(line)!;
  return {
    records: Number(m[1]),
    recordsPerSec: Number(m[2]),
    mbPerSec: Number(m[3]),
    avgLatencyMs: Number(m[4]),
    maxLatencyMs: Number(m[5]),
    line,
  };
}


/** Average Confluent-framed Avro value size of the pipeline's generated records (magic byte + schema id + Avro body), and of their keys. */
function averageMessageSize(r: ResolvedPipeline, sample = 20_000): { value: number; key: number } {
  const type = avroType(r.schema.parsed.json);
  const gen = new RecordGenerator(r.schema.parsed.root, 1);
  const field = r.pipeline.key && 'field' in r.pipeline.key ? r.pipeline.key.field : undefined;
  let value = 0;
  let key = 0;
  for (let i = 0; i < sample; i++) {
    const e = gen.record();
    value += 5 + type.toBuffer(e).length;
    if (field) key += Buffer.byteLength(String(e[field]));
  }
  return { value: value / sample, key: key / sample };
}


function machine() {
  const java = sh(javaBin(), ['-version']);
  return {
    nproc: Number(sh('nproc', [])) || cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memTotalGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    memFreeGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    node: process.version,
    java: java.split('\n').slice(0, 2).join('; '),
    uptime: sh('uptime', []),
  };
}


function javaArgs(topic: string, count: number, recordSize: number, brokers: string[]): string[] {
  const paths = stackPaths();
  return [
    '-cp', `${paths.lib}/*`,
    `-Dlog4j2.configurationFile=${path.join(paths.run, 'log4j2.properties')}`,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic', topic,
    '--num-records', String(count),
    '--record-size', String(recordSize),
    '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers.join(',')}`, 'acks=all', 'enable.idempotence=true',
  ];
}

/** produce:avro's tuning flags, when given (otherwise the CLI's defaults apply). */
interface Tuning {
  batchSize?: number;
  lanes?: number;
}

function tuningArgs(t: Tuning): string[] {
  return [...(t.batchSize ? ['--batch-size', String(t.batchSize)] : []), ...(t.lanes ? ['--lanes', String(t.lanes)] : [])];
}

function oursArgs(pipeline: string, count: number, tuning: Tuning): string[] {
  return ['--import', 'tsx', 'scripts/produce-avro.ts', '--pipeline', pipeline, '--count', String(count), ...tuningArgs(tuning), '--json'];
}

const quote = (args: string[]) => args.map((a) => (/[^\w@%+=:,./-]/.test(a) ? `'${a}'` : a)).join(' ');

interface Round {
  round: number;
  order: string;
  java?: JavaResult & { topic: string; cpuSec?: number };
  ours?: { topic: string; eventsPerSec: number; mbPerSec: number; bytes: number; elapsedMs: number; cpuSec?: number } & Tuning;
  ratio?: number;
}

await run(program, async () => {
  const o = program.opts<{ pipeline?: string; count: number; rounds: number; partitions: number; only?: string; json?: boolean } & Tuning>();
  const tuning: Tuning = { batchSize: o.batchSize, lanes: o.lanes };
  if (o.only && o.only !== 'java' && o.only !== 'ours') throw new UsageError(`--only must be java or ours, got ${JSON.stringify(o.only)}`);
  const config = loadConfig();
  const [resolved] = await resolvePipelines(config, o.pipeline, false);
  const base = resolved!.pipeline;
  const size = averageMessageSize(resolved!);
  // Our rounds produce to topics of their own: a copy of the pipeline per round, in a directory of its own.
  const pipelinesDir = mkdtempSync(path.join(os.tmpdir(), 'kit-bench-produce-'));
  const ourPipeline = (topic: string) => {
    const key = base.key ? ('field' in base.key ? { field: base.key.field } : { schema: base.key.schemaFile }) : undefined;
    writePipeline(pipelinesDir, { name: topic, schema: 'file' in base.schema ? { file: base.schema.file } : base.schema, ...(key ? { key } : {}), topic: { name: topic, partitions: o.partitions, replication: 1 } }, config.clickhouse.database);
    return topic;
  };
  const recordSize = Math.round(size.value);
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const kafka = new Kafka({ clientId: 'kit-bench-produce', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000 });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (e) {
    throw new UsageError(`the Kafka broker at ${config.kafka.brokers.join(',')} is unreachable (${(e as Error).message}); is the stack up?`);
  }
  const tag = randomBytes(3).toString('hex');
  const created: string[] = [];
  const rounds: Round[] = [];
  const before = machine();
  let javaCommand = '';
  log(`record size ${recordSize} B (average framed Avro value; keys average ${size.key.toFixed(1)} B), ${o.count} records per leg, ${o.rounds} rounds, ${o.partitions} partitions`);
  try {
    for (let r = 1; r <= o.rounds; r++) {
      const round: Round = { round: r, order: '' };
      const tJava = `bench_produce_${tag}_java_${r}`;
      const tOurs = `bench_produce_${tag}_ours_${r}`;
      await admin.createTopics({
        topics: [tJava, tOurs].map((topic) => ({ topic, numPartitions: o.partitions, replicationFactor: 1 })),
        waitForLeaders: true,
      });
      created.push(tJava, tOurs);
      const legs: ('java' | 'ours')[] = r % 2 === 1 ? ['java', 'ours'] : ['ours', 'java'];
      round.order = legs.filter((l) => !o.only || l === o.only).join(' → ');
      for (const leg of legs) {
        if (o.only && o.only !== leg) continue;
        if (leg === 'java') {
          const args = javaArgs(tJava, o.count, recordSize, config.kafka.brokers);
          javaCommand = `${javaBin()} ${quote(args)}`;
          log(`round ${r}: Java ProducerPerformance → ${tJava}`);
          const { stdout, cpuSec } = await spawnCollect(javaBin(), args, 'ProducerPerformance');
          const res = parseProducerPerformance(stdout);
          round.java = { ...res, topic: tJava, cpuSec };
          log(`  ${res.recordsPerSec} records/s, ${res.mbPerSec} MB/s, ${cpuSec ?? '?'} CPU s`);
        } else {
          log(`round ${r}: produce:avro → ${tOurs}`);
          const { stdout, cpuSec } = await spawnCollect(process.execPath, oursArgs(ourPipeline(tOurs), o.count, tuning), 'produce:avro', { ...process.env, KIT_PIPELINES_DIR: pipelinesDir });
          const s = JSON.parse(stdout) as ProduceSummary;
          round.ours = { topic: tOurs, eventsPerSec: s.eventsPerSec, mbPerSec: s.mbPerSec, bytes: s.bytes, elapsedMs: s.elapsedMs, ...tuning, cpuSec };
          log(`  ${s.eventsPerSec} events/s, ${s.mbPerSec} MB/s (${(s.elapsedMs / 1000).toFixed(1)} s), ${cpuSec ?? '?'} CPU s`);
        }
      }
      if (round.java && round.ours) round.ratio = Number((round.ours.eventsPerSec / round.java.recordsPerSec).toFixed(3));
      rounds.push(round);
    }
  } finally {
    if (created.length) {
      await admin.deleteTopics({ topics: created, timeout: 30_000 }).catch((e: Error) => log(`could not delete topics ${created.join(', ')}: ${e.message}`));
      // produce:avro registered <topic>-value for each of our topics.
      for (const t of created.filter((t) => t.includes('_ours_'))) {
        const subject = encodeURIComponent(`${t}-value`);
        await fetch(`${config.registry.url}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
        await fetch(`${config.registry.url}/subjects/${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
      }
    }
    await admin.disconnect().catch(() => undefined);
    rmSync(pipelinesDir, { recursive: true, force: true });
  }

  const ratios = rounds.flatMap((r) => (r.ratio !== undefined ? [r.ratio] : []));
  const result = {
    command: `npm run bench:produce -- ${quote(['--pipeline', base.name, '--count', String(o.count), '--rounds', String(o.rounds), '--partitions', String(o.partitions), ...tuningArgs(tuning)])}`,
    pipeline: base.name,
    javaCommand,
    oursCommand: `KIT_PIPELINES_DIR=<a copy of pipeline ${base.name} per round> node ${quote(oursArgs('<topic>', o.count, tuning))}`,
    machine: { ...before, uptimeAfter: sh('uptime', []), loadavgAfter: loadavg().map((x) => Number(x.toFixed(2))) },
    recordSize,
    averageKeySize: Number(size.key.toFixed(1)),
    count: o.count,
    partitions: o.partitions,
    rounds,
    medianRatio: ratios.length ? Number(median(ratios).toFixed(3)) : undefined,
    medianJavaRecordsPerSec: rounds.some((r) => r.java) ? Math.round(median(rounds.flatMap((r) => (r.java ? [r.java.recordsPerSec] : [])))) : undefined,
    medianOursEventsPerSec: rounds.some((r) => r.ours) ? Math.round(median(rounds.flatMap((r) => (r.ours ? [r.ours.eventsPerSec] : [])))) : undefined,
    target: TARGET,
  };
  const verdict = result.medianRatio === undefined ? 0 : result.medianRatio >= TARGET ? 0 : 1;
  if (o.json) {
    printJson(result);
    return verdict;
  }
  console.log(
    table(
      ['round', 'order', 'Java records/s', 'Java MB/s', 'Java CPU s', 'ours events/s', 'ours MB/s', 'ours CPU s', 'ours/Java'],
      rounds.map((r) => [r.round, r.order, r.java?.recordsPerSec ?? '-', r.java?.mbPerSec ?? '-', r.java?.cpuSec ?? '-', r.ours?.eventsPerSec ?? '-', r.ours?.mbPerSec ?? '-', r.ours?.cpuSec ?? '-', r.ratio ?? '-']),
    ),
  );
  console.log(`pipeline ${base.name}, record size ${recordSize} B; machine: ${before.nproc} × ${before.cpu}, node ${before.node}, ${before.java}; load before: ${before.uptime}`);
  if (result.medianRatio !== undefined) {
    console.log(`median ours/Java: ${result.medianRatio} (target ≥ ${TARGET}: ${verdict === 0 ? 'met' : 'NOT met'})`);
  }
  return verdict;
});
