import path from 'node:path';
import { Option } from 'commander';
import { command, int, printJson, run, table } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { checkClickHouse } from '../src/clickhouse/query.js';
import { loadConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { evolve, type EvolveSummary } from '../src/evolve/evolve.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { readSchemaFile, schemaFromText } from '../src/pipeline/load.js';
import { connectorDeployed } from '../src/parity/legs.js';
import { renderReport } from '../src/parity/report.js';
import { pipelineOption, resolvePipelines } from '../src/pipelines.js';

const program = pipelineOption(
  command(
    'evolve',
    "Roll a new version of a pipeline's Avro schema through both legs: check it with the registry (refused when incompatible, naming the field), add its new fields as columns of both target tables (a deployed sink connector is stopped around the ALTER of its table, so its new tasks see them), recreate the Kafka-engine table, its fan-out and views with the same consumer group, point the pipeline at the new schema, produce records of both versions interleaved, and prove parity over the whole topic. Idempotent.",
  ),
  false,
)
  .option('--to <schema.avsc>', 'the new version of the schema (the demo: pipelines/schemas/user_events.v2.avsc)')
  .option('--count <n>', 'records of the new schema to produce', int('--count', 0), 1000)
  .option('--old-count <n>', 'records of the old schema produced among them (a producer not yet upgraded)', int('--old-count', 0), 100)
  .option('--seed <n>', 'generator seed of the produced records', int('--seed', 0), 2)
  .addOption(new Option('--require <legs>', 'parity: both legs present and exact, or any present leg exact').choices(['both', 'any']).default('both'))
  .option('--timeout <seconds>', 'how long parity waits for both groups to catch up', int('--timeout', 1), 180)
  .option('--no-restart-connector', 'leave a deployed connector running through the ALTER of its table (its tasks keep the old column list until an insert with it fails)')
  .option('--dry-run', 'check compatibility, the change and the current tables; print the plan and its SQL; change nothing')
  .option('--json', 'print the summary as JSON');

function printHuman(s: EvolveSummary): void {
  console.log(`evolve pipeline ${s.pipeline} (${s.subject}) to ${s.schemaFile}: adds ${s.added.join(', ') || 'no field'}${s.dropped.length ? `; drops ${s.dropped.join(', ')}` : ''}`);
  console.log(table(['step', 'status', 'seconds', 'detail'], s.steps.map((st, i) => [`${i + 1}. ${st.step}`, st.status, (st.ms / 1000).toFixed(1), st.detail])));
  if (s.dryRun) {
    for (const st of s.steps.filter((x) => x.sql.length > 0)) console.log(`\n-- ${st.step}\n${st.sql.map((q) => `${q};`).join('\n\n')}`);
    return;
  }
  if (s.parity) console.log(`\n${renderReport(s.parity)}`);
}

await run(program, async () => {
  const o = program.opts<{
    pipeline?: string; to?: string; count: number; oldCount: number; seed: number; require: 'both' | 'any'; timeout: number;
    restartConnector: boolean; dryRun?: boolean; json?: boolean;
  }>();
  if (!o.to) throw new UsageError('give the new schema: --to <schema.avsc> (the demo pipeline has pipelines/schemas/user_events.v2.avsc)');
  const config = loadConfig();
  const [resolved] = await resolvePipelines(config, o.pipeline, false);
  const toFile = path.resolve(o.to);
  const to = schemaFromText(readSchemaFile(toFile).text, o.to);
  const ch = clickhouseClient(config, 'admin');
  const kafka = kafkaClient(config.kafka.brokers);
  try {
    await checkClickHouse(ch, config.clickhouse.url);
    const admin = await connectAdmin(kafka, config.kafka.brokers);
    try {
      const summary = await evolve({ config, ch, kafka, admin }, resolved!, {
        to,
        toFile,
        count: o.count,
        oldCount: o.oldCount,
        seed: o.seed,
        dryRun: o.dryRun === true,
        require: o.require,
        timeoutMs: o.timeout * 1000,
        restartConnector: o.restartConnector,
        connectorDeployed: await connectorDeployed(config, resolved!.pipeline),
        log: (line) => process.stderr.write(`[evolve] ${line}\n`),
      });
      if (o.json) printJson(summary);
      else printHuman(summary);
      return summary.exitCode;
    } finally {
      await admin.disconnect();
    }
  } finally {
    await ch.close();
  }
});
