/**
 * produce:avro against the embedded stack's real broker and registry.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { EventGenerator, readSchema } from '../../src/produce/events.js';
import { PACED_BATCHES_PER_SEC, PRODUCED_AT_HEADER, produceAvro, RUN_ID_HEADER, type ProduceSummary } from '../../src/produce/producer.js';
import { IncompatibleSchemaError, Registry } from '../../src/registry/registry.js';
import { projectRoot } from '../../src/paths.js';
import { eventually, isolatedConfig } from './helpers.js';
import { tempDir } from '../temp-dir.js';

const config = isolatedConfig('produce');
const kafka = new Kafka({ brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
let admin: Admin;
let summary: ProduceSummary;
const COUNT = 500;

const baseOptions = {
  brokers: config.kafka.brokers,
  registryUrl: config.registry.url,
  partitions: 3,
  rate: 0,
  batchSize: 100,
  compression: 'none' as const,
};

/** Reads a whole topic from the beginning: [partition, offset, key, value, headers]. */
async function readTopic(topic: string, expected: number) {
  const consumer = kafka.consumer({ groupId: `it-read-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: { partition: number; offset: string; key: string; value: Buffer; runId?: string; producedAt?: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${messages.length}/${expected} messages of ${topic}`)), 60_000);
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          messages.push({ partition, offset: message.offset, key: message.key!.toString(), value: message.value!, runId: message.headers?.[RUN_ID_HEADER]?.toString(), producedAt: message.headers?.[PRODUCED_AT_HEADER]?.toString() });
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

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/produce-avro.ts', ...args], {
    cwd: projectRoot,
    env: { ...process.env, KIT_TOPIC: config.topic, ...extraEnv },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  // Three lanes (one per partition): the multi-lane path, with its per-lane offsets, under the checks below.
  summary = await produceAvro({ ...baseOptions, topic: config.topic, count: COUNT, seed: 99, poison: 3, lanes: 3 });
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [config.topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('produce:avro', () => {
  it('creates the topic with the asked partitions and registers the subject', async () => {
    expect(summary.topicCreated).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [config.topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);
    const latest = await new Registry(config.registry.url).latestVersion(`${config.topic}-value`);
    expect(latest?.id).toBe(summary.schemaId);
    expect(JSON.parse(latest!.schema)).toMatchObject({ name: 'UserEvent' });
  });

  it('sends events that decode through the registry to exactly what the seed generates, keyed by user', async () => {
    const messages = await readTopic(config.topic, COUNT + 3);
    const registry = new Registry(config.registry.url);
    const decoded = new Map<string, unknown>();
    let undecodable = 0;
    for (const m of messages) {
      expect(m.runId).toBe(summary.runId);
      try {
        const event = (await registry.decode(m.value)) as { id: string; user_id: string };
        expect(m.key).toBe(event.user_id);
        decoded.set(event.id, event);
      } catch {
        undecodable++;
        expect(m.key).toMatch(/^poison-/);
      }
    }
    expect(undecodable).toBe(3);
    const expected = new EventGenerator(99).take(COUNT);
    expect(decoded.size).toBe(COUNT);
    for (const e of expected) expect(decoded.get(e.id)).toEqual(e);
  });

  it('reports per-partition offsets that match the topic, and where each poison message is', async () => {
    const ends = await admin.fetchTopicOffsets(config.topic);
    expect(summary.partitions.reduce((s, p) => s + p.messages, 0)).toBe(COUNT + 3);
    for (const p of summary.partitions) {
      const end = ends.find((e) => e.partition === p.partition)!;
      expect(p.firstOffset).toBe('0');
      expect(BigInt(p.lastOffset)).toBe(BigInt(end.high) - 1n);
      expect(p.messages).toBe(Number(end.high));
    }
    const messages = await readTopic(config.topic, COUNT + 3);
    const poisonAt = messages.filter((m) => m.key.startsWith('poison-')).map((m) => ({ partition: m.partition, offset: m.offset }));
    expect(poisonAt.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))).toEqual(
      [...summary.poisonOffsets].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset)),
    );
  });

  it('a second run with the same seed sends the same events again, at new offsets', async () => {
    const again = await produceAvro({ ...baseOptions, topic: config.topic, count: 50, seed: 99, poison: 0 });
    expect(again.schemaId).toBe(summary.schemaId);
    expect(again.topicCreated).toBe(false);
    for (const p of again.partitions) {
      const before = summary.partitions.find((x) => x.partition === p.partition)!;
      expect(BigInt(p.firstOffset)).toBeGreaterThan(BigInt(before.lastOffset));
    }
  });

  it("ends a batch before the broker's 1 MiB message limit: one partition, a batch size far above what 1 MiB holds", async () => {
    const topic = `${config.topic}-one`;
    try {
      const big = await produceAvro({ ...baseOptions, topic, partitions: 1, count: 20_000, batchSize: 50_000, seed: 5, poison: 0 });
      // Keys and values alone are over 1 MiB: one batch of them all would be refused.
      expect(big.bytes).toBeGreaterThan(1024 * 1024);
      const [end] = await admin.fetchTopicOffsets(topic);
      expect(big.partitions).toEqual([{ partition: 0, firstOffset: '0', lastOffset: '19999', messages: 20_000 }]);
      expect(end!.high).toBe('20000');
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  });

  it('paces a --rate run: small batches spread over the run, not one burst', async () => {
    const topic = `${config.topic}-rate`;
    try {
      // 200 events/s: batches of 200 / PACED_BATCHES_PER_SEC events, one every 1/PACED_BATCHES_PER_SEC s, over about a second.
      const paced = await produceAvro({ ...baseOptions, topic, count: 200, rate: 200, batchSize: 4000, seed: 6, poison: 0 });
      expect(paced.events).toBe(200);
      const times = [...new Set((await readTopic(topic, 200)).map((m) => m.producedAt!))].map((t) => Date.parse(t)).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(PACED_BATCHES_PER_SEC * 0.8);
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(800);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  });

  it("refuses a schema the registry finds incompatible, with the registry's reason, and sends nothing", async () => {
    const schema = JSON.parse(readSchema());
    // `version` from int to string: BACKWARD-incompatible.
    schema.fields = schema.fields.map((f: { name: string }) => (f.name === 'version' ? { name: 'version', type: 'string' } : f));
    const file = path.join(tempDir('kit-schema-'), 'v2.avsc');
    writeFileSync(file, JSON.stringify(schema));
    const endsBefore = await admin.fetchTopicOffsets(config.topic);
    const err = await produceAvro({ ...baseOptions, topic: config.topic, count: 10, seed: 1, poison: 0, schemaFile: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleSchemaError);
    expect((err as Error).message).toContain(`${config.topic}-value`);
    // The registry's own words about what is incompatible.
    expect((err as IncompatibleSchemaError).reasons.join(' ')).toMatch(/STRING not compatible with writer type: INT/);
    expect(await admin.fetchTopicOffsets(config.topic)).toEqual(endsBefore);

    const out = cli(['--count', '10', '--schema', file]);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/not compatible/);
  });

  it('prints a machine summary with --json', () => {
    const out = cli(['--count', '20', '--seed', '3', '--json']);
    expect(out.status, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout) as ProduceSummary;
    expect(json).toMatchObject({ topic: config.topic, events: 20, poison: 0, seed: 3 });
    expect(json.partitions.reduce((s, p) => s + p.messages, 0)).toBe(20);
  });

  it('on Ctrl-C flushes what is in flight and prints the summary of what was really sent', async () => {
    const topic = `${config.topic}-sigint`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/produce-avro.ts', '--topic', topic, '--duration', '120', '--rate', '20000', '--json'], {
      cwd: projectRoot,
      env: { ...process.env, KIT_TOPIC: config.topic },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually('events on the topic', async () => (await admin.fetchTopicOffsets(topic).catch(() => [])).reduce((n, p) => n + Number(p.high), 0), (n) => n >= 20_000, 60_000);
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
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  });

  it('exits 2 with a clear message on bad flags and on an unreachable broker or registry', () => {
    const bad = cli(['--count', 'ten']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--count must be an integer');
    const none = cli([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--count');
    const broker = cli(['--count', '1'], { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' });
    expect(broker.status).toBe(2);
    expect(broker.stderr).toMatch(/Kafka broker at 127.0.0.1:1 is unreachable/);
    const registry = cli(['--count', '1'], { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' });
    expect(registry.status).toBe(2);
    expect(registry.stderr).toMatch(/schema registry at http:\/\/127.0.0.1:1 is unreachable/);
  });
});
