import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  checkTogether,
  DEFAULT_ORDER_BY,
  loadPipelines,
  parsePipelineFile,
  PipelineError,
  resolvePipeline,
  selectPipelines,
  type Pipeline,
} from '../../src/pipeline/definition.js';
import { tempDir } from '../temp-dir.js';
import { PIPELINES_DIR, shippedPipeline, shippedPipelines, thrown } from './pipeline-fixtures.js';

/** A pipeline as the kit reads it from `<dir>/<name>.yaml` holding `text`. */
function pipeline(text: string, dir = '/defs'): Pipeline {
  const def = parsePipelineFile('x.yaml', text);
  return resolvePipeline(def, path.join(dir, `${def.name}.yaml`), { database: 'kit' });
}

const minimal = (name: string, more = '') => pipeline(`name: ${name}\nschema:\n  file: schemas/${name}.avsc\n${more}`);

describe('a pipeline definition', () => {
  it('derives every name it leaves out from the pipeline name', () => {
    const p = minimal('shop_orders');
    expect(p.topic).toEqual({ name: 'shop_orders', partitions: 3, replication: 1, configs: {} });
    expect(p.schema).toEqual({ file: '/defs/schemas/shop_orders.avsc' });
    expect(p.database).toBe('kit');
    expect(p.isDefault).toBe(false);
    expect(p.key).toBeUndefined();
    expect(p.tables).toEqual({
      connector: 'shop_orders_connect',
      kafka: 'shop_orders_kafka',
      kafkaQueue: 'shop_orders_kafka_queue',
      kafkaFanout: 'shop_orders_kafka_fanout',
      kafkaErrors: 'shop_orders_kafka_errors',
      kafkaQueueView: 'shop_orders_kafka_queue_mv',
      kafkaView: 'shop_orders_kafka_mv',
      kafkaErrorsView: 'shop_orders_kafka_errors_mv',
    });
    expect(p.orderBy).toEqual(DEFAULT_ORDER_BY);
    expect(p.connector).toEqual({
      name: 'shop-orders-clickhouse-sink',
      group: 'connect-shop-orders-clickhouse-sink',
      dlqTopic: 'shop_orders-dlq',
      exactlyOnce: false,
      tasksMax: 1,
      maxPollRecords: 5000,
      settings: {},
    });
    expect(p.kafkaEngine).toEqual({ group: 'clickhouse-kit-shop-orders', consumers: 1, skipBrokenMessages: 0, errorMode: 'stream', flushIntervalMs: 1000, settings: {} });
  });

  it('names the queue, fan-out, errors table and views after a kafkaTable it names, and the dead-letter topic after its topic', () => {
    const p = minimal('a', 'topic:\n  name: raw.a\n  retention: 7d\n  config:\n    cleanup.policy: delete\nclickhouse:\n  kafkaTable: a_engine\n  database: other\n');
    expect(p.tables).toMatchObject({ connector: 'a_connect', kafka: 'a_engine', kafkaQueue: 'a_engine_queue', kafkaFanout: 'a_engine_fanout', kafkaErrors: 'a_engine_errors', kafkaQueueView: 'a_engine_queue_mv', kafkaView: 'a_engine_mv', kafkaErrorsView: 'a_engine_errors_mv' });
    expect(p.database).toBe('other');
    expect(p.connector.dlqTopic).toBe('raw.a-dlq');
    expect(p.topic.configs).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': String(7 * 86_400_000) });
  });

  it('reads a registry subject, a key field and a key schema', () => {
    expect(pipeline('name: s\nschema:\n  subject: s-value\n').schema).toEqual({ subject: 's-value', version: 'latest' });
    expect(pipeline('name: s\nschema:\n  subject: s-value\n  version: 3\n').schema).toEqual({ subject: 's-value', version: 3 });
    expect(minimal('k', 'key:\n  field: user_id\n').key).toEqual({ field: 'user_id' });
    expect(minimal('k', 'key:\n  schema: keys/k.avsc\n').key).toEqual({ schemaFile: '/defs/keys/k.avsc' });
  });

  it('resolves the shipped user_events to the names the kit used before pipelines', () => {
    const p = shippedPipeline('user_events');
    expect(p.isDefault).toBe(true);
    expect(p.file).toBe(path.join(PIPELINES_DIR, 'user_events.yaml'));
    expect(p.topic.name).toBe('user_events');
    expect(p.schema).toEqual({ file: path.join(PIPELINES_DIR, 'schemas', 'user_events.avsc') });
    expect(p.key).toEqual({ field: 'user_id' });
    expect(p.tables).toMatchObject({ connector: 'events_connect', kafka: 'events_kafka', kafkaQueue: 'events_kafka_queue', kafkaErrors: 'events_kafka_errors', kafkaQueueView: 'events_kafka_queue_mv' });
    expect(p.connector).toMatchObject({ name: 'clickhouse-sink', group: 'connect-clickhouse-sink', dlqTopic: 'user_events-dlq' });
    expect(p.kafkaEngine.group).toBe('clickhouse-kit-user-events');
  });

  it('resolves the shipped orders to the derived names', () => {
    const p = shippedPipeline('orders');
    expect(p.isDefault).toBe(false);
    expect(p.tables).toMatchObject({ connector: 'orders_connect', kafka: 'orders_kafka' });
    expect(p.connector).toMatchObject({ name: 'orders-clickhouse-sink', dlqTopic: 'orders-dlq' });
    expect(p.kafkaEngine.group).toBe('clickhouse-kit-orders');
    expect(p.key).toEqual({ field: 'customer_id' });
    expect(shippedPipelines().map((x) => x.name)).toEqual(['orders', 'user_events']);
  });
});

