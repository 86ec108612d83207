/**
 * Produces a pipeline's Avro records to its topic through the schema registry: generated
 * from the schema and a seed (deterministic), or the user's own; keyed as the pipeline says;
 * idempotent (acks=all); accounted per partition so `verify:parity` can check exactly the
 * offsets of one run.
 *
 * For throughput (bench/produce.ts) this thread generates the records and encodes them into
 * one buffer per lane and batch (wire.ts), and each lane's worker thread sends its batches
 * with its own idempotent producer (lanes.ts); the next batches are encoded while earlier ones
 * are on the wire.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, type PartitionMetadata } from 'kafkajs';
import { connectAdmin, createTopic, kafkaClient } from '../kafka.js';
import type { ParsedType } from '../pipeline/avro.js';
import type { Pipeline } from '../pipeline/definition.js';
import { RecordGenerator, ValueGenerator } from '../pipeline/generate.js';
import type { PipelineSchema } from '../pipeline/load.js';
import { avroType } from '../pipeline/values.js';
import { Registry } from '../registry/registry.js';
import { Lane, laneCount, laneOf, PIPELINE_DEPTH } from './lanes.js';
import { keyedPartitioner } from './partitioner.js';
import { CONFLUENT_HEADER_BYTES, LaneBatchWriter, writeConfluent, type AvroWriter } from './wire.js';

export interface ProduceOptions {
  brokers: string[];
  registryUrl: string;
  /** The topic, its partitions (for a topic this run creates) and how records are keyed. */
  pipeline: Pipeline;
  /** The value schema records are written with (the pipeline's, or another version of it). */
  schema: PipelineSchema;
  /** With the pipeline's key.schema: that schema. */
  keySchema?: ParsedType;
  /** Stop after this many records (poison messages not counted). */
  count?: number;
  /** Stop after this many seconds. */
  durationSec?: number;
  /** Records per second; 0 sends as fast as the broker takes them. */
  rate: number;
  batchSize: number;
  /** Sender threads, each with its own idempotent producer owning some partitions (lanes.ts); DEFAULT_LANES unless given. */
  lanes?: number;
  seed: number;
  poison: number;
  compression: 'none' | 'gzip';
  /** Every n-th generated record carries one edge value (edges.ts); 0: none. */
  edgeEvery?: number;
  /** The records to send instead of generated ones (a file's; each an avsc value of `schema`). */
  records?: Iterator<Record<string, unknown>>;
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
  pipeline: string;
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

/** Events per batch unless asked otherwise: the fastest measured with one lane (BENCHMARKS.md). */
export const DEFAULT_BATCH_SIZE = 4000;

/**
 * A batch ends at --batch-size events or at about this many bytes on the wire, whichever
 * comes first, so that no partition's record batch nears the broker's default
 * `message.max.bytes` (1 MiB), even on one partition with large events.
 */
export const MAX_BATCH_BYTES = 768 * 1024;
/**
 * Wire bytes of a record besides its key and value, an upper bound: the two headers
 * (a 36-character UUID, a 24-character ISO time) and 24 for the record's own fields.
 */
const RECORD_OVERHEAD_BYTES = 24 + RUN_ID_HEADER.length + 36 + PRODUCED_AT_HEADER.length + 24;

