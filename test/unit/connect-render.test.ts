import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli.js';
import { loadConfig } from '../../src/config.js';
import {
  DefinitionError,
  loadDefinition,
  parseDefinition,
  renderAll,
  renderDefinition,
  selectDefinitions,
} from '../../src/connect/definitions.js';
import { kitValues } from '../../src/connect/kit-values.js';
import { lintConfig } from '../../src/connect/lint.js';
import { connectorGroups, renderPipelineSinks, SINK_TEMPLATE } from '../../src/connect/pipeline-sink.js';
import { isProviderReference, references, substituteKit } from '../../src/connect/placeholders.js';
import { writePipeline } from '../../src/pipeline/isolated.js';
import { tempDir as scratchDir } from '../temp-dir.js';
import { SCHEMAS, shippedPipeline, shippedPipelines } from './pipeline-fixtures.js';

const env = {
  CLICKHOUSE_ADMIN_PASSWORD: 'admin-pw',
  CLICKHOUSE_CONNECTOR_PASSWORD: 'connector-pw-123',
  CLICKHOUSE_READER_PASSWORD: 'reader-pw',
  CLICKHOUSE_PARITY_PASSWORD: 'parity-pw',
};
const config = loadConfig(env);
const userEvents = shippedPipeline('user_events');
const docker = kitValues(config, env, [userEvents]);

function tempDir(files: Record<string, string>): string {
  const dir = scratchDir('kit-connect-defs-');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const fileSink = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name, config: { 'connector.class': 'FileStreamSink', topics: 't', file: '/tmp/out', ...extra } });

describe('placeholders', () => {
  it('parses ${provider:path:key} the way Kafka ConfigTransformer does', () => {
    expect(references('${env:PW}')).toEqual([{ text: '${env:PW}', provider: 'env', path: '', key: 'PW' }]);
    expect(references('a ${file:/etc/s.properties:pw} b ${kit:topic}')).toEqual([
      { text: '${file:/etc/s.properties:pw}', provider: 'file', path: '/etc/s.properties', key: 'pw' },
      { text: '${kit:topic}', provider: 'kit', path: '', key: 'topic' },
    ]);
    expect(references('no refs, $ {x}')).toEqual([]);
  });

  it('tells a whole-value provider reference from text that merely holds one', () => {
    expect(isProviderReference('${env:PW}')).toBe(true);
    expect(isProviderReference(' ${file:/a:b} ')).toBe(true);
    expect(isProviderReference('x${env:PW}')).toBe(false);
    expect(isProviderReference('${kit:topic}')).toBe(false);
  });

  it('substitutes kit values inside strings and collects unknown names', () => {
    const unknown = new Set<string>();
    expect(substituteKit('${kit:topic}=${kit:table}', { topic: 'a', table: 'b' }, unknown)).toBe('a=b');
    expect(substituteKit('${kit:nope} ${env:KEEP}', {}, unknown)).toBe('${kit:nope} ${env:KEEP}');
    expect([...unknown]).toEqual(['nope']);
  });
});