describe('parsePipelineFile', () => {
  it("answers a typo'd key with the key's path, its line and the key it meant", () => {
    const e = thrown(() => parsePipelineFile('p/x.yaml', 'name: x\nschema:\n  file: a.avsc\nkafkaEngine:\n  consumer: 2\n'));
    expect(e).toBeInstanceOf(PipelineError);
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('p/x.yaml: not a pipeline definition:\n  kafkaEngine.consumer (line 5): unknown key; did you mean kafkaEngine.consumers?');
    expect(thrown(() => parsePipelineFile('p/x.yaml', 'name: x\nschema:\n  file: a.avsc\ntopik:\n  name: t\n')).message).toMatch(/ {2}topik \(line \d+\): unknown key; did you mean topic\?/);
  });

  // Suspected src bug (see the report): the line named is the line of the key's value, which
  // for a block value is the line after the key. Remove `.fails` once the key's line is named.
  it("names the line of a typo'd key whose value is a block", () => {
    expect(thrown(() => parsePipelineFile('p/x.yaml', 'name: x\nschema:\n  file: a.avsc\ntopik:\n  name: t\n')).message).toMatch(/ {2}topik \(line 4\): unknown key/);
  });

  it('names every problem of a file at once', () => {
    const e = thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema:\n  file: a.avsc\nconnector:\n  exactlyOnc: true\nclickhouse:\n  kafkaTabel: t\n'));
    expect(e.message).toMatch(/connector\.exactlyOnc \(line 5\): unknown key; did you mean connector\.exactlyOnce\?/);
    expect(e.message).toMatch(/clickhouse\.kafkaTabel \(line 7\): unknown key; did you mean clickhouse\.kafkaTable\?/);
  });

  it('lists the known keys when nothing is close', () => {
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema:\n  file: a.avsc\n  registryThing: 1\n')).message).toMatch(
      /schema\.registryThing \(line 4\): unknown key; known keys here: file, subject, version/,
    );
  });

  it('wants exactly one of schema.file and schema.subject, and a version only with a subject', () => {
    const one = /give exactly one of schema\.file \(a local \.avsc\) or schema\.subject/;
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema:\n  file: a.avsc\n  subject: s\n')).message).toMatch(one);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema: {}\n')).message).toMatch(one);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema:\n  file: a.avsc\n  version: 3\n')).message).toMatch(/schema\.version applies to schema\.subject only/);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema:\n  file: a.avsc\nkey:\n  field: a\n  schema: k.avsc\n')).message).toMatch(/give exactly one of key\.field or key\.schema/);
  });

  it('names a missing name, a bad name, a bad value and bad YAML', () => {
    expect(thrown(() => parsePipelineFile('x.yaml', 'schema:\n  file: a.avsc\n')).message).toMatch(/ {2}name \(line 1\): required: give a string/);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: Orders-2\nschema:\n  file: a.avsc\n')).message).toMatch(/name must start with a lowercase letter/);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema:\n  file: a.avsc\ntopic:\n  partitions: 0\n')).message).toMatch(/topic\.partitions \(line 5\): /);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema:\n  file: a.avsc\ntopic:\n  retention: a week\n')).message).toMatch(/topic\.retention \(line 5\): a duration such as 7d/);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema: [\n'))).toBeInstanceOf(PipelineError);
    expect(thrown(() => parsePipelineFile('x.yaml', 'name: x\nschema: [\n')).message).toMatch(/^x\.yaml: not valid YAML:/);
  });

  it('reads durations in every unit', () => {
    const retention = (v: string) => pipeline(`name: x\nschema:\n  file: a.avsc\ntopic:\n  retention: ${v}\n`).topic.configs['retention.ms'];
    expect(retention('500ms')).toBe('500');
    expect(retention('90s')).toBe('90000');
    expect(retention('30m')).toBe('1800000');
    expect(retention('12h')).toBe('43200000');
    expect(retention('infinite')).toBe('-1');
    expect(retention('1000')).toBe('1000');
  });
});

