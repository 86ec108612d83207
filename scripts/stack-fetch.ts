import { command, run } from '../src/cli.js';
import { stackPaths } from '../src/paths.js';
import { clickhouseConnectorPresence, downloadClickhouseConnector } from '../src/stack/plugins.js';
import { EmbeddedStack } from '../src/stack/stack.js';

const program = command('stack:fetch', 'Resolve what the embedded stack runs from (Maven Central jars; the ClickHouse connector from KIT_CLICKHOUSE_CONNECTOR_ZIP).')
  .option('--download-connector', 'also try to download the ClickHouse sink connector release zip from GitHub');

await run(program, async () => {
  const { downloadConnector } = program.opts<{ downloadConnector?: boolean }>();
  const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  await stack.fetch();
  if (downloadConnector && !clickhouseConnectorPresence(stackPaths()).installed) {
    const failure = await downloadClickhouseConnector(stackPaths());
    if (failure) console.log(`could not download the connector: ${failure}`);
  }
  console.log(`ClickHouse sink connector: ${clickhouseConnectorPresence(stackPaths()).detail}`);
});
