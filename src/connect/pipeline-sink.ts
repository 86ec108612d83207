/**
 * The official ClickHouse sink for pipelines: `connect/pipeline-sink.json` rendered once per
 * connector, for the pipelines that name it (one, or several sharing it: one connector, their
 * topics, `topic2TableMap` naming each one's table). A pipeline's `connector.settings` are set
 * over the template's; a pipeline with an Avro key schema gets the value converter for its
 * keys too.
 */
import path from 'node:path';
import type { KitConfig } from '../config.js';
import type { Pipeline } from '../pipeline/definition.js';
import { projectRoot } from '../paths.js';
import { loadDefinition, renderAll, type RenderedDefinition } from './definitions.js';
import { deploy, type DeployResult } from './deploy.js';
import { kitValues, type KitValueOptions } from './kit-values.js';
import { ConnectClient } from './rest.js';

export const SINK_TEMPLATE = path.join(projectRoot, 'connect', 'pipeline-sink.json');

/** The pipelines per connector name, in the pipelines' order. */
export function connectorGroups(pipelines: Pipeline[]): { name: string; pipelines: Pipeline[] }[] {
  const groups = new Map<string, Pipeline[]>();
  for (const p of pipelines) groups.set(p.connector.name, [...(groups.get(p.connector.name) ?? []), p]);
  return [...groups].map(([name, members]) => ({ name, pipelines: members }));
}

/** The key converter's settings for Avro keys: the value converter's, under key.converter. */
function avroKeys(config: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (k === 'value.converter' || k.startsWith('value.converter.')) out[`key.${k.slice('value.'.length)}`] = v;
  return out;
}

export interface SinkOptions extends KitValueOptions {
  /** Config keys set over everything (a benchmark's consumer overrides). */
  overrides?: Record<string, string>;
}

/**
 * Every connector of these pipelines (with the other pipelines that share one: `all` is the
 * whole set), rendered. Problems (an unset ${env:...}) are a DefinitionError (exit 2).
 */
export function renderPipelineSinks(config: KitConfig, env: Record<string, string | undefined>, chosen: Pipeline[], all: Pipeline[] = chosen, opts: SinkOptions = {}): RenderedDefinition[] {
  const template = loadDefinition(SINK_TEMPLATE);
  const names = new Set(chosen.map((p) => p.connector.name));
  return connectorGroups(all)
    .filter((g) => names.has(g.name))
    .map((g) => {
      const kit = kitValues(config, env, g.pipelines, opts);
      const settings = g.pipelines[0]!.connector.settings;
      const rendered = renderAll([{ ...template, name: g.name, config: { ...template.config, ...settings } }], kit, env)[0]!;
      const keys = g.pipelines.some((p) => p.key && 'schemaFile' in p.key) ? avroKeys(rendered.config) : {};
      return { ...rendered, file: `${path.relative(projectRoot, SINK_TEMPLATE)} for ${g.pipelines.map((p) => p.name).join(', ')}`, config: { ...rendered.config, ...keys, ...opts.overrides } };
    });
}

export interface DeployedSink {
  name: string;
  client: ConnectClient;
  rendered: RenderedDefinition;
  result: DeployResult;
  remove(): Promise<void>;
}

/** Deploys a pipeline's connector (tests, benchmarks, the conformance suite) and waits for RUNNING. */
export async function deployPipelineSink(config: KitConfig, env: Record<string, string | undefined>, pipelines: Pipeline[], opts: SinkOptions & { timeoutMs?: number } = {}): Promise<DeployedSink> {
  const client = new ConnectClient({ url: config.connect.url });
  const [rendered] = renderPipelineSinks(config, env, pipelines.slice(0, 1), pipelines, { profile: 'embedded', ...opts });
  const result = await deploy([rendered!], client, { timeoutMs: opts.timeoutMs ?? 90_000 });
  const c = result.connectors[0]!;
  if (!result.ok) throw new Error(`deploying ${c.name}: ${c.outcome} (${c.state} ${c.tasks})\n${c.traces.map((t) => t.trace).join('\n')}`);
  return {
    name: rendered!.name,
    client,
    rendered: rendered!,
    result,
    remove: async () => {
      if (await client.status(rendered!.name)) await client.delete(rendered!.name);
    },
  };
}