describe('loadPipelines', () => {
  it('wants each file named after its pipeline', () => {
    const dir = tempDir('kit-pipelines-');
    writeFileSync(path.join(dir, 'wrong.yaml'), 'name: right\nschema:\n  file: a.avsc\n');
    expect(thrown(() => loadPipelines(dir, { database: 'kit' })).message).toMatch(/wrong\.yaml: the file of pipeline right must be named right\.yaml/);
  });

  it('reads .yaml and .yml files in name order, and nothing from a directory that does not exist', () => {
    const dir = tempDir('kit-pipelines-');
    writeFileSync(path.join(dir, 'b.yml'), 'name: b\nschema:\n  file: b.avsc\n');
    writeFileSync(path.join(dir, 'a.yaml'), 'name: a\nschema:\n  file: a.avsc\n');
    writeFileSync(path.join(dir, 'notes.md'), '# not a pipeline');
    expect(loadPipelines(dir, { database: 'db' }).map((p) => [p.name, p.database])).toEqual([['a', 'db'], ['b', 'db']]);
    expect(loadPipelines(path.join(dir, 'nope'), { database: 'kit' })).toEqual([]);
  });
});

describe('checkTogether', () => {
  it('accepts the shipped pipelines', () => {
    expect(() => checkTogether(shippedPipelines())).not.toThrow();
  });

  it('refuses two pipelines writing one table', () => {
    const e = thrown(() => checkTogether([minimal('a', 'clickhouse:\n  connectorTable: shared\n'), minimal('b', 'clickhouse:\n  connectorTable: shared\n')]));
    expect(e).toBeInstanceOf(PipelineError);
    expect(e.message).toMatch(/table kit\.shared is claimed by two pipelines, a \(\/defs\/a\.yaml\) and b \(\/defs\/b\.yaml\)/);
    // In another database the same name is another table.
    expect(() => checkTogether([minimal('a', 'clickhouse:\n  connectorTable: shared\n'), minimal('b', 'clickhouse:\n  connectorTable: shared\n  database: other\n')])).not.toThrow();
  });

  it("refuses one pipeline's two legs on one table", () => {
    expect(thrown(() => checkTogether([minimal('a', 'clickhouse:\n  connectorTable: t\n  kafkaTable: t\n')])).message).toMatch(/clickhouse\.connectorTable and clickhouse\.kafkaTable are both t/);
  });

  it('refuses a shared topic and a shared consumer group', () => {
    expect(thrown(() => checkTogether([minimal('a', 'topic:\n  name: t\n'), minimal('b', 'topic:\n  name: t\n')])).message).toMatch(/topic t is claimed by two pipelines, a .* and b/);
    expect(thrown(() => checkTogether([minimal('a', 'kafkaEngine:\n  group: g\n'), minimal('b', 'kafkaEngine:\n  group: g\n')])).message).toMatch(/consumer group g is claimed by two pipelines, a .* and b/);
  });

  it('refuses two defaults', () => {
    expect(thrown(() => checkTogether([minimal('a', 'default: true\n'), minimal('b', 'default: true\n')])).message).toMatch(/more than one pipeline says default: true \(\/defs\/a\.yaml, \/defs\/b\.yaml\)/);
  });

  it('lets pipelines share a connector whose settings agree, and names what differs otherwise', () => {
    const shared = 'connector:\n  name: shared\n  dlqTopic: shared-dlq\n';
    expect(() => checkTogether([minimal('a', shared), minimal('b', shared)])).not.toThrow();
    const e = thrown(() => checkTogether([minimal('a', shared), minimal('b', `${shared}  exactlyOnce: true\n  tasksMax: 2\n`)]));
    expect(e).toBeInstanceOf(PipelineError);
    expect(e.message).toMatch(/pipelines a and b share connector shared but differ in connector\.exactlyOnce, connector\.tasksMax: one connector has one of each/);
    expect(thrown(() => checkTogether([minimal('a', shared), minimal('b', `${shared}  settings:\n    batch.size: 10\n`)])).message).toMatch(/differ in connector\.settings:/);
    expect(thrown(() => checkTogether([minimal('a', shared), minimal('b', `${shared}clickhouse:\n  database: other\n`)])).message).toMatch(/differ in database:/);
    expect(thrown(() => checkTogether([minimal('a', `${shared}key:\n  field: f\n`), minimal('b', `${shared}key:\n  schema: k.avsc\n`)])).message).toMatch(/differ in key:/);
    // Each dead-letter topic is derived from the pipeline's own topic, so sharing needs one named.
    expect(thrown(() => checkTogether([minimal('a', 'connector:\n  name: shared\n'), minimal('b', 'connector:\n  name: shared\n')])).message).toMatch(/differ in connector\.dlqTopic:/);
  });
});

