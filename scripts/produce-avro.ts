import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { command, int, printJson, run, table, UsageError } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { DEFAULT_LANES } from '../src/produce/lanes.js';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_BYTES, produceAvro, type ProduceSummary } from '../src/produce/producer.js';
import { IncompatibleSchemaError } from '../src/produce/registry.js';

const program = command('produce:avro', 'Produce deterministic Avro user events through the schema registry (subject <topic>-value, string keys, acks=all, idempotent).')
  .option('--topic <name>', 'topic (default: KIT_TOPIC from the config)')
  .option('--count <n>', 'events to send', int('--count', 0))
  .option('--duration <seconds>', 'send for this long instead of a count', int('--duration', 1))
  .option('--rate <events/s>', 'events per second; 0 = as fast as possible', int('--rate', 0), 0)
  .option('--batch-size <n>', `events per batch, which also ends at ${MAX_BATCH_BYTES / 1024} KiB (one produce request per lane)`, int('--batch-size', 1), DEFAULT_BATCH_SIZE)
  .option('--lanes <n>', 'sender threads, each an idempotent producer owning some partitions (at most one per partition)', int('--lanes', 1), DEFAULT_LANES)
  .option('--partitions <n>', 'partitions when the topic is created', int('--partitions', 1), 3)
  .option('--seed <n>', 'generator seed: the same seed sends the same events', int('--seed', 0), 1)
  .option('--poison <n>', 'also send N messages that are not valid for the subject', int('--poison', 0), 0)
  .addOption(new Option('--compression <codec>', 'producer compression').choices(['none', 'gzip']).default('none'))
  .option('--schema <file>', 'Avro schema file (default: sql/user_event.avsc)')
  .option('--json', 'print the summary as JSON (for verify:parity --run and CI)');

await run(program, async () => {
  const o = program.opts<{
    topic?: string; count?: number; duration?: number; rate: number; batchSize: number; lanes: number; partitions: number;
    seed: number; poison: number; compression: 'none' | 'gzip'; schema?: string; json?: boolean;
  }>();
  if (o.count === undefined && o.duration === undefined) throw new UsageError('give --count <n> or --duration <seconds>');
  const config = loadConfig();
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: flushing what is in flight, then the summary of what was really sent\n');
    abort.abort();
  });

  const tty = process.stderr.isTTY && !o.json;
  const bar = tty && o.count ? new cliProgress.SingleBar({ format: 'producing [{bar}] {value}/{total} events | {eps} ev/s', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(o.count ?? 0, 0, { eps: 0 });
  let lastLine = 0;
  let summary: ProduceSummary;
  try {
    summary = await produceAvro({
      brokers: config.kafka.brokers,
      registryUrl: config.registry.url,
      topic: o.topic ?? config.topic,
      partitions: o.partitions,
      count: o.count,
      durationSec: o.duration,
      rate: o.rate,
      batchSize: o.batchSize,
      lanes: o.lanes,
      seed: o.seed,
      poison: o.poison,
      compression: o.compression,
      schemaFile: o.schema,
      signal: abort.signal,
      onProgress: (p) => {
        const eps = Math.round(p.sent / Math.max(p.elapsedMs / 1000, 0.001));
        if (bar) bar.update(p.sent, { eps });
        else if (!o.json && Date.now() - lastLine > 2000) {
          lastLine = Date.now();
          process.stderr.write(`[produce] ${p.sent}${p.target ? `/${p.target}` : ''} events, ${eps} ev/s\n`);
        }
      },
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof IncompatibleSchemaError) throw new UsageError(e.message);
    throw e;
  }
  bar?.stop();
  if (o.json) {
    printJson(summary);
    return;
  }
  console.log(table(['partition', 'first offset', 'last offset', 'messages'], summary.partitions.map((p) => [p.partition, p.firstOffset, p.lastOffset, p.messages])));
  console.log(
    `${summary.interrupted ? 'INTERRUPTED after ' : ''}${summary.events} events` +
      (summary.poison ? ` + ${summary.poison} poison messages` : '') +
      ` to ${summary.topic} (subject ${summary.subject}, schema id ${summary.schemaId}, seed ${summary.seed}, run ${summary.runId})` +
      ` in ${(summary.elapsedMs / 1000).toFixed(1)} s: ${summary.eventsPerSec} events/s, ${summary.mbPerSec} MB/s`,
  );
});
