import { command, printJson, run, table } from '../src/cli.js';
import { EmbeddedStack } from '../src/stack/stack.js';

const program = command('stack:status', 'Show each embedded service: PID, readiness, endpoint, log; and whether the ClickHouse sink connector is installed. Exit 1 when a service is down.')
  .option('--json', 'print the status as JSON');

await run(program, async () => {
  const { json } = program.opts<{ json?: boolean }>();
  const status = await new EmbeddedStack().status();
  const allReady = status.services.every((s) => s.ready);
  if (json) {
    printJson({ ...status, allReady });
  } else {
    console.log(table(['service', 'state', 'pid', 'endpoint', 'log'], status.services.map((s) => [s.name, s.ready ? 'ready' : s.running ? 'running, not ready' : 'stopped', s.pid ?? '-', s.endpoint, s.log])));
    console.log(`ClickHouse sink connector: ${status.clickhouseConnector.detail}`);
    if (!status.jarsResolved) console.log('jars: not resolved yet (`npm run stack:fetch` or `npm run stack:up` resolves them)');
  }
  return allReady ? 0 : 1;
});