describe('kit values', () => {
  it('targets the Docker network by default and the host view on the embedded profile', () => {
    expect(docker.profile).toBe('docker');
    expect(docker.values).toMatchObject({
      clickhouse_host: 'clickhouse',
      clickhouse_port: '8123',
      clickhouse_ssl: 'false',
      registry_url: 'http://schema-registry:8081',
      database: 'kit',
      topic2table: 'user_events=events_connect',
      topics: 'user_events',
      connector_name: 'clickhouse-sink',
      dlq_topic: 'user_events-dlq',
      tasks_max: '1',
      max_poll_records: '5000',
      connector_user: 'kit_connector',
      exactly_once: 'false',
    });
    const embedded = kitValues(config, env, [userEvents], { profile: 'embedded' });
    expect(embedded.values).toMatchObject({
      clickhouse_host: '127.0.0.1',
      clickhouse_port: '8123',
      registry_url: 'http://127.0.0.1:8081',
    });
  });

  it('takes KIT_CONNECT_* overrides, and --exactly-once over KIT_CONNECTOR_EXACTLY_ONCE', () => {
    const e = { ...env, KIT_CONNECT_CLICKHOUSE_HOST: 'ch.internal', KIT_CONNECT_REGISTRY_URL: 'http://reg:8080/', KIT_CONNECTOR_EXACTLY_ONCE: 'true' };
    const v = kitValues(config, e, [userEvents]).values;
    expect(v.clickhouse_host).toBe('ch.internal');
    expect(v.registry_url).toBe('http://reg:8080');
    expect(v.exactly_once).toBe('true');
    expect(kitValues(config, e, [userEvents], { exactlyOnce: false }).values.exactly_once).toBe('false');
    expect(kitValues(config, { ...env, KIT_CONNECT_PROFILE: 'embedded' }, [userEvents]).profile).toBe('embedded');
  });

  it("takes exactly-once from the pipeline unless KIT_CONNECTOR_EXACTLY_ONCE or --exactly-once say otherwise", () => {
    const once = { ...userEvents, connector: { ...userEvents.connector, exactlyOnce: true } };
    expect(kitValues(config, env, [once]).values.exactly_once).toBe('true');
    expect(kitValues(config, { ...env, KIT_CONNECTOR_EXACTLY_ONCE: 'false' }, [once]).values.exactly_once).toBe('false');
    expect(kitValues(config, env, [once], { exactlyOnce: false }).values.exactly_once).toBe('false');
  });

  it("carries every topic and table of the pipelines sharing a connector, and only the stack's values without one", () => {
    const dir = scratchDir('kit-pipelines-');
    const shared = { name: 'shared-sink', dlqTopic: 'shared-dlq', exactlyOnce: false, tasksMax: 2, maxPollRecords: 100 };
    const a = writePipeline(dir, { name: 'a', schema: { file: SCHEMAS.userEvents }, connector: shared }, 'shop');
    const b = writePipeline(dir, { name: 'b', schema: { file: SCHEMAS.orders }, connector: shared }, 'shop');
    expect(kitValues(config, env, [a, b]).values).toMatchObject({ database: 'shop', topics: 'a,b', topic2table: 'a=a_connect,b=b_connect', connector_name: 'shared-sink', dlq_topic: 'shared-dlq', tasks_max: '2', max_poll_records: '100' });
    const none = kitValues(config, env, []).values;
    expect(none.database).toBe('kit');
    expect(Object.keys(none).sort()).toEqual(['clickhouse_host', 'clickhouse_port', 'clickhouse_ssl', 'connector_user', 'database', 'registry_url']);
  });

  it('rejects malformed overrides as bad input', () => {
    expect(() => kitValues(config, { ...env, KIT_CONNECTOR_EXACTLY_ONCE: 'maybe' }, [userEvents])).toThrow(UsageError);
    expect(() => kitValues(config, { ...env, KIT_CONNECT_PROFILE: 'k8s' }, [userEvents])).toThrow(/KIT_CONNECT_PROFILE/);
  });
});

