/**
 * The embedded Connect worker decodes the kit's Avro topic with Apicurio's
 * AvroConverter from its plugin path: a real FileStreamSink writes every event
 * it read through the registry.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordGenerator } from '../../src/pipeline/generate.js';
import { produceAvro } from '../../src/produce/producer.js';
import { REGISTRY_V2_URL } from '../../src/stack/services/registry.js';
import { eventually, produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';
import { tempDir } from '../temp-dir.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let name: string;
const out = path.join(tempDir('kit-converter-'), 'events.txt');

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('avro_conv', {}, false));
  name = `it-avro-${up.pipeline.topic.name}`;
  await produceAvro(produceOptions(kit, up, {
    count: 40,
    batchSize: 40,
    seed: 21,
  }));
  const res = await fetch(`${kit.config.connect.url}/connectors/${name}/config`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      'tasks.max': '1',
      topics: up.pipeline.topic.name,
      file: out,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
      'value.converter.apicurio.registry.url': REGISTRY_V2_URL,
      'value.converter.apicurio.registry.as-confluent': 'true',
      'value.converter.apicurio.registry.use-id': 'contentId',
      'consumer.override.auto.offset.reset': 'earliest',
    }),
  });
  expect(res.status).toBeLessThan(300);
});

afterAll(async () => {
  await fetch(`${kit.config.connect.url}/connectors/${name}`, { method: 'DELETE' });
  await kit?.drop();
});

describe("Apicurio's AvroConverter on the embedded worker", () => {
  it('is on the plugin path', async () => {
    const plugins = (await (await fetch(`${kit.config.connect.url}/connector-plugins?connectorsOnly=false`)).json()) as { class: string }[];
    expect(plugins.map((p) => p.class)).toContain('io.apicurio.registry.utils.converter.AvroConverter');
  });

  it('decodes every event of the topic through the registry', async () => {
    const lines = await eventually(
      'the sink file holds 40 records',
      async () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : []),
      (l) => l.length >= 40,
      90_000,
    );
    expect(lines).toHaveLength(40);
    const text = lines.join('\n');
    for (const e of new RecordGenerator(up.schema.parsed.root, 21).take(40)) {
      expect(text).toContain(`id=${e.id}`);
      expect(text).toContain(`user_id=${e.user_id}`);
    }
    const status = (await (await fetch(`${kit.config.connect.url}/connectors/${name}/status`)).json()) as { tasks: { state: string }[] };
    expect(status.tasks.map((t) => t.state)).toEqual(['RUNNING']);
  });
});
