import { spawnSync } from 'node:child_process';
import { command, int, printJson, run, UsageError } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from '../src/clickhouse/ddl.js';
import { loadConfig } from '../src/config.js';
import { ConnectClient } from '../src/connect/rest.js';
import { renderReport } from '../src/parity/report.js';
import { composeUp } from '../src/demo/compose-up.js';
import { connectAdmin, ensureTopic, kafkaClient } from '../src/kafka.js';
import { connectorDeployed, legsFromConfig, verifyParity } from '../src/parity/verify.js';
import { produceAvro } from '../src/produce/producer.js';
import { probeDocker } from '../src/stack/docker.js';
import { CLICKHOUSE_SINK_CLASS } from '../src/stack/plugins.js';
import { EmbeddedStack } from '../src/stack/stack.js';
import { projectRoot } from '../src/paths.js';

const program = command('demo', 'The whole pipeline: stack up (Docker when an engine answers, the embedded stack otherwise), sql:apply, connector deploy, produce Avro events, verify:parity --wait. Exit code from parity. Safe to run again.')
  .option('--count <n>', 'events to produce', int('--count', 1), 100_000)
  .option('--poison <n>', 'poison messages among them', int('--poison', 0), 5)
  .option('--seed <n>', 'generator seed', int('--seed', 0), 1)
  .option('--timeout <seconds>', 'how long parity waits for both legs to settle', int('--timeout', 1), 300)
  .option('--embedded', 'use the embedded stack even when a Docker engine answers')
  .option('--json', 'print the parity report as JSON');

const say = (line: string) => process.stderr.write(`\n==> ${line}\n`);

await run(program, async () => {
  const o = program.opts<{ count: number; poison: number; seed: number; timeout: number; embedded?: boolean; json?: boolean }>();

  const docker = o.embedded ? { available: false, detail: '--embedded given' } : probeDocker();
  if (docker.available) {
    say(`stack: ${docker.detail} answers; docker compose up -d --wait`);
    composeUp({ log: (l) => process.stderr.write(`[stack] ${l}\n`) });
  } else {
    say(`stack: no Docker engine (${docker.detail}); starting the embedded stack`);
    await new EmbeddedStack({ log: (l) => process.stderr.write(`[stack] ${l}\n`) }).up();
  }

  const config = loadConfig();
  say(`sql:apply to ${config.clickhouse.url}`);
  await ensureTopic(config.kafka.brokers, config.topic, 3);
  const admin = clickhouseClient(config, 'admin');
  try {
    const applied = await applySql(admin, loadSqlFiles(templateValues(config)));
    process.stderr.write(`applied ${applied.length} statements (all IF NOT EXISTS)\n`);
  } finally {
    await admin.close();
  }

  say('connector:deploy');
  const plugins = await new ConnectClient({ url: config.connect.url }).connectorPlugins();
  const connectorAvailable = plugins.some((p) => p.class === CLICKHOUSE_SINK_CLASS);
  if (!connectorAvailable) {
    process.stderr.write(
      `SKIPPED: the Connect worker at ${config.connect.url} has no ${CLICKHOUSE_SINK_CLASS} plugin ` +
        '(the official connector cannot be downloaded on this machine; see `npm run stack:status`). Only the Kafka-engine leg runs.\n',
    );
  } else {
    const deploy = spawnSync('npx', ['tsx', 'scripts/connector.ts', 'deploy'], { cwd: projectRoot, stdio: 'inherit' });
    if (deploy.status !== 0) throw new UsageError('connector:deploy failed (see above)');
  }

  say(`produce:avro: ${o.count} events + ${o.poison} poison messages, seed ${o.seed}`);
  const summary = await produceAvro({
    brokers: config.kafka.brokers,
    registryUrl: config.registry.url,
    topic: config.topic,
    partitions: 3,
    count: o.count,
    rate: 0,
    batchSize: 1000,
    seed: o.seed,
    poison: o.poison,
    compression: 'none',
    onProgress: (p) => {
      if (p.sent % 20_000 < 1000) process.stderr.write(`[produce] ${p.sent}/${p.target} events\n`);
    },
  });
  process.stderr.write(`sent ${summary.events} events + ${summary.poison} poison in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.eventsPerSec} events/s)\n`);

  say('verify:parity --wait (this run)');
  const legs = legsFromConfig(config);
  const ch = clickhouseClient(config, 'reader');
  const kafka = kafkaClient(config.kafka.brokers);
  const kadmin = await connectAdmin(kafka, config.kafka.brokers);
  try {
    const report = await verifyParity(ch, kafka, kadmin, {
      topic: config.topic,
      legs,
      run: summary,
      wait: true,
      timeoutMs: o.timeout * 1000,
      // Without the connector plugin its leg cannot exist: the Kafka-engine leg must be exact.
      require: connectorAvailable ? 'both' : 'any',
      diffLimit: 20,
      notDeployed: (await connectorDeployed(config)) === false ? ['connector'] : [],
      onProgress: (line) => process.stderr.write(`[parity] ${line}\n`),
    });
    if (o.json) printJson(report);
    else console.log(renderReport(report));
    return report.exitCode;
  } finally {
    await kadmin.disconnect();
    await ch.close();
  }
});