describe('selectPipelines', () => {
  const a = minimal('a');
  const b = minimal('b');
  const marked = minimal('c', 'default: true\n');
  const opts = { allowAll: false, dir: '/defs' };

  it('takes the pipeline asked for, by name (--pipeline or KIT_PIPELINE)', () => {
    expect(selectPipelines([a, b, marked], 'b', opts)).toEqual([b]);
    expect(selectPipelines([a, b, marked], ' a ', opts)).toEqual([a]);
  });

  it('takes the one marked default, else the only one', () => {
    expect(selectPipelines([a, marked, b], undefined, opts)).toEqual([marked]);
    expect(selectPipelines([a], undefined, opts)).toEqual([a]);
  });

  it('refuses, listing the names, when none is asked for, marked or alone', () => {
    const e = thrown(() => selectPipelines([a, b], undefined, opts));
    expect(e).toBeInstanceOf(PipelineError);
    expect(e.message).toBe('2 pipelines are defined and none is the default: choose one with --pipeline (or KIT_PIPELINE): a, b');
    expect(thrown(() => selectPipelines([a, b], 'zz', opts)).message).toBe('no pipeline named zz in /defs; defined: a, b');
    expect(thrown(() => selectPipelines([], undefined, opts)).message).toMatch(/^no pipeline definitions in \/defs/);
  });

  it('takes all, or several names, only where the command allows', () => {
    expect(selectPipelines([a, b, marked], 'all', { ...opts, allowAll: true })).toEqual([a, b, marked]);
    expect(selectPipelines([a, b, marked], 'b,a', { ...opts, allowAll: true })).toEqual([b, a]);
    expect(thrown(() => selectPipelines([a, b], 'all', opts)).message).toBe('this command acts on one pipeline at a time; --pipeline takes one of: a, b');
    expect(thrown(() => selectPipelines([a, b], 'a,b', opts)).message).toBe('this command acts on one pipeline at a time; --pipeline takes one of: a, b');
  });
});
