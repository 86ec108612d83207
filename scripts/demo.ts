import { spawnSync } from 'node:child_process';
import { command, int, printJson, run } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { loadConfig } from '../src/config.js';
import { ConnectClient } from '../src/connect/rest.js';
import { composeUp } from '../src/demo/compose-up.js';
import { UsageError } from '../src/errors.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { contentOf } from '../src/pipeline/content.js';
import { connectorDeployed, legsOf } from '../src/parity/legs.js';
import { renderReport } from '../src/parity/report.js';
import { verifyParity, type ParityReport } from '../src/parity/verify.js';
import { witnessSession } from '../src/parity/witness/witness.js';
import { projectRoot } from '../src/paths.js';
import { pipelineOption, resolvePipelines } from '../src/pipelines.js';
import { produceAvro } from '../src/produce/producer.js';
import { Registry } from '../src/registry/registry.js';
import { probeDocker } from '../src/stack/docker.js';
import { CLICKHOUSE_SINK_CLASS } from '../src/stack/plugins.js';
import { EmbeddedStack } from '../src/stack/stack.js';

const program = pipelineOption(
  command(
    'demo',
    "The whole job for every pipeline in pipelines/ (the demo's user_events and orders): stack up (Docker when an engine answers, the embedded stack otherwise), sql:apply, connector:deploy, produce Avro records, then verify:parity --wait --content topic of each run. Exit code from parity. Safe to run again.",
  ),
  true,
  'all',
)
  .option('--count <n>', 'records to produce per pipeline', int('--count', 1), 100_000)
  .option('--poison <n>', 'poison messages among them, per pipeline', int('--poison', 0), 5)
  .option('--seed <n>', 'generator seed', int('--seed', 0), 1)
  .option('--timeout <seconds>', 'how long parity waits for both legs to settle', int('--timeout', 1), 300)
  .option('--embedded', 'use the embedded stack even when a Docker engine answers')
  .option('--json', 'print the parity reports as JSON');

const say = (line: string) => process.stderr.write(`\n==> ${line}\n`);

/** Runs one of the kit's scripts as the user would; its output is the demo's. */
function script(file: string, args: string[], what: string): void {
  const out = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { cwd: projectRoot, stdio: 'inherit' });
  if (out.status !== 0) throw new UsageError(`${what} failed (exit ${out.status}; see above)`);
}

await run(program, async () => {
  const o = program.opts<{ pipeline?: string; count: number; poison: number; seed: number; timeout: number; embedded?: boolean; json?: boolean }>();
  const requested = o.pipeline ?? 'all';

  const docker = o.embedded ? { available: false, detail: '--embedded given' } : probeDocker();
  if (docker.available) {
    say(`stack: ${docker.detail} answers; docker compose up -d --wait`);
    composeUp({ log: (l) => process.stderr.write(`[stack] ${l}\n`) });
  } else {
    say(`stack: no Docker engine (${docker.detail}); starting the embedded stack`);
    await new EmbeddedStack({ log: (l) => process.stderr.write(`[stack] ${l}\n`) }).up();
  }

  const config = loadConfig();
  const resolved = await resolvePipelines(config, requested, true);
  const names = resolved.map((r) => r.pipeline.name);
  say(`sql:apply --pipeline ${names.join(',')}`);
  script('scripts/sql-apply.ts', ['--pipeline', names.join(',')], 'sql:apply');

  say('connector:deploy');
  const plugins = await new ConnectClient({ url: config.connect.url }).connectorPlugins();
  const connectorAvailable = plugins.some((p) => p.class === CLICKHOUSE_SINK_CLASS);
  if (!connectorAvailable) {
    process.stderr.write(
      `SKIPPED: the Connect worker at ${config.connect.url} has no ${CLICKHOUSE_SINK_CLASS} plugin ` +
        '(the official connector cannot be downloaded on this machine; see `npm run stack:status`). Only the Kafka-engine leg runs.\n',
    );
  } else {
    script('scripts/connector.ts', ['deploy', '--pipeline', names.join(',')], 'connector:deploy');
  }

  const reports: ParityReport[] = [];
  const ch = clickhouseClient(config, 'parity');
  const kafka = kafkaClient(config.kafka.brokers);
  const kadmin = await connectAdmin(kafka, config.kafka.brokers);
  const registry = new Registry(config.registry.url);
  const session = witnessSession(config);
  try {
    for (const { pipeline, schema, keySchema } of resolved) {
      say(`produce:avro --pipeline ${pipeline.name}: ${o.count} records + ${o.poison} poison messages, seed ${o.seed}`);
      const summary = await produceAvro({
        brokers: config.kafka.brokers,
        registryUrl: config.registry.url,
        pipeline,
        schema,
        ...(keySchema ? { keySchema } : {}),
        count: o.count,
        rate: 0,
        batchSize: 1000,
        seed: o.seed,
        poison: o.poison,
        compression: 'none',
        onProgress: (p) => {
          if (p.sent % 20_000 < 1000) process.stderr.write(`[produce] ${p.sent}/${p.target} records\n`);
        },
      });
      process.stderr.write(`sent ${summary.events} records + ${summary.poison} poison in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.eventsPerSec} records/s)\n`);

      say(`verify:parity --pipeline ${pipeline.name} --wait --content topic (this run)`);
      reports.push(
        await verifyParity(ch, kafka, kadmin, {
          pipeline: pipeline.name,
          topic: pipeline.topic.name,
          legs: legsOf(pipeline),
          content: contentOf(schema.columns),
          run: summary,
          wait: true,
          timeoutMs: o.timeout * 1000,
          // Without the connector plugin its leg cannot exist: the Kafka-engine leg must be exact.
          require: connectorAvailable ? 'both' : 'any',
          diffLimit: 20,
          witness: { session, kafka, registry, schema: schema.parsed, samplePercent: 100 },
          notDeployed: (await connectorDeployed(config, pipeline)) === false ? ['connector'] : [],
          onProgress: (line) => process.stderr.write(`[parity] ${line}\n`),
        }),
      );
    }
    const exact = reports.every((r) => r.exact);
    if (o.json) printJson(reports.length === 1 ? reports[0] : { pipelines: reports, exact, exitCode: exact ? 0 : 1 });
    else {
      console.log(reports.map((r) => `== pipeline ${r.pipeline} ==\n${renderReport(r)}`).join('\n\n'));
      console.log(`\n${exact ? 'DEMO EXACT' : 'DEMO DIFFERS'}: ${reports.map((r) => `${r.pipeline} ${r.exact ? 'exact' : 'differs'}`).join(', ')}`);
    }
    return exact ? 0 : 1;
  } finally {
    await kadmin.disconnect();
    await ch.close();
    await session.close();
  }
});
