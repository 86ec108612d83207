import path from 'node:path';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { command, int, printJson, run, table } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { readSchemaFile, schemaFromText } from '../src/pipeline/load.js';
import { pipelineOption, resolvePipelines } from '../src/pipelines.js';
import { readRecordsFile } from '../src/produce/from-file.js';
import { DEFAULT_LANES } from '../src/produce/lanes.js';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_BYTES, produceAvro, type ProduceSummary } from '../src/produce/producer.js';
import { IncompatibleSchemaError } from '../src/registry/registry.js';

const program = pipelineOption(
  command(
    'produce:avro',
    "Produce a pipeline's Avro records to its topic through the schema registry (subject <topic>-value, keyed as the pipeline says, acks=all, idempotent): random valid records from the schema and a seed, or your own from a file.",
  ),
  false,
)
  .option('--count <n>', 'records to send', int('--count', 0))
  .option('--duration <seconds>', 'send for this long instead of a count', int('--duration', 1))
  .option('--from-file <records.jsonl>', 'send your own records: one Avro JSON record per line (instead of generated ones); a bad line stops the run before anything is sent')
  .option('--skip-bad', 'with --from-file: send the good lines and report the bad ones')
  .option('--edge <n>', 'every n-th generated record carries an edge value (NaN, min/max, 64 KiB strings, dates before 1900, ...) in one field, in turn', int('--edge', 1))
  .option('--rate <records/s>', 'records per second; 0 = as fast as possible', int('--rate', 0), 0)
  .option('--batch-size <n>', `records per batch, which also ends at ${MAX_BATCH_BYTES / 1024} KiB (one produce request per lane)`, int('--batch-size', 1), DEFAULT_BATCH_SIZE)
  .option('--lanes <n>', 'sender threads, each an idempotent producer owning some partitions (at most one per partition)', int('--lanes', 1), DEFAULT_LANES)
  .option('--seed <n>', 'generator seed: the same seed sends the same records', int('--seed', 0), 1)
  .option('--poison <n>', 'also send N messages that are not valid for the subject', int('--poison', 0), 0)
  .addOption(new Option('--compression <codec>', 'producer compression').choices(['none', 'gzip']).default('none'))
  .option('--schema <file>', "write with this Avro schema instead of the pipeline's (another version of it: a producer not yet upgraded, or ahead)")
  .option('--json', 'print the summary as JSON (for verify:parity --run and CI)');

await run(program, async () => {
  const o = program.opts<{
    pipeline?: string; count?: number; duration?: number; fromFile?: string; skipBad?: boolean; edge?: number; rate: number; batchSize: number; lanes: number;
    seed: number; poison: number; compression: 'none' | 'gzip'; schema?: string; json?: boolean;
  }>();
  if (o.fromFile && (o.count !== undefined || o.duration !== undefined || o.edge !== undefined)) throw new UsageError('--from-file sends the file\'s records: it takes neither --count, --duration nor --edge');
  if (!o.fromFile && o.count === undefined && o.duration === undefined) throw new UsageError('give --count <n>, --duration <seconds> or --from-file <records.jsonl>');
  if (o.skipBad && !o.fromFile) throw new UsageError('--skip-bad applies to --from-file only');
  const config = loadConfig();
  const [resolved] = await resolvePipelines(config, o.pipeline, false);
  const { pipeline } = resolved!;
  const schema = o.schema ? schemaFromText(readSchemaFile(path.resolve(o.schema)).text, o.schema) : resolved!.schema;

  const file = o.fromFile ? readRecordsFile(o.fromFile, schema.parsed, o.skipBad === true) : undefined;
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: flushing what is in flight, then the summary of what was really sent\n');
    abort.abort();
  });

  const target = file ? file.records.length : o.count;
  const tty = process.stderr.isTTY && !o.json;
  const bar = tty && target ? new cliProgress.SingleBar({ format: 'producing [{bar}] {value}/{total} records | {eps} rec/s', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(target ?? 0, 0, { eps: 0 });
  let lastLine = 0;
  let summary: ProduceSummary;
  try {
    summary = await produceAvro({
      brokers: config.kafka.brokers,
      registryUrl: config.registry.url,
      pipeline,
      schema,
      ...(resolved!.keySchema ? { keySchema: resolved!.keySchema } : {}),
      count: target,
      durationSec: o.duration,
      rate: o.rate,
      batchSize: o.batchSize,
      lanes: o.lanes,
      seed: o.seed,
      poison: o.poison,
      compression: o.compression,
      edgeEvery: o.edge ?? 0,
      ...(file ? { records: file.records[Symbol.iterator]() } : {}),
      signal: abort.signal,
      onProgress: (p) => {
        const eps = Math.round(p.sent / Math.max(p.elapsedMs / 1000, 0.001));
        if (bar) bar.update(p.sent, { eps });
        else if (!o.json && Date.now() - lastLine > 2000) {
          lastLine = Date.now();
          process.stderr.write(`[produce] ${p.sent}${p.target ? `/${p.target}` : ''} records, ${eps} rec/s\n`);
        }
      },
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof IncompatibleSchemaError) throw new UsageError(e.message);
    throw e;
  }
  bar?.stop();
  const full = file ? { ...summary, file: o.fromFile, skipped: file.bad } : summary;
  if (o.json) {
    printJson(full);
    return;
  }
  console.log(table(['partition', 'first offset', 'last offset', 'messages'], summary.partitions.map((p) => [p.partition, p.firstOffset, p.lastOffset, p.messages])));
  console.log(
    `${summary.interrupted ? 'INTERRUPTED after ' : ''}${summary.events} records` +
      (summary.poison ? ` + ${summary.poison} poison messages` : '') +
      ` of pipeline ${summary.pipeline} to ${summary.topic} (subject ${summary.subject}, schema id ${summary.schemaId}, seed ${summary.seed}, run ${summary.runId})` +
      ` in ${(summary.elapsedMs / 1000).toFixed(1)} s: ${summary.eventsPerSec} records/s, ${summary.mbPerSec} MB/s`,
  );
  if (file && file.bad.length > 0) console.log(`skipped ${file.bad.length} bad line(s) of ${o.fromFile}:\n${file.bad.map((b) => `  line ${b.line}: ${b.problem}`).join('\n')}`);
});
