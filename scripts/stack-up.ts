import { command, printJson, run, table } from '../src/cli.js';
import { EmbeddedStack } from '../src/stack/stack.js';

const program = command('stack:up', 'Start the embedded stack (Kafka, schema registry, Kafka Connect, ClickHouse engine) on 127.0.0.1. Running it twice is harmless.')
  .option('--json', 'print the result as JSON');

await run(program, async () => {
  const { json } = program.opts<{ json?: boolean }>();
  const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  const started = Date.now();
  const services = await stack.up();
  const status = await stack.status();
  const elapsedMs = Date.now() - started;
  if (json) {
    printJson({ elapsedMs, services, clickhouseConnector: status.clickhouseConnector });
    return;
  }
  console.log(table(['service', 'endpoint', 'pid', 'ready in'], services.map((s) => [s.name, s.endpoint, s.pid ?? '-', s.startedMs === undefined ? 'was running' : `${(s.startedMs / 1000).toFixed(1)} s`])));
  console.log(`ClickHouse sink connector: ${status.clickhouseConnector.detail}`);
  console.log(`embedded stack up in ${(elapsedMs / 1000).toFixed(1)} s; stop it with \`npm run stack:down\``);
});
