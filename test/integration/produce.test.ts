/**
 * produce:avro against the embedded stack's real broker and registry, for the demo's schema
 * and the richer orders schema: records as the seed generates them, keyed as each pipeline
 * says (a field, an Avro key schema, none), accounted per partition.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { fieldEdges, RecordGenerator, ValueGenerator } from '../../src/pipeline/generate.js';
import { parseKeySchema } from '../../src/pipeline/avro.js';
import { readSchemaFile, schemaFromText } from '../../src/pipeline/load.js';
import { avroType } from '../../src/pipeline/values.js';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { PACED_BATCHES_PER_SEC, PRODUCED_AT_HEADER, produceAvro, RUN_ID_HEADER, type ProduceSummary } from '../../src/produce/producer.js';
import { IncompatibleSchemaError, Registry } from '../../src/registry/registry.js';
import { projectRoot } from '../../src/paths.js';
import { eventually, isolatedKit, ORDERS_SCHEMA, produceOptions, USER_EVENTS_SCHEMA, type IsolatedKit } from './helpers.js';
import { tempDir } from '../temp-dir.js';

let kit: IsolatedKit;
let kafka: Kafka;
let admin: Admin;
let registry: Registry;
let events: ResolvedPipeline;
let orders: ResolvedPipeline;
let summary: ProduceSummary;
const COUNT = 500;

interface Message {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer;
  runId?: string;
  producedAt?: string;
}

/** Reads a whole topic from the beginning. */
async function readTopic(topic: string, expected: number): Promise<Message[]> {
  const consumer = kafka.consumer({ groupId: `it-read-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: Message[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${messages.length}/${expected} messages of ${topic}`)), 60_000);
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          messages.push({ partition, offset: message.offset, key: message.key, value: message.value!, runId: message.headers?.[RUN_ID_HEADER]?.toString(), producedAt: message.headers?.[PRODUCED_AT_HEADER]?.toString() });
          if (messages.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return messages;
}

/** A value in the Confluent wire format, decoded with the writer's schema the registry holds for its id; undefined for anything else. */
async function decode(value: Buffer): Promise<Record<string, unknown> | undefined> {
  if (value.length < 5 || value[0] !== 0) return undefined;
  const type = avroType(JSON.parse(await registry.schemaById(value.readInt32BE(1))));
  return type.fromBuffer(value.subarray(5)) as Record<string, unknown>;
}

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/produce-avro.ts', ...args], { cwd: projectRoot, env: kit.env(extraEnv), encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  kit = isolatedKit('produce');
  kafka = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING });
  registry = new Registry(kit.config.registry.url);
  admin = kafka.admin();
  await admin.connect();
  events = await kit.pipeline(USER_EVENTS_SCHEMA, { key: { field: 'user_id' }, default: true });
  orders = await kit.pipeline(ORDERS_SCHEMA, { key: { field: 'customer_id' } }, 'orders');
  // Three lanes (one per partition): the multi-lane path, with its per-lane offsets, under the checks below.
  summary = await produceAvro(produceOptions(kit, events, { count: COUNT, seed: 99, poison: 3, lanes: 3, batchSize: 100 }));
});

afterAll(async () => {
  const existing = await admin.listTopics();
  await admin.deleteTopics({ topics: existing.filter((t) => t.startsWith(kit.tag)) }).catch(() => undefined);
  await admin.disconnect();
  await kit.drop();
});

