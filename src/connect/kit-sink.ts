/**
 * The official ClickHouse sink for an isolated kit (a test's, a benchmark's): the kit's
 * definition (connect/connectors/clickhouse-sink.json) rendered for that kit's config
 * on the embedded stack, deployed through the kit's deploy pipeline under the config's
 * connector name.
 */
import path from 'node:path';
import { resolveEnv, type KitConfig } from '../config.js';
import { DEFINITIONS_DIR, loadDefinition, renderAll, type RenderedDefinition } from './definitions.js';
import { deploy } from './deploy.js';
import { kitValues } from './kit-values.js';
import { ConnectClient } from './rest.js';

export interface KitSink {
  name: string;
  client: ConnectClient;
  rendered: RenderedDefinition;
  remove(): Promise<void>;
}

export interface SinkOptions {
  exactlyOnce?: boolean;
  /** Config keys set over the definition's (e.g. a benchmark's consumer overrides). */
  overrides?: Record<string, string>;
}

export function renderSink(config: KitConfig, opts: SinkOptions = {}): RenderedDefinition {
  const def = loadDefinition(path.join(DEFINITIONS_DIR, 'clickhouse-sink.json'));
  const env = resolveEnv();
  const kit = kitValues(config, env, { profile: 'embedded', exactlyOnce: opts.exactlyOnce ?? false });
  const rendered = renderAll([{ ...def, name: config.connector.name }], kit, env)[0]!;
  return { ...rendered, config: { ...rendered.config, ...opts.overrides } };
}

export async function deploySink(config: KitConfig, opts: SinkOptions = {}): Promise<KitSink> {
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
