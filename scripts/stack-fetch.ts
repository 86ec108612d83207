import { command, printJson, run } from '../src/cli.js';
import { jarsResolved } from '../src/stack/jvm.js';
import { EmbeddedStack } from '../src/stack/stack.js';

const program = command(
  'stack:fetch',
  'Resolve what the embedded stack runs from: Maven Central jars, and the ClickHouse sink connector ' +
    '(KIT_CLICKHOUSE_CONNECTOR_ZIP, else built with Maven from KIT_CLICKHOUSE_CONNECTOR_SRC or the vendored source tarball; reused while unchanged).',
)
  .option('--download-connector', 'try the ClickHouse sink connector release zip from GitHub first (the source build is the fallback)')
  .option('--json', 'print a JSON summary on stdout');

await run(program, async () => {
  const { downloadConnector, json } = program.opts<{ downloadConnector?: boolean; json?: boolean }>();
  const started = Date.now();
  const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  const connector = await stack.fetch({ downloadConnector });
  const seconds = (Date.now() - started) / 1000;
  if (json) {
    printJson({ stackDir: stack.paths.base, jarsResolved: jarsResolved(stack.paths), seconds, clickhouseConnector: connector });
    return;
  }
  console.log(`stack:fetch done in ${seconds.toFixed(1)} s; ClickHouse sink connector (${connector.action}): ${connector.detail}`);
});