describe('produce:avro', () => {
  it("creates the topic with the pipeline's partitions and registers the subject", async () => {
    expect(summary.topicCreated).toBe(true);
    expect(summary.pipeline).toBe(events.pipeline.name);
    const meta = await admin.fetchTopicMetadata({ topics: [events.pipeline.topic.name] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);
    const latest = await registry.latestVersion(`${events.pipeline.topic.name}-value`);
    expect(latest?.id).toBe(summary.schemaId);
    expect(JSON.parse(latest!.schema)).toMatchObject({ name: 'UserEvent' });
  });

  it('sends records that decode through the registry to exactly what the seed generates, keyed by the key field', async () => {
    const messages = await readTopic(events.pipeline.topic.name, COUNT + 3);
    const decoded: Record<string, unknown>[] = [];
    let undecodable = 0;
    for (const m of messages) {
      expect(m.runId).toBe(summary.runId);
      const record = await decode(m.value);
      if (record) {
        expect(m.key!.toString()).toBe(record.user_id);
        decoded.push(record);
      } else {
        undecodable++;
        expect(m.key!.toString()).toMatch(/^poison-/);
      }
    }
    expect(undecodable).toBe(3);
    const key = (r: Record<string, unknown>) => `${r.event_time}`;
    const expected = new RecordGenerator(events.schema.parsed.root, 99).take(COUNT);
    expect(new Map(decoded.map((r) => [key(r), r]))).toEqual(new Map(expected.map((r) => [key(r), r])));
  });

  it('reports per-partition offsets that match the topic, and where each poison message is', async () => {
    const ends = await admin.fetchTopicOffsets(events.pipeline.topic.name);
    expect(summary.partitions.reduce((s, p) => s + p.messages, 0)).toBe(COUNT + 3);
    for (const p of summary.partitions) {
      const end = ends.find((e) => e.partition === p.partition)!;
      expect(p.firstOffset).toBe('0');
      expect(BigInt(p.lastOffset)).toBe(BigInt(end.high) - 1n);
      expect(p.messages).toBe(Number(end.high));
    }
    const messages = await readTopic(events.pipeline.topic.name, COUNT + 3);
    const poisonAt = messages.filter((m) => m.key!.toString().startsWith('poison-')).map((m) => ({ partition: m.partition, offset: m.offset }));
    expect(poisonAt.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))).toEqual(
      [...summary.poisonOffsets].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset)),
    );
  });

  it('a second run with the same seed sends the same records again, at new offsets', async () => {
    const again = await produceAvro(produceOptions(kit, events, { count: 50, seed: 99 }));
    expect(again.schemaId).toBe(summary.schemaId);
    expect(again.topicCreated).toBe(false);
    for (const p of again.partitions) {
      const before = summary.partitions.find((x) => x.partition === p.partition)!;
      expect(BigInt(p.firstOffset)).toBeGreaterThan(BigInt(before.lastOffset));
    }
  });

  it('sends the richer schema (decimals, enums, uuids, micros timestamps, arrays, maps, a nested record) exactly, keyed by a long field', async () => {
    const run = await produceAvro(produceOptions(kit, orders, { count: 300, seed: 7 }));
    const messages = await readTopic(orders.pipeline.topic.name, 300);
    const expected = new RecordGenerator(orders.schema.parsed.root, 7).take(300);
    const decoded = await Promise.all(messages.map(async (m) => ({ key: m.key!.toString(), record: (await decode(m.value))! })));
    for (const d of decoded) expect(d.key).toBe(String(d.record.customer_id));
    const byId = (rs: Record<string, unknown>[]) => new Map(rs.map((r) => [r.order_id as string, r]));
    expect(byId(decoded.map((d) => d.record))).toEqual(byId(expected));
    expect(run.subject).toBe(`${orders.pipeline.topic.name}-value`);
  });

  it('with --edge, every n-th record carries the next edge value in one field, decoded exactly', async () => {
    const edgy = await kit.pipeline(ORDERS_SCHEMA, { topic: { partitions: 1, replication: 1 } }, 'edge');
    const edges = fieldEdges(edgy.schema.parsed.root);
    const n = edges.length;
    await produceAvro(produceOptions(kit, edgy, { count: n * 2, seed: 8, edgeEvery: 2 }));
    const messages = (await readTopic(edgy.pipeline.topic.name, n * 2)).sort((a, b) => Number(a.offset) - Number(b.offset));
    for (let i = 1; i < n * 2; i += 2) {
      const { field, edge } = edges[(i - 1) / 2]!;
      const record = (await decode(messages[i]!.value))!;
      expect(record[field], `record ${i}: ${field} = ${edge.label}`).toEqual(edge.value);
    }
  });

  it('keys records with an Avro key schema (registered as <topic>-key), or sends them without keys when the pipeline names none', async () => {
    const keyFile = path.join(tempDir('kit-key-'), 'key.avsc');
    writeFileSync(keyFile, JSON.stringify({ type: 'record', name: 'OrderKey', fields: [{ name: 'shop', type: 'string' }, { name: 'n', type: 'long' }] }));
    const keyed = await kit.pipeline(ORDERS_SCHEMA, { key: { schema: keyFile } }, 'avrokey');
    await produceAvro(produceOptions(kit, keyed, { count: 40, seed: 9 }));
    const keyType = avroType(parseKeySchema(await registry.latestVersion(`${keyed.pipeline.topic.name}-key`).then((v) => v!.schema), 'key').json);
    const gen = new ValueGenerator(keyed.keySchema!.root, 9 + 1_000_003);
    const want = Array.from({ length: 40 }, () => gen.next());
    const got = (await readTopic(keyed.pipeline.topic.name, 40)).map((m) => {
      expect(m.key![0]).toBe(0);
      return keyType.fromBuffer(m.key!.subarray(5));
    });
    expect(got.sort((a, b) => String((a as { shop: string }).shop).localeCompare(String((b as { shop: string }).shop)))).toEqual(
      want.sort((a, b) => String((a as { shop: string }).shop).localeCompare(String((b as { shop: string }).shop))),
    );

    const keyless = await kit.pipeline(ORDERS_SCHEMA, {}, 'nokey');
    const run = await produceAvro(produceOptions(kit, keyless, { count: 30, seed: 10 }));
    const messages = await readTopic(keyless.pipeline.topic.name, 30);
    expect(messages.every((m) => m.key === null)).toBe(true);
    // Without keys, the partitions in turn.
    expect(run.partitions.map((p) => p.messages)).toEqual([10, 10, 10]);
  });

  it("ends a batch before the broker's 1 MiB message limit: one partition, a batch size far above what 1 MiB holds", async () => {
    const one = await kit.pipeline(USER_EVENTS_SCHEMA, { key: { field: 'user_id' }, topic: { partitions: 1, replication: 1 } }, 'one');
    const big = await produceAvro(produceOptions(kit, one, { count: 20_000, batchSize: 50_000, seed: 5 }));
    // Keys and values alone are over 1 MiB: one batch of them all would be refused.
    expect(big.bytes).toBeGreaterThan(1024 * 1024);
    const [end] = await admin.fetchTopicOffsets(one.pipeline.topic.name);
    expect(big.partitions).toEqual([{ partition: 0, firstOffset: '0', lastOffset: '19999', messages: 20_000 }]);
    expect(end!.high).toBe('20000');
  });

  it('paces a --rate run: small batches spread over the run, not one burst', async () => {
    const rate = await kit.pipeline(USER_EVENTS_SCHEMA, { key: { field: 'user_id' } }, 'rate');
    // 200 records/s: batches of 200 / PACED_BATCHES_PER_SEC records, one every 1/PACED_BATCHES_PER_SEC s, over about a second.
    const paced = await produceAvro(produceOptions(kit, rate, { count: 200, rate: 200, batchSize: 4000, seed: 6 }));
    expect(paced.events).toBe(200);
    const times = [...new Set((await readTopic(rate.pipeline.topic.name, 200)).map((m) => m.producedAt!))].map((t) => Date.parse(t)).sort((a, b) => a - b);
    expect(times.length).toBeGreaterThanOrEqual(PACED_BATCHES_PER_SEC * 0.8);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(800);
  });

  it("refuses a schema the registry finds incompatible, with the registry's reason, and sends nothing", async () => {
    const schema = JSON.parse(readSchemaFile(USER_EVENTS_SCHEMA).text);
    // `version` from int to string: BACKWARD-incompatible.
    schema.fields = schema.fields.map((f: { name: string }) => (f.name === 'version' ? { name: 'version', type: 'string' } : f));
    const file = path.join(tempDir('kit-schema-'), 'v2.avsc');
    writeFileSync(file, JSON.stringify(schema));
    const endsBefore = await admin.fetchTopicOffsets(events.pipeline.topic.name);
    const err = await produceAvro(produceOptions(kit, events, { count: 10, seed: 1, schema: schemaFromText(JSON.stringify(schema), file) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleSchemaError);
    expect((err as Error).message).toContain(`${events.pipeline.topic.name}-value`);
    // The registry's own words about what is incompatible.
    expect((err as IncompatibleSchemaError).reasons.join(' ')).toMatch(/STRING not compatible with writer type: INT/);
    expect(await admin.fetchTopicOffsets(events.pipeline.topic.name)).toEqual(endsBefore);

    const out = cli(['--count', '10', '--schema', file]);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/not compatible/);
  });

  it('prints a machine summary with --json, of the default pipeline or the one named', () => {
    const out = cli(['--count', '20', '--seed', '3', '--json']);
    expect(out.status, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout) as ProduceSummary;
    expect(json).toMatchObject({ pipeline: events.pipeline.name, topic: events.pipeline.topic.name, events: 20, poison: 0, seed: 3 });
    expect(json.partitions.reduce((s, p) => s + p.messages, 0)).toBe(20);
    const named = JSON.parse(cli(['--pipeline', orders.pipeline.name, '--count', '5', '--json']).stdout) as ProduceSummary;
    expect(named).toMatchObject({ pipeline: orders.pipeline.name, topic: orders.pipeline.topic.name, events: 5 });
  });

  it('on Ctrl-C flushes what is in flight and prints the summary of what was really sent', async () => {
    const sigint = await kit.pipeline(USER_EVENTS_SCHEMA, { key: { field: 'user_id' } }, 'sigint');
    const topic = sigint.pipeline.topic.name;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/produce-avro.ts', '--pipeline', sigint.pipeline.name, '--duration', '120', '--rate', '20000', '--json'], { cwd: projectRoot, env: kit.env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually('records on the topic', async () => (await admin.fetchTopicOffsets(topic).catch(() => [])).reduce((n, p) => n + Number(p.high), 0), (n) => n >= 20_000, 60_000);
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(0);
      expect(stderr).toContain('interrupted: flushing what is in flight');
      const s = JSON.parse(stdout) as ProduceSummary;
      expect(s.interrupted).toBe(true);
      expect(s.events).toBeGreaterThanOrEqual(20_000);
      const ends = await admin.fetchTopicOffsets(topic);
      expect(s.partitions.reduce((n, p) => n + p.messages, 0)).toBe(s.events);
      for (const end of ends) {
        const p = s.partitions.find((x) => x.partition === end.partition)!;
        expect(BigInt(p.lastOffset) + 1n).toBe(BigInt(end.high));
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 2 with a clear message on bad flags, 3 on an unreachable broker or registry', () => {
    const bad = cli(['--count', 'ten']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--count must be an integer');
    const none = cli([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--count');
    const broker = cli(['--count', '1'], { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' });
    expect(broker.status).toBe(3);
    expect(broker.stderr).toMatch(/Kafka broker at 127.0.0.1:1 is unreachable/);
    const reg = cli(['--count', '1'], { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' });
    expect(reg.status).toBe(3);
    expect(reg.stderr).toMatch(/schema registry at http:\/\/127.0.0.1:1 is unreachable/);
  });
});
