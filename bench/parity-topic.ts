/**
 * bench:parity-topic: how long `verify:parity --content topic`'s witness takes on N records
 * of a pipeline's schema (read from Kafka, decoded through the registry, loaded into
 * ClickHouse, compared with the Kafka-engine leg), as a ratio to Kafka's own Java
 * ConsumerPerformance consuming the same topic on the same broker; alternating rounds, medians.
 *
 * Isolated on the running embedded stack: its own database (`it_bench_<tag>`, the
 * isolated kits' users), copy of the pipeline and topic, all removed at the end.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { command, int, printJson, run, table, UsageError } from '../src/cli.js';
import { isolatedKit } from '../src/isolated-kit.js';
import { contentOf } from '../src/pipeline/content.js';
import { qualified, type OffsetRange } from '../src/parity/queries.js';
import { topicWitness, witnessSession, type WitnessReport } from '../src/parity/witness/witness.js';
import { loadConfig } from '../src/config.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { stackPaths } from '../src/paths.js';
import { pipelineOption, resolvePipelines } from '../src/pipelines.js';
import { produceAvro } from '../src/produce/producer.js';
import { Registry } from '../src/registry/registry.js';
import { installIsolatedUsers } from '../src/stack/clickhouse/isolated-users.js';
import { extraUsersDir } from '../src/stack/services/clickhouse.js';
import { EmbeddedStack } from '../src/stack/stack.js';
import { javaBin } from '../src/stack/jvm.js';
import { queryRows } from '../src/clickhouse/query.js';
import { median, sh, spawnCollect } from './lib/run.js';

const TARGET = 2;

const program = pipelineOption(command(
  'bench:parity-topic',
  `Benchmark verify:parity --content topic on N records of a pipeline's schema against Kafka's Java ConsumerPerformance consuming the same topic; exits 1 when the median ratio is above ${TARGET}× or the witness finds a difference.`,
), false)
  .option('--count <n>', 'records in the topic', int('--count', 1), 1_000_000)
  .option('--rounds <n>', 'alternating rounds (the median ratio is reported)', int('--rounds', 1), 3)
  .option('--json', 'print the results as JSON');

interface Round {
  round: number;
  witnessS: number;
  witnessPhasesMs: { read: number; compare: number };
  javaS: number;
  javaReportedS?: number;
  javaCpuS?: number;
  ratio: number;
}

/** ConsumerPerformance's result line: start, end, MB, MB/s, messages, messages/s, rebalance ms, fetch ms, ... */
function reportedSeconds(stdout: string): number | undefined {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const cols = line.split(',').map((c) => c.trim());
  const fetchMs = Number(cols[7]);
  const rebalanceMs = Number(cols[6]);
  return Number.isFinite(fetchMs) && Number.isFinite(rebalanceMs) ? (fetchMs + rebalanceMs) / 1000 : undefined;
}

