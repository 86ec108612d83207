/**
 * Produces the kit's Avro user events to a topic through the schema registry:
 * deterministic (a seed), idempotent (acks=all), and accounted per partition so
 * `verify:parity` can check exactly the offsets of one run.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, Kafka, logLevel, Partitioners, type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import { UsageError } from '../cli.js';
import { EventGenerator, readSchema, SCHEMA_FILE, type UserEvent } from './events.js';
import { Registry } from './registry.js';

export interface ProduceOptions {
  brokers: string[];
  registryUrl: string;
  topic: string;
  /** Partitions for a topic this run creates. */
  partitions: number;
  /** Stop after this many events (poison messages not counted). */
  count?: number;
  /** Stop after this many seconds. */
  durationSec?: number;
  /** Events per second; 0 sends as fast as the broker takes them. */
  rate: number;
  batchSize: number;
  seed: number;
  poison: number;
  compression: 'none' | 'gzip';
  schemaFile?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  sent: number;
  target?: number;
  elapsedMs: number;
}

export interface PartitionRange {
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /** Messages this run wrote to the partition, events and poison. */
  messages: number;
}

export interface ProduceSummary {
  runId: string;
  topic: string;
  subject: string;
  schemaId: number;
  seed: number;
  events: number;
  poison: number;
  poisonOffsets: { partition: number; offset: string }[];
  partitions: PartitionRange[];
  bytes: number;
  elapsedMs: number;
  eventsPerSec: number;
  mbPerSec: number;
  interrupted: boolean;
  topicCreated: boolean;
}

export const RUN_ID_HEADER = 'kit-run-id';
export const PRODUCED_AT_HEADER = 'kit-produced-at';

function kafkaClient(brokers: string[]) {
  return new Kafka({
    clientId: 'kit-produce-avro',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

/** Where each poison message goes among the events: spread evenly over the run. */
export function poisonSlots(events: number, poison: number): Set<number> {
  const slots = new Set<number>();
  for (let k = 0; k < poison; k++) slots.add(Math.floor(((k + 1) * events) / (poison + 1)));
  return slots;
}

/** Bytes that are not a valid message for the subject: no Confluent magic byte. */
export function poisonValue(i: number): Buffer {
  return Buffer.from(`poison-${i}: not Avro, no schema id`);
}

export async function produceAvro(opts: ProduceOptions): Promise<ProduceSummary> {
  const subject = `${opts.topic}-value`;
  const schema = readSchema(opts.schemaFile ?? SCHEMA_FILE);
  const registry = new Registry(opts.registryUrl);
  await registry.ping();

  const kafka = kafkaClient(opts.brokers);
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (e) {
    throw new UsageError(`the Kafka broker at ${opts.brokers.join(',')} is unreachable (${(e as Error).message}); check KAFKA_BOOTSTRAP_SERVERS and that the stack is up`);
  }
  let producer: Producer | undefined;
  try {
    const topicCreated = await admin.createTopics({
      topics: [{ topic: opts.topic, numPartitions: opts.partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const meta = await admin.fetchTopicMetadata({ topics: [opts.topic] });
    const partitionMetadata: PartitionMetadata[] = meta.topics[0]!.partitions;

    const { id: schemaId } = await registry.registerChecked(subject, schema);

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    return await sendAll(opts, { producer, registry, schemaId, subject, partitionMetadata, topicCreated });
  } finally {
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

interface SendContext {
  producer: Producer;
  registry: Registry;
  schemaId: number;
  subject: string;
  partitionMetadata: PartitionMetadata[];
  topicCreated: boolean;
}

async function sendAll(opts: ProduceOptions, ctx: SendContext): Promise<ProduceSummary> {
  const runId = randomUUID();
  const generator = new EventGenerator(opts.seed);
  const partitioner = Partitioners.DefaultPartitioner();
  const target = opts.count;
  // Without a count (a --duration run), poison goes among the first thousand events per poison message.
  const poisonAt = poisonSlots(target ?? opts.poison * 1000, opts.poison);
  const ranges = new Map<number, { first: bigint; last: bigint; messages: number }>();
  const poisonOffsets: { partition: number; offset: string }[] = [];
  const started = Date.now();
  const deadline = opts.durationSec ? started + opts.durationSec * 1000 : Infinity;
  let events = 0;
  let poisonSent = 0;
  let bytes = 0;

  const done = () =>
    (target !== undefined && events >= target) || Date.now() >= deadline || opts.signal?.aborted === true;

  while (!done()) {
    const size = Math.min(opts.batchSize, target !== undefined ? target - events : opts.batchSize);
    const batch: { event?: UserEvent; poison?: number }[] = [];
    let poisonIndex = poisonSent;
    for (let i = 0; i < size; i++) {
      if (poisonIndex < opts.poison && poisonAt.has(events + i)) batch.push({ poison: poisonIndex++ });
      batch.push({ event: generator.next() });
    }
    const producedAt = new Date().toISOString();
    const messages: Message[] = await Promise.all(
      batch.map(async (item) => {
        const key = item.event ? item.event.user_id : `poison-${item.poison}`;
        const value = item.event ? await ctx.registry.encode(ctx.schemaId, item.event) : poisonValue(item.poison!);
        const message: Message = { key, value, headers: { [RUN_ID_HEADER]: runId, [PRODUCED_AT_HEADER]: producedAt } };
        message.partition = partitioner({ topic: opts.topic, partitionMetadata: ctx.partitionMetadata, message });
        return message;
      }),
    );
    const results = await ctx.producer.send({
      topic: opts.topic,
      messages,
      acks: -1,
      compression: opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    });

    // One record batch per partition per request: offsets run from baseOffset in message order.
    const perPartition = new Map<number, number>();
    const base = new Map(results.map((r) => [r.partition, BigInt(r.baseOffset ?? '0')]));
    for (const [i, m] of messages.entries()) {
      const p = m.partition!;
      const n = perPartition.get(p) ?? 0;
      perPartition.set(p, n + 1);
      const offset = base.get(p)! + BigInt(n);
      const item = batch[i]!;
      if (item.poison !== undefined) poisonOffsets.push({ partition: p, offset: offset.toString() });
      bytes += (m.value as Buffer).length + Buffer.byteLength(m.key as string);
    }
    for (const [p, n] of perPartition) {
      const first = base.get(p)!;
      const last = first + BigInt(n - 1);
      const r = ranges.get(p);
      ranges.set(p, r ? { first: r.first, last, messages: r.messages + n } : { first, last, messages: n });
    }
    events += size;
    poisonSent = poisonIndex;
    opts.onProgress?.({ sent: events, target, elapsedMs: Date.now() - started });

    if (opts.rate > 0) {
      const due = started + (events / opts.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(Math.min(wait, Math.max(0, deadline - Date.now())), undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }

  const elapsedMs = Date.now() - started;
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return {
    runId,
    topic: opts.topic,
    subject: ctx.subject,
    schemaId: ctx.schemaId,
    seed: opts.seed,
    events,
    poison: poisonSent,
    poisonOffsets,
    partitions: [...ranges.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, r]) => ({ partition, firstOffset: r.first.toString(), lastOffset: r.last.toString(), messages: r.messages })),
    bytes,
    elapsedMs,
    eventsPerSec: Math.round(events / seconds),
    mbPerSec: Number((bytes / 1e6 / seconds).toFixed(2)),
    interrupted: opts.signal?.aborted === true,
    topicCreated: ctx.topicCreated,
  };
}
