/**
 * The topic as parity's third witness: reads exact offset ranges from Kafka and decodes
 * each record through the schema registry with the writer's schema (the Confluent wire
 * format: magic byte 0, the schema id, the Avro body), as either leg would.
 */
import type { Kafka } from 'kafkajs';
import type { UserEvent } from '../../produce/events.js';
import type { Registry } from '../../registry/registry.js';
import type { OffsetRange } from '../queries.js';
import type { OffsetSample } from './sample.js';

/** An event as the topic holds it: the columns both legs store (the producer's event shape). */
export type TopicEvent = UserEvent;

interface AvroReader {
  fromBuffer(buf: Buffer): unknown;
}

/** Decodes records in the Confluent wire format, one registry lookup per schema id. */
export class WireDecoder {
  /** Per schema id: its reader, or why there is none. */
  private readonly types = new Map<number, AvroReader | string>();

  constructor(private readonly registry: Registry) {}

  /** Looks up the schema ids of these values that are not known yet (one registry call each). */
  async prepare(values: (Buffer | null)[]): Promise<void> {
    for (const v of values) {
      if (!v || v.length < 5 || v[0] !== 0) continue;
      const id = v.readInt32BE(1);
      if (this.types.has(id)) continue;
      this.types.set(
        id,
        await this.registry.client.getSchema(id).then(
          (t) => t as unknown as AvroReader,
          (e: Error) => `schema id ${id}: ${e.message}`,
        ),
      );
    }
  }

  /** The event in one value, or why there is none; its schema id must have been prepared. */
  decode(value: Buffer | null): TopicEvent | string {
    if (!value || value.length < 5 || value[0] !== 0) return 'not in the Confluent wire format (no magic byte 0)';
    const id = value.readInt32BE(1);
    const reader = this.types.get(id);
    if (reader === undefined) throw new Error(`schema id ${id} was not prepared`);
    if (typeof reader === 'string') return reader;
    let record: Record<string, unknown>;
    try {
      record = reader.fromBuffer(value.subarray(5)) as Record<string, unknown>;
    } catch (e) {
      return `schema id ${id}: ${(e as Error).message}`;
    }
    return toEvent(record);
  }
}

const EVENT_FIELDS: [keyof TopicEvent, 'string' | 'number'][] = [
  ['id', 'string'],
  ['user_id', 'string'],
  ['action', 'string'],
  ['event_time', 'number'],
  ['version', 'number'],
];

/**
 * The decoded record as an event (fields a later schema adds stay on it, unread; an
 * absent referrer reads NULL), or why it is not one. Checks in place: this runs once
 * per record.
 */
export function toEvent(r: Record<string, unknown>): TopicEvent | string {
  let wrong: string[] | undefined;
  for (const [field, type] of EVENT_FIELDS) if (typeof r[field] !== type) (wrong ??= []).push(field);
  if (r.referrer === undefined) r.referrer = null;
  else if (r.referrer !== null && typeof r.referrer !== 'string') (wrong ??= []).push('referrer');
  return wrong ? `not an event: ${wrong.join(', ')} missing or of another type` : (r as unknown as TopicEvent);
}

/** Where the reader hands sampled records. */
export interface RecordSink {
  /** One sampled record, in offset order per partition: its event, or why it is not one. */
  record(partition: number, offset: number, event: TopicEvent | string): void;
  /** After each fetched batch; awaited (back-pressure). */
  batchDone(): Promise<void>;
}

export interface ReadOptions {
  /** Fails when no batch arrives for this long (a range of any size reads to its end otherwise). */
  idleTimeoutMs: number;
  sample: OffsetSample;
  sink: RecordSink;
  onProgress?: (read: number, total: bigint) => void;
}

/**
 * Reads every offset of `ranges` once (a throwaway consumer group, deleted afterwards),
 * handing sampled records on; returns how many records were read.
 */
export async function readRanges(kafka: Kafka, registry: Registry, topic: string, ranges: OffsetRange[], opts: ReadOptions): Promise<number> {
  const live = ranges.filter((r) => r.to >= r.from);
  if (live.length === 0) return 0;
  const total = live.reduce((s, r) => s + (r.to - r.from + 1n), 0n);
  const groupId = `kit-parity-topic-${process.pid}-${Date.now()}`;
  const decoder = new WireDecoder(registry);
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytes: 64 << 20, maxBytesPerPartition: 16 << 20 });
  // Offsets as numbers: Kafka's stay below 2^53 in practice, and a BigInt per record costs.
  const pending = new Map(live.map((r) => [r.partition, { from: Number(r.from), to: Number(r.to) }]));
  let read = 0;
  const admin = kafka.admin();
  await admin.connect();
  // A subscription fetches every partition of the topic: the others are paused from the start.
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const others = (topics[0]?.partitions ?? []).map((p) => p.partitionId).filter((p) => !pending.has(p));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no record of ${topic} arrived for ${Math.round(opts.idleTimeoutMs / 1000)} s (${read} of ${total} read; partitions left: ${[...pending.keys()].join(', ')}): is the broker up?`),
          ),
        opts.idleTimeoutMs,
      );
      const finish = (e?: unknown) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, isRunning }) => {
            timer.refresh();
            const range = pending.get(batch.partition);
            if (!range || !isRunning()) return;
            await decoder.prepare(batch.messages.map((m) => m.value));
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              if (offset < range.from || offset > range.to) continue;
              read++;
              if (opts.sample.has(batch.partition, offset)) opts.sink.record(batch.partition, offset, decoder.decode(m.value));
            }
            if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
            await opts.sink.batchDone();
            opts.onProgress?.(read, total);
            const last = batch.messages.length > 0 ? Number(batch.lastOffset()) : -1;
            if (last >= range.to) {
              pending.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              if (pending.size === 0) finish();
            }
          },
        })
        .then(() => {
          if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
          // Start each partition at its range, not at the log start.
          for (const r of live) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
        })
        .catch(finish);
    });
  } finally {
    await consumer.disconnect();
    try {
      await admin.deleteGroups([groupId]);
    } catch {
      // The group only ever held a member, never offsets: nothing is lost when it stays.
    } finally {
      await admin.disconnect();
    }
  }
  return read;
}