await run(program, async () => {
  const o = program.opts<{ pipeline?: string; count: number; rounds: number; json?: boolean }>();
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const stack = new EmbeddedStack({ log });
  const status = await stack.status();
  const down = status.services.filter((s) => !s.ready && s.name !== 'connect' && s.name !== 'zookeeper').map((s) => s.name);
  if (down.length > 0) throw new UsageError(`the embedded stack is not up (${down.join(', ')} not ready): run \`npm run stack:up\` first`);
  if (installIsolatedUsers(extraUsersDir(stack.paths))) {
    log("restarting ClickHouse so it knows the isolated kits' users");
    await stack.stop('clickhouse');
    await stack.up();
  }
  const tag = randomBytes(4).toString('hex');
  const [base] = await resolvePipelines(loadConfig(), o.pipeline, false);
  if (!('file' in base!.pipeline.schema)) throw new UsageError(`bench:parity-topic copies the pipeline with its schema file; ${base!.pipeline.name} reads its schema from the registry`);
  const kit = isolatedKit(`bench_${tag}`);
  const config = kit.config;
  const resolved = await kit.pipeline(base!.pipeline.schema.file, base!.pipeline.key && 'field' in base!.pipeline.key ? { key: { field: base!.pipeline.key.field } } : {});
  const { pipeline } = resolved;
  const topic = pipeline.topic.name;
  const admin = kit.admin;
  const kafka = kafkaClient(config.kafka.brokers, 'kit-bench-parity-topic');
  const kAdmin = await connectAdmin(kafka, config.kafka.brokers);
  const registry = new Registry(config.registry.url);
  const rounds: Round[] = [];
  let witness: WitnessReport | undefined;
  try {
    await kit.setUp(resolved);
    log(`producing ${o.count} records of pipeline ${base!.pipeline.name}'s schema to ${topic}`);
    const produced = await produceAvro({ brokers: config.kafka.brokers, registryUrl: config.registry.url, pipeline, schema: resolved.schema, rate: 0, batchSize: 500, poison: 0, compression: 'none', count: o.count, seed: 21 });
    const ranges: OffsetRange[] = produced.partitions.map((p) => ({ partition: p.partition, from: BigInt(p.firstOffset), to: BigInt(p.lastOffset) }));
    const table = qualified(pipeline.database, pipeline.tables.kafka);
    for (const started = Date.now(); ; ) {
      const [r] = await queryRows<{ n: string }>(admin, { query: `SELECT count() AS n FROM ${table}`, params: {} });
      if (Number(r?.n) >= o.count) break;
      if (Date.now() - started > 600_000) throw new Error(`the Kafka-engine leg landed ${r?.n} of ${o.count} events in 600 s`);
      await new Promise((res) => setTimeout(res, 1000));
    }
    const paths = stackPaths();
    const javaArgs = [
      '-cp', `${paths.lib}/*`, `-Dlog4j2.configurationFile=${path.join(paths.run, 'log4j2.properties')}`,
      'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', config.kafka.brokers.join(','), '--topic', topic,
      '--messages', String(o.count), '--timeout', '600000', '--hide-header',
    ];
    for (let r = 1; r <= o.rounds; r++) {
      const order = r % 2 === 1 ? ['java', 'witness'] : ['witness', 'java'];
      const round: Partial<Round> = { round: r };
      for (const leg of order) {
        const t0 = performance.now();
        if (leg === 'java') {
          const { stdout, cpuSec } = await spawnCollect(javaBin(), [...javaArgs, '--group', `bench-${tag}-java-${r}`], 'ConsumerPerformance');
          round.javaS = (performance.now() - t0) / 1000;
          round.javaReportedS = reportedSeconds(stdout);
          round.javaCpuS = cpuSec;
          log(`round ${r}: ConsumerPerformance ${round.javaS.toFixed(2)} s (its own fetch + rebalance time ${round.javaReportedS?.toFixed(2)} s)`);
        } else {
          const session = witnessSession(config);
          try {
            witness = await topicWitness(topic, ranges, [{ leg: 'kafka_engine', table, present: true }], {
              session, kafka, registry, schema: resolved.schema.parsed, content: contentOf(resolved.schema.columns), samplePercent: 100, diffLimit: 5, idleTimeoutMs: 60_000,
            });
          } finally {
            await session.close();
          }
          round.witnessS = (performance.now() - t0) / 1000;
          round.witnessPhasesMs = witness.phasesMs;
          const k = witness.legs[0]!;
          log(`round ${r}: topic witness ${round.witnessS.toFixed(2)} s (read ${witness.phasesMs.read} ms, compare ${witness.phasesMs.compare} ms), ${witness.sample.read} records, kafka_engine differs at ${k.differing}`);
          if (k.differing > 0 || witness.sample.read !== o.count) throw new Error(`the witness found ${k.differing} differences and read ${witness.sample.read} of ${o.count} records`);
        }
      }
      round.ratio = round.witnessS! / round.javaS!;
      rounds.push(round as Round);
    }
  } finally {
    await kAdmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await kAdmin.disconnect();
    await kit.drop();
  }
  const summary = {
    witnessS: median(rounds.map((r) => r.witnessS)),
    javaS: median(rounds.map((r) => r.javaS)),
    ratio: median(rounds.map((r) => r.ratio)),
    target: TARGET,
  };
  const result = {
    command: `npm run bench:parity-topic -- ${process.argv.slice(2).join(' ')}`.trim(),
    pipeline: base!.pipeline.name,
    machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? '?', node: process.version, java: sh(javaBin(), ['-version']).split('\n')[0], loadavg: os.loadavg().map((l) => Number(l.toFixed(2))) },
    count: o.count,
    rounds,
    summary,
  };
  if (o.json) printJson(result);
  else {
    console.log(
      table(
        ['round', 'topic witness s', 'ConsumerPerformance s (wall)', 'its fetch + rebalance s', 'witness / Java'],
        rounds.map((r) => [r.round, r.witnessS.toFixed(2), r.javaS.toFixed(2), r.javaReportedS?.toFixed(2) ?? '-', r.ratio.toFixed(2)]),
      ),
    );
    console.log(`median: witness ${summary.witnessS.toFixed(2)} s, ConsumerPerformance ${summary.javaS.toFixed(2)} s, ratio ${summary.ratio.toFixed(2)} (target <= ${TARGET})`);
  }
  return summary.ratio <= TARGET ? 0 : 1;
});
