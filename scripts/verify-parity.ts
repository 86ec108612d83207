import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { command, int, printJson, run } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { checkClickHouse } from '../src/clickhouse/query.js';
import { loadConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { contentOf } from '../src/pipeline/content.js';
import { renderHtml } from '../src/parity/html.js';
import { junitReport } from '../src/parity/junit.js';
import { connectorDeployed, legsOf } from '../src/parity/legs.js';
import { renderReport } from '../src/parity/report.js';
import { RunSummarySchema, type RunSummary } from '../src/parity/truth.js';
import { verifyParity, type ParityReport } from '../src/parity/verify.js';
import { checkLine, parseInterval, renderWatchSummary, watchParity } from '../src/parity/watch.js';
import { witnessSession } from '../src/parity/witness/witness.js';
import { pipelineOption, resolvePipelines } from '../src/pipelines.js';
import { Registry } from '../src/registry/registry.js';

const program = pipelineOption(
  command(
    'verify:parity',
    "Prove, per partition and offset, what each leg of a pipeline (the ClickHouse sink connector, the Kafka engine) landed against the topic and against each other, and with --content topic against the topic's own records.",
  ),
  true,
)
  .option('--run <file>', 'check exactly one produce:avro run: the file holds its --json summary ("-" for stdin); its pipeline is the one checked')
  .option('--wait', 'first wait until both consumer groups reach the end offsets and row counts stop changing')
  .option('--timeout <seconds>', 'how long --wait waits', int('--timeout', 1), 180)
  .addOption(new Option('--require <legs>', 'both: every leg present and exact; any: the present legs exact').choices(['both', 'any']).default('both'))
  .option('--connector-table <name>', "the connector leg's table (default: the pipeline's)")
  .option('--kafka-table <name>', "the Kafka-engine leg's table (default: the pipeline's)")
  .option('--errors-table <name>', "the Kafka engine's errors table (default: the pipeline's)")
  .option('--dlq-topic <name>', "the connector's dead-letter topic (default: the pipeline's)")
  .addOption(new Option('--content <witness>', 'legs: compare the legs with each other; topic: also read the offsets from Kafka, decode them through the registry and compare each leg with them (works with one leg absent)').choices(['legs', 'topic']).default('legs'))
  .option('--sample <percent>', 'with --content topic: compare a deterministic sample of the offsets (by a hash of partition and offset), e.g. 1 for 1%', samplePercent, 100)
  .option('--diff-limit <n>', 'content differences to show', int('--diff-limit', 0), 20)
  .option('--incremental', "check only the offsets above the watermarks kept in ClickHouse (<database>.parity_watermarks), after proving nothing below them was lost or duplicated since; then move the watermarks of what is exact")
  .option('--watch', 'check again every --interval until Ctrl-C (then a summary table), each check up to the offsets both consumer groups have committed; exit 1 when any check differed')
  .addOption(new Option('--interval <duration>', 'with --watch: time between checks, e.g. 60s, 5m, 500ms').argParser(parseInterval).default(60_000, '60s'))
  .option('--fail-fast', 'with --watch: stop at the first check that differs (exit 1)')
  .option('--junit <file>', 'also write the result as JUnit XML: one test case per leg and partition')
  .option('--html <file>', 'also write a self-contained HTML report: per leg and partition a bar of the offsets marking missing, duplicated, dead-lettered and error offsets, and the content tables')
  .option('--json', 'print the full report as JSON (with several pipelines: {"pipelines": [report, ...], "exact", "exitCode"})');

function samplePercent(value: string): number {
  const p = Number(value.replace(/%$/, ''));
  if (!(p > 0 && p <= 100)) throw new InvalidArgumentError(`--sample is a percentage in (0, 100], got ${JSON.stringify(value)}`);
  return p;
}

/** The --junit and --html files of a check. */
function writeFiles(o: { junit?: string; html?: string }, reports: ParityReport[]): void {
  const files: [string, string | undefined, () => string][] = [
    ['--junit', o.junit, () => junitReport(reports)],
    ['--html', o.html, () => renderHtml(reports)],
  ];
  for (const [flag, file, render] of files) {
    if (!file) continue;
    try {
      writeFileSync(file, render());
    } catch (e) {
      throw new UsageError(`${flag} ${file}: ${(e as Error).message}`);
    }
  }
}

function readRun(file: string): RunSummary {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UsageError(`--run ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--run ${file} is not JSON (${(e as Error).message}); give the output of \`npm run produce:avro -- --json\``);
  }
  const parsed = RunSummarySchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`--run ${file} is not a produce:avro summary: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

await run(program, async () => {
  const o = program.opts<{
    pipeline?: string; run?: string; wait?: boolean; timeout: number; require: 'both' | 'any'; connectorTable?: string;
    kafkaTable?: string; errorsTable?: string; dlqTopic?: string; diffLimit: number; json?: boolean;
    content: 'legs' | 'topic'; sample: number; junit?: string; html?: string; watch?: boolean; incremental?: boolean; interval: number; failFast?: boolean;
  }>();
  if (o.incremental && o.run) throw new UsageError('--incremental checks the topic above its watermarks; it does not take --run');
  if (o.watch && (o.wait || o.run)) throw new UsageError('--watch checks the live topic up to the committed offsets; it takes neither --wait nor --run');
  if (!o.watch && (o.failFast || program.getOptionValueSource('interval') === 'cli')) throw new UsageError('--interval and --fail-fast apply to --watch only; add --watch');
  if (o.sample !== 100 && o.content !== 'topic') throw new UsageError('--sample applies to --content topic only; add --content topic');
  const config = loadConfig();
  const runSummary = o.run ? readRun(o.run) : undefined;
  if (runSummary && o.pipeline && runSummary.pipeline && runSummary.pipeline !== o.pipeline) {
    throw new UsageError(`--run is a run of pipeline ${runSummary.pipeline}, not ${o.pipeline}`);
  }
  const resolved = await resolvePipelines(config, o.pipeline ?? runSummary?.pipeline, !runSummary);
  const several = resolved.length > 1;
  const overrides = [o.connectorTable, o.kafkaTable, o.errorsTable, o.dlqTopic].some((x) => x !== undefined);
  if (several && overrides) throw new UsageError('--connector-table, --kafka-table, --errors-table and --dlq-topic apply to one pipeline; choose it with --pipeline');
  if (runSummary && runSummary.topic !== resolved[0]!.pipeline.topic.name) {
    throw new UsageError(`--run is a run of topic ${runSummary.topic}, not of pipeline ${resolved[0]!.pipeline.name}'s topic ${resolved[0]!.pipeline.topic.name}`);
  }

  const ch = clickhouseClient(config, 'parity');
  const kafka = kafkaClient(config.kafka.brokers);
  await checkClickHouse(ch, config.clickhouse.url);
  const admin = await connectAdmin(kafka, config.kafka.brokers);
  const registry = o.content === 'topic' ? new Registry(config.registry.url) : undefined;
  await registry?.ping();
  // The topic's records go into a temporary table, which lives in one session.
  const session = registry ? witnessSession(config) : undefined;
  try {
    const check = async (): Promise<ParityReport[]> => {
      const reports: ParityReport[] = [];
      for (const { pipeline, schema } of resolved) {
        reports.push(
          await verifyParity(ch, kafka, admin, {
            pipeline: pipeline.name,
            topic: pipeline.topic.name,
            legs: legsOf(pipeline, o),
            content: contentOf(schema.columns),
            run: runSummary,
            wait: o.wait === true,
            timeoutMs: o.timeout * 1000,
            require: o.require,
            diffLimit: o.diffLimit,
            upTo: o.watch ? 'committed' : 'end',
            incremental: o.incremental ? { database: config.clickhouse.database } : undefined,
            witness: session && registry ? { session, kafka, registry, schema: schema.parsed, samplePercent: o.sample } : undefined,
            notDeployed: (await connectorDeployed(config, pipeline)) === false ? ['connector'] : [],
            onProgress: o.json || o.watch ? undefined : (line) => process.stderr.write(`[parity${several ? ` ${pipeline.name}` : ''}] ${line}\n`),
          }),
        );
      }
      return reports;
    };
    if (o.watch) {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      if (!o.json) process.stderr.write(`[parity] checking every ${o.interval / 1000} s up to the committed offsets; Ctrl-C for the summary\n`);
      const { checks, exitCode } = await watchParity(check, {
        intervalMs: o.interval,
        failFast: o.failFast === true,
        signal: stop.signal,
        onCheck: (c, reports) => {
          if (reports) writeFiles(o, reports);
          process.stdout.write(`${o.json ? JSON.stringify(c) : checkLine(c)}\n`);
        },
      });
      if (o.json) process.stdout.write(`${JSON.stringify({ summary: { checks: checks.length, differing: checks.filter((c) => !c.exact).length, exitCode } })}\n`);
      else console.log(renderWatchSummary(checks));
      return exitCode;
    }
    const reports = await check();
    writeFiles(o, reports);
    const exact = reports.every((r) => r.exact);
    if (o.json) printJson(several ? { pipelines: reports, exact, exitCode: exact ? 0 : 1 } : reports[0]);
    else console.log(reports.map((r) => `${several ? `== pipeline ${r.pipeline} ==\n` : ''}${renderReport(r)}`).join('\n\n'));
    return exact ? 0 : 1;
  } finally {
    await admin.disconnect();
    await ch.close();
    await session?.close();
  }
});
