import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'commander';
import { command, int, printJson, run } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { loadConfig } from '../src/config.js';
import { checkClickHouse } from '../src/clickhouse/query.js';
import { quickConnectClient } from '../src/connect/rest.js';
import { collectHealth, type HealthContext } from '../src/health/collect.js';
import { INGEST_WINDOW_SEC } from '../src/health/ingest.js';
import { engineLag } from '../src/health/model.js';
import { renderHealth } from '../src/health/render.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { choosePipelines } from '../src/pipeline/load.js';
import { pipelineOption } from '../src/pipelines.js';

const program = pipelineOption(command(
  'health',
  'One view of both legs of a pipeline (or of each, with --pipeline all): per-partition lag of the connector\'s and the Kafka engine\'s consumer groups, connector and task states with traces, system.kafka_consumers and its exceptions, DLQ and errors-table counts, each leg\'s rows per second and freshness over the last minute. Exit 0 healthy, 1 unhealthy (a FAILED connector or task, a recent Kafka-engine consumer exception it has not recovered from, a hung Kafka-engine consumer or a stalled Kafka-engine table, a missing topic or Kafka-engine table), 2 bad input, 3 Kafka or ClickHouse does not answer.',
), true)
  .option('--json', 'print the report as JSON (with --watch: one JSON document a line)')
  .addOption(new Option('--watch [seconds]', 'refresh every N seconds (default 5) until Ctrl-C, which exits 0').argParser(int('--watch', 1)).preset('5'))
  .option('--exceptions-window <minutes>', 'Kafka-engine consumer exceptions younger than this are unhealthy unless the consumer has recovered (polled and committed since, lag not growing)', int('--exceptions-window', 1), 5)
  .option('--ingest-window <seconds>', 'the window of the ingest section (rows per second, freshness p50/p99/max)', int('--ingest-window', 1), INGEST_WINDOW_SEC);

await run(program, async () => {
  const o = program.opts<{ pipeline?: string; json?: boolean; watch?: number; exceptionsWindow: number; ingestWindow: number }>();
  const every = o.watch;
  const config = loadConfig();
  const pipelines = choosePipelines({ requested: o.pipeline ?? config.pipeline, allowAll: true, database: config.clickhouse.database });
  const windowSec = o.exceptionsWindow * 60;
  const ch = clickhouseClient(config, 'reader');
  const kafka = kafkaClient(config.kafka.brokers);
  try {
    await checkClickHouse(ch, config.clickhouse.url);
  } catch (e) {
    await ch.close();
    throw e;
  }
  const admin = await connectAdmin(kafka, config.kafka.brokers).catch(async (e: unknown) => {
    await ch.close();
    throw e;
  });
  // Connect is optional for health: give up quickly.
  const contexts: HealthContext[] = pipelines.map((pipeline) => ({ config, pipeline, ch, admin, connect: quickConnectClient(config.connect.url) }));
  try {
    if (every === undefined) {
      const reports = [];
      for (const ctx of contexts) reports.push(await collectHealth(ctx, { exceptionWindowSec: windowSec, ingestWindowSec: o.ingestWindow }));
      if (o.json) printJson(reports.length === 1 ? reports[0] : { pipelines: reports, exitCode: Math.max(...reports.map((r) => r.verdict.exitCode)) });
      else console.log(reports.map((r) => renderHealth(r, windowSec)).join('\n\n'));
      return Math.max(...reports.map((r) => r.verdict.exitCode));
    }

    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    const tty = process.stdout.isTTY && !o.json;
    const previousEngineLag = new Map<string, number | undefined>();
    while (!stop.signal.aborted) {
      let text: string;
      try {
        const texts: string[] = [];
        for (const ctx of contexts) {
          const report = await collectHealth(ctx, { exceptionWindowSec: windowSec, ingestWindowSec: o.ingestWindow, previousEngineLag: previousEngineLag.get(ctx.pipeline.name) });
          previousEngineLag.set(ctx.pipeline.name, engineLag(report));
          texts.push(o.json ? JSON.stringify(report) : renderHealth(report, windowSec));
        }
        text = texts.join(o.json ? '\n' : '\n\n');
      } catch (e) {
        // A service that stops answering mid-watch is shown, and the watch goes on.
        const message = (e as Error).message ?? String(e);
        text = o.json ? JSON.stringify({ at: new Date().toISOString(), error: message }) : `health at ${new Date().toISOString()}: ${message}`;
      }
      if (o.json) process.stdout.write(`${text}\n`);
      else if (tty) process.stdout.write(`\x1b[2J\x1b[H${text}\n\nrefreshing every ${every} s; Ctrl-C to stop\n`);
      else process.stdout.write(`${text}\n\n`);
      await sleep(every * 1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await ch.close();
  }
});