describe('definitions', () => {
  it('reads JSON and YAML alike', () => {
    const yaml = parseDefinition('a.yaml', 'name: a\nconfig:\n  connector.class: FileStreamSink\n  tasks.max: 1\n  topics: t\n');
    expect(yaml.config['tasks.max']).toBe(1);
    const json = parseDefinition('a.json', fileSink('a'));
    expect(json.name).toBe('a');
  });

  it('names the file and the problem for bad JSON, bad YAML and a bad shape', () => {
    expect(() => parseDefinition('x.json', '{"name": "a",')).toThrow(/x\.json: not valid JSON/);
    expect(() => parseDefinition('x.yaml', 'name: [a\n')).toThrow(/x\.yaml: not valid YAML/);
    expect(() => parseDefinition('x.json', '{"name":"a","confg":{}}')).toThrow(DefinitionError);
    expect(() => parseDefinition('x.json', '{"name":"a","config":{"topics":"t"}}')).toThrow(/connector\.class/);
    expect(() => parseDefinition('x.json', '{"name":"a b","config":{"connector.class":"X"}}')).toThrow(/name may hold/);
    expect(() => parseDefinition('x.json', '{"name":"a","config":{"connector.class":"X","n":{"nested":1}}}')).toThrow(/config\.n/);
  });

  it('selects by --all, --file and --name, refusing unknown names and duplicates', () => {
    const dir = tempDir({ 'a.json': fileSink('a'), 'b.yml': 'name: b\nconfig: {connector.class: FileStreamSink, topics: t}\n', 'README.md': '# no' });
    expect(selectDefinitions({ all: true, dir }).map((d) => d.name)).toEqual(['a', 'b']);
    expect(selectDefinitions({ names: ['b'], dir }).map((d) => d.name)).toEqual(['b']);
    expect(selectDefinitions({ files: [path.join(dir, 'a.json')], dir }).map((d) => d.name)).toEqual(['a']);
    expect(selectDefinitions({ files: ['a.json'], dir }).map((d) => d.name)).toEqual(['a']);
    expect(() => selectDefinitions({ names: ['zz'], dir })).toThrow(/no definition named zz.*defined: a, b/);
    expect(() => selectDefinitions({ dir })).toThrow(/--file.*--name.*--all/);
    const dup = tempDir({ 'a.json': fileSink('same'), 'b.json': fileSink('same') });
    expect(() => selectDefinitions({ all: true, dir: dup })).toThrow(/defined twice/);
  });

  it('renders kit placeholders, keeps worker references verbatim and adds the name', () => {
    const def = parseDefinition('d.json', JSON.stringify({
      name: 'd',
      config: { 'connector.class': 'X', topics: '${kit:topics}', 'tasks.max': 2, ok: true, password: '${env:CLICKHOUSE_CONNECTOR_PASSWORD}' },
    }));
    const { rendered, problems } = renderDefinition(def, docker, env);
    expect(problems).toEqual([]);
    expect(rendered!.config).toEqual({
      'connector.class': 'X',
      topics: 'user_events',
      'tasks.max': '2',
      ok: 'true',
      password: '${env:CLICKHOUSE_CONNECTOR_PASSWORD}',
      name: 'd',
    });
    expect(rendered!.envRefs).toEqual(['CLICKHOUSE_CONNECTOR_PASSWORD']);
    // The resolved secret is known, so it can be scrubbed from traces, but never rendered.
    expect(rendered!.secrets).toEqual(['connector-pw-123']);
  });

  it('applies the profile overlay, where null removes a key', () => {
    const def = parseDefinition('d.json', JSON.stringify({
      name: 'd',
      config: { 'connector.class': 'X', a: '1', b: '2' },
      profiles: { embedded: { a: 'one', b: null, c: '${kit:registry_url}' } },
    }));
    const embedded = kitValues(config, env, [userEvents], { profile: 'embedded' });
    expect(renderDefinition(def, embedded, env).rendered!.config).toEqual({ 'connector.class': 'X', a: 'one', c: 'http://127.0.0.1:8081', name: 'd' });
    expect(renderDefinition(def, docker, env).rendered!.config).toEqual({ 'connector.class': 'X', a: '1', b: '2', name: 'd' });
  });

  it('refuses an unset ${env:VAR} and an unknown ${kit:...}, naming each, for all definitions at once', () => {
    const a = parseDefinition('a.json', JSON.stringify({ name: 'a', config: { 'connector.class': 'X', password: '${env:NOT_SET_ANYWHERE}' } }));
    const b = parseDefinition('b.json', JSON.stringify({ name: 'b', config: { 'connector.class': 'X', host: '${kit:clickhouse_hots}' } }));
    let error: Error | undefined;
    try {
      renderAll([a, b], docker, env);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(DefinitionError);
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.message).toMatch(/a\.json: password references \$\{env:NOT_SET_ANYWHERE\}, but NOT_SET_ANYWHERE is not set/);
    expect(error!.message).toMatch(/b\.json: unknown kit placeholder \$\{kit:clickhouse_hots\}; known: .*clickhouse_host/);
  });
});

