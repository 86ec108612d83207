/**
 * The official ClickHouse sink for a test's own kit: the kit's definition
 * (connect/connectors/clickhouse-sink.json) rendered for the test's config, deployed
 * through the kit's deploy pipeline under the test's connector name.
 */
import path from 'node:path';
import { resolveEnv, type KitConfig } from '../../src/config.js';
import { DEFINITIONS_DIR, loadDefinition, renderAll } from '../../src/connect/definitions.js';
import { deploy } from '../../src/connect/deploy.js';
import { kitValues } from '../../src/connect/kit-values.js';
import { ConnectClient } from '../../src/connect/rest.js';
import type { RenderedDefinition } from '../../src/connect/definitions.js';

export interface TestSink {
  name: string;
  client: ConnectClient;
  rendered: RenderedDefinition;
  remove(): Promise<void>;
}

export function renderSink(config: KitConfig, opts: { exactlyOnce?: boolean } = {}): RenderedDefinition {
  const def = loadDefinition(path.join(DEFINITIONS_DIR, 'clickhouse-sink.json'));
  const env = resolveEnv();
  const kit = kitValues(config, env, { profile: 'embedded', exactlyOnce: opts.exactlyOnce ?? false });
  return renderAll([{ ...def, name: config.connector.name }], kit, env)[0]!;
}

export async function deploySink(config: KitConfig, opts: { exactlyOnce?: boolean } = {}): Promise<TestSink> {
  const client = new ConnectClient({ url: config.connect.url });
  const rendered = renderSink(config, opts);
  const result = await deploy([rendered], client, { timeoutMs: 90_000 });
  const c = result.connectors[0]!;
  if (!result.ok) throw new Error(`deploying ${c.name}: ${c.outcome} (${c.state} ${c.tasks})\n${c.traces.map((t) => t.trace).join('\n')}`);
  return {
    name: rendered.name,
    client,
    rendered,
    remove: async () => {
      if (await client.status(rendered.name)) await client.delete(rendered.name);
    },
  };
}