/** Batches per second at most when a --rate is set. */
export const PACED_BATCHES_PER_SEC = 20;

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
  const { pipeline } = opts;
  const topic = pipeline.topic.name;
  const subject = `${topic}-value`;
  const registry = new Registry(opts.registryUrl);
  await registry.ping();

  const admin = await connectAdmin(kafkaClient(opts.brokers, 'kit-produce-avro'), opts.brokers);
  const lanes: Lane[] = [];
  try {
    const topicCreated = await createTopic(admin, pipeline.topic);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitionMetadata: PartitionMetadata[] = meta.topics[0]!.partitions;

    const { id: schemaId } = await registry.registerChecked(subject, opts.schema.parsed.text);
    const type = avroType(opts.schema.parsed.json) as unknown as AvroWriter;
    const keys = await keyEncoder(opts, registry, partitionMetadata);
    const poisonKeys = keyedPartitioner(topic, partitionMetadata);

    const runId = randomUUID();
    const started = await Promise.allSettled(
      Array.from({ length: laneCount(partitionMetadata.length, opts.lanes) }, (_, i) =>
        Lane.start(i, {
          clientId: `kit-produce-avro-${i}`,
          brokers: opts.brokers,
          topic,
          runId,
          runIdHeader: RUN_ID_HEADER,
          producedAtHeader: PRODUCED_AT_HEADER,
          compression: opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') lanes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    return await sendAll(opts, { lanes, registry, type, runId, schemaId, subject, topic, keys, poisonKeys, topicCreated });
  } finally {
    await Promise.all(lanes.map((l) => l.close()));
    await admin.disconnect().catch(() => undefined);
  }
}

/** Per record: its partition and key bytes, as the pipeline keys its records. */
type KeyOf = (record: Record<string, unknown>, index: number) => { partition: number; key: Buffer | null };

async function keyEncoder(opts: ProduceOptions, registry: Registry, partitionMetadata: PartitionMetadata[]): Promise<KeyOf> {
  const topic = opts.pipeline.topic.name;
  const key = opts.pipeline.key;
  const byKey = keyedPartitioner(topic, partitionMetadata);
  // Without keys: the partitions in turn.
  if (!key) return (_r, i) => ({ partition: partitionMetadata[i % partitionMetadata.length]!.partitionId, key: null });
  if ('field' in key) {
    const field = key.field;
    return (r) => byKey(String(r[field]));
  }
  // An Avro key: generated from the key schema (its own stream of the seed), registered as <topic>-key.
  const parsed = opts.keySchema;
  if (!parsed) throw new Error(`pipeline ${opts.pipeline.name} keys records with ${key.schemaFile}, which was not read`);
  const { id } = await registry.registerChecked(`${topic}-key`, parsed.text);
  const type = avroType(parsed.json) as unknown as AvroWriter;
  const gen = new ValueGenerator(parsed.root, opts.seed + 1_000_003);
  let buf = Buffer.allocUnsafe(256);
  return () => {
    const value = gen.next();
    for (;;) {
      const end = writeConfluent(type, id, value, buf, 0);
      if (end >= 0) return byKey(Buffer.from(buf.subarray(0, end)));
      buf = Buffer.allocUnsafe(buf.length - end + CONFLUENT_HEADER_BYTES + 64);
    }
  };
}

interface SendContext {
  lanes: Lane[];
  registry: Registry;
  type: AvroWriter;
  runId: string;
  schemaId: number;
  subject: string;
  topic: string;
  keys: KeyOf;
  poisonKeys: (key: string) => { partition: number; key: Buffer };
  topicCreated: boolean;
}

/** What the main thread keeps of a batch it handed to the lanes. */
interface Batch {
  events: number;
  poison: number;
  bytes: number;
  /** Messages per partition in this batch. */
  counts: Map<number, number>;
  /** Per poison message: its poison index, partition and position among the batch's messages of that partition. */
  poisonAt: { index: number; partition: number; position: number }[];
  acked: Promise<void>;
}

async function sendAll(opts: ProduceOptions, ctx: SendContext): Promise<ProduceSummary> {
  const { runId, lanes, type, schemaId } = ctx;
  const generator = opts.records ?? new RecordGenerator(opts.schema.parsed.root, opts.seed, opts.edgeEvery ?? 0);
  const target = opts.count;
  // Without a count (a --duration run), poison goes among the first thousand events per poison message.
  const poisonAt = poisonSlots(target ?? opts.poison * 1000, opts.poison);
  const ranges = new Map<number, { first: bigint; last: bigint; messages: number }>();
  const poisonOffsets: { partition: number; offset: string }[] = [];
  const started = Date.now();
  const deadline = opts.durationSec ? started + opts.durationSec * 1000 : Infinity;
  let prepared = 0; // events handed to the lanes
  let poisonPrepared = 0;
  let events = 0; // events acknowledged
  let poisonSent = 0;
  let bytes = 0;
  let avgBytes = 128;

  let exhausted = false;
  const done = () =>
    exhausted || (target !== undefined && prepared >= target) || Date.now() >= deadline || opts.signal?.aborted === true;

  /** Generates and encodes one batch (up to `size` events and MAX_BATCH_BYTES) into per-lane buffers and hands them to the lanes. */
  const dispatch = async (size: number): Promise<Batch> => {
    const perLane = Math.ceil((size + opts.poison) / lanes.length) + 16;
    const writers = lanes.map(() => new LaneBatchWriter(Math.ceil(Math.min(perLane * avgBytes, MAX_BATCH_BYTES) * 1.25), perLane));
    const batch: Omit<Batch, 'acked'> = { events: 0, poison: 0, bytes: 0, counts: new Map(), poisonAt: [] };
    const position = (partition: number) => {
      const n = batch.counts.get(partition) ?? 0;
      batch.counts.set(partition, n + 1);
      return n;
    };
    for (; batch.events < size && batch.bytes + (batch.events + batch.poison) * RECORD_OVERHEAD_BYTES < MAX_BATCH_BYTES; batch.events++) {
      if (poisonPrepared < opts.poison && poisonAt.has(prepared + batch.events)) {
        const index = poisonPrepared++;
        const { partition, key } = ctx.poisonKeys(`poison-${index}`);
        batch.poisonAt.push({ index, partition, position: position(partition) });
        batch.bytes += key.length + writers[laneOf(partition, lanes.length)]!.add(partition, key, poisonValue(index));
        batch.poison++;
      }
      const next = generator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const record = next.value;
      const { partition, key } = ctx.keys(record, prepared + batch.events);
      position(partition);
      const writer = writers[laneOf(partition, lanes.length)]!;
      try {
        batch.bytes += (key?.length ?? 0) + writer.addAvro(partition, key, type, schemaId, record);
      } catch (e) {
        throw new Error(`record ${prepared + batch.events} does not fit the schema: ${(e as Error).message.slice(0, 300)}`);
      }
    }
    avgBytes = Math.max(32, batch.bytes / Math.max(1, batch.events + batch.poison) + 8);
    const producedAt = new Date().toISOString();
    const sends = writers.map((w, lane) => (w.count === 0 ? undefined : lanes[lane]!.send(w, producedAt)));
    const acked = Promise.all(sends).then((perLane) => {
      // One record batch per partition per request: offsets run from baseOffset in message order.
      const base = new Map<number, bigint>();
      for (const results of perLane) for (const r of results ?? []) base.set(r.partition, BigInt(r.baseOffset ?? '0'));
      for (const [p, n] of batch.counts) {
        const first = base.get(p)!;
        const last = first + BigInt(n - 1);
        const r = ranges.get(p);
        ranges.set(p, r ? { first: r.first, last, messages: r.messages + n } : { first, last, messages: n });
      }
      for (const at of batch.poisonAt) poisonOffsets[at.index] = { partition: at.partition, offset: (base.get(at.partition)! + BigInt(at.position)).toString() };
    });
    // Settled below, in order; a rejection here is not an unhandled one.
    acked.catch(() => undefined);
    return { ...batch, acked };
  };

  // With --rate, a batch holds at most 1/PACED_BATCHES_PER_SEC of a second's events: a steady flow, not a burst then a pause.
  const batchLimit = opts.rate > 0 ? Math.min(opts.batchSize, Math.ceil(opts.rate / PACED_BATCHES_PER_SEC)) : opts.batchSize;
  const inFlight: Batch[] = [];
  let failure: unknown;
  const settleOldest = async () => {
    const batch = inFlight.shift()!;
    try {
      await batch.acked;
    } catch (e) {
      failure ??= e;
      return;
    }
    if (failure !== undefined) return;
    events += batch.events;
    poisonSent += batch.poison;
    bytes += batch.bytes;
    opts.onProgress?.({ sent: events, target, elapsedMs: Date.now() - started });
  };

  try {
    while (failure === undefined && !done()) {
      const size = Math.min(batchLimit, target !== undefined ? target - prepared : batchLimit);
      const batch = await dispatch(size);
      inFlight.push(batch);
      prepared += batch.events;
      // Generate the next batch while this one is on the wire; wait only when the pipeline is full.
      while (inFlight.length >= PIPELINE_DEPTH) await settleOldest();

      if (opts.rate > 0) {
        const due = started + (prepared / opts.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await sleep(Math.min(wait, Math.max(0, deadline - Date.now())), undefined, { signal: opts.signal }).catch(() => undefined);
      }
    }
  } finally {
    // Whatever was handed to the lanes is flushed and accounted before the summary (or the error).
    while (inFlight.length > 0) await settleOldest();
  }
  if (failure !== undefined) throw failure;

  const elapsedMs = Date.now() - started;
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return {
    runId,
    pipeline: opts.pipeline.name,
    topic: ctx.topic,
    subject: ctx.subject,
    schemaId,
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