describe("the pipelines' ClickHouse sink", () => {
  const def = loadDefinition(SINK_TEMPLATE);
  const all = shippedPipelines();

  it("renders the shipped user_events pipeline's connector for the Docker stack and passes lint", () => {
    const rendered = renderPipelineSinks(config, env, [userEvents], all);
    expect(rendered).toHaveLength(1);
    const r = rendered[0]!;
    expect(r.name).toBe('clickhouse-sink');
    expect(r.file).toBe('connect/pipeline-sink.json for user_events');
    expect(r.config).toMatchObject({
      name: 'clickhouse-sink',
      'tasks.max': '1',
      'consumer.override.max.poll.records': '5000',
      'connector.class': 'com.clickhouse.kafka.connect.ClickHouseSinkConnector',
      hostname: 'clickhouse',
      port: '8123',
      ssl: 'false',
      username: 'kit_connector',
      password: '${env:CLICKHOUSE_CONNECTOR_PASSWORD}',
      database: 'kit',
      topics: 'user_events',
      topic2TableMap: 'user_events=events_connect',
      exactlyOnce: 'false',
      reportInsertedOffsets: 'true',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': 'http://schema-registry:8081',
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': 'user_events-dlq',
      'errors.deadletterqueue.context.headers.enable': 'true',
      'transforms.lineage.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
      'transforms.lineage.topic.field': '_topic',
      'transforms.lineage.partition.field': '_partition',
      'transforms.lineage.offset.field': '_offset',
    });
    expect(lintConfig(r.config, r.name)).toEqual([]);
  });

  it("renders the shipped orders pipeline's own connector, lint-clean", () => {
    const [r] = renderPipelineSinks(config, env, [shippedPipeline('orders')], all);
    expect(r!.name).toBe('orders-clickhouse-sink');
    expect(r!.config).toMatchObject({ topics: 'orders', topic2TableMap: 'orders=orders_connect', 'errors.deadletterqueue.topic.name': 'orders-dlq', 'key.converter': 'org.apache.kafka.connect.storage.StringConverter' });
    expect(lintConfig(r!.config, r!.name)).toEqual([]);
    expect(renderPipelineSinks(config, env, all, all).map((x) => x.name)).toEqual(['orders-clickhouse-sink', 'clickhouse-sink']);
  });

  it('renders one connector for the pipelines sharing it, with their settings and an Avro key converter for Avro keys', () => {
    const dir = scratchDir('kit-pipelines-');
    writeFileSync(path.join(dir, 'key.avsc'), '"long"');
    const shared = { name: 'shared-sink', dlqTopic: 'shared-dlq', exactlyOnce: false, tasksMax: 1, maxPollRecords: 5000, settings: { 'batch.size': '100' } };
    const a = writePipeline(dir, { name: 'a', schema: { file: SCHEMAS.userEvents }, connector: shared, key: { schema: 'key.avsc' } }, 'kit');
    const b = writePipeline(dir, { name: 'b', schema: { file: SCHEMAS.orders }, connector: shared, key: { schema: 'key.avsc' } }, 'kit');
    const c = writePipeline(dir, { name: 'c', schema: { file: SCHEMAS.orders } }, 'kit');
    expect(connectorGroups([a, c, b]).map((g) => [g.name, g.pipelines.map((p) => p.name)])).toEqual([['shared-sink', ['a', 'b']], ['c-clickhouse-sink', ['c']]]);
    const rendered = renderPipelineSinks(config, env, [b], [a, b, c], { overrides: { 'consumer.override.fetch.min.bytes': '1' } });
    expect(rendered.map((r) => r.name)).toEqual(['shared-sink']);
    const r = rendered[0]!;
    expect(r.file).toBe('connect/pipeline-sink.json for a, b');
    expect(r.config).toMatchObject({
      topics: 'a,b',
      topic2TableMap: 'a=a_connect,b=b_connect',
      'errors.deadletterqueue.topic.name': 'shared-dlq',
      'batch.size': '100',
      'key.converter': 'io.confluent.connect.avro.AvroConverter',
      'key.converter.schema.registry.url': 'http://schema-registry:8081',
      'consumer.override.fetch.min.bytes': '1',
    });
    expect(lintConfig(r.config, r.name)).toEqual([]);
  });

  it('switches to Apicurio on the embedded profile and exactly-once on request, still lint-clean', () => {
    const r = renderPipelineSinks(config, env, [userEvents], all, { profile: 'embedded', exactlyOnce: true })[0]!;
    expect(r.config['value.converter']).toBe('io.apicurio.registry.utils.converter.AvroConverter');
    expect(r.config['value.converter.apicurio.registry.url']).toBe('http://127.0.0.1:8081');
    expect(r.config['value.converter.schema.registry.url']).toBeUndefined();
    expect(r.config.exactlyOnce).toBe('true');
    expect(lintConfig(r.config, r.name)).toEqual([]);
  });

  it('documents every key it sets, and the name each rendered connector takes', () => {
    expect(Object.keys(def.notes ?? {}).sort()).toEqual([...Object.keys(def.config), 'name'].sort());
  });
});
