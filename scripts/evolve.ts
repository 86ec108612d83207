import path from 'node:path';
import { Option } from 'commander';
import { command, int, printJson, run, table } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { loadConfig } from '../src/config.js';
import { evolve, type EvolveSummary } from '../src/evolve/evolve.js';
import { V2_SCHEMA_FILE } from '../src/evolve/schema.js';
import { checkClickHouse } from '../src/clickhouse/query.js';
import { renderReport } from '../src/parity/report.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { connectorDeployed } from '../src/parity/verify.js';

const program = command(
  'evolve',
  'Schema evolution rehearsal: check v2 of the event schema (a new field with a default) against the registry, add the column to both target tables (a deployed sink connector is stopped around the ALTER of its table, so its new tasks see the column), recreate the Kafka-engine table, its fan-out and views with the same consumer group, produce v2 and v1 events, and prove parity over the whole topic. Idempotent. Exit 0 parity exact, 1 parity differs, 2 an incompatible schema, bad input or an unreachable service.',
)
  .option('--schema <file>', 'the new Avro schema', path.relative(process.cwd(), V2_SCHEMA_FILE))
  .option('--count <n>', 'v2 events to produce', int('--count', 0), 1000)
  .option('--v1-after <n>', 'v1 events to produce after the change (a producer not yet upgraded)', int('--v1-after', 0), 10)
  .option('--seed <n>', 'generator seed of the produced events', int('--seed', 0), 2)
  .addOption(new Option('--require <legs>', 'parity: both legs present and exact, or any present leg exact').choices(['both', 'any']).default('both'))
  .option('--timeout <seconds>', 'how long parity waits for both groups to catch up', int('--timeout', 1), 180)
  .option('--no-restart-connector', 'leave a deployed connector running through the ALTER of its table (its tasks keep the old column list until an insert with it fails)')
  .option('--dry-run', 'check compatibility and the current tables, print the plan and its SQL; change nothing')
  .option('--json', 'print the summary as JSON');

function printHuman(s: EvolveSummary): void {
  console.log(`evolve ${s.subject} to ${s.schemaFile}: adds ${s.added.map((f) => `${f.name} ${f.column}`).join(', ') || 'no field'}`);
  console.log(table(['step', 'status', 'seconds', 'detail'], s.steps.map((st, i) => [`${i + 1}. ${st.step}`, st.status, (st.ms / 1000).toFixed(1), st.detail])));
  if (s.dryRun) {
    for (const st of s.steps.filter((x) => x.sql.length > 0)) console.log(`\n-- ${st.step}\n${st.sql.map((q) => `${q};`).join('\n\n')}`);
    return;
  }
  if (s.parity) console.log(`\n${renderReport(s.parity)}`);
}

await run(program, async () => {
  const o = program.opts<{
    schema: string; count: number; v1After: number; seed: number; require: 'both' | 'any'; timeout: number;
    restartConnector: boolean; dryRun?: boolean; json?: boolean;
  }>();
  const config = loadConfig();
  const ch = clickhouseClient(config, 'admin');
  const kafka = kafkaClient(config.kafka.brokers);
  try {
    await checkClickHouse(ch, config.clickhouse.url);
    const admin = await connectAdmin(kafka, config.kafka.brokers);
    try {
      const summary = await evolve(
        { config, ch, kafka, admin },
        {
          schemaFile: path.resolve(o.schema),
          count: o.count,
          v1After: o.v1After,
          seed: o.seed,
          dryRun: o.dryRun === true,
          require: o.require,
          timeoutMs: o.timeout * 1000,
          restartConnector: o.restartConnector,
          connectorDeployed: await connectorDeployed(config),
          log: (line) => process.stderr.write(`[evolve] ${line}\n`),
        },
      );
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
