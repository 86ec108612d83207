/**
 * The topic as parity's third witness: reads exact offset ranges from Kafka and decodes each
 * record through the schema registry with its writer's schema (the Confluent wire format:
 * magic byte 0, the schema id, the Avro body), resolved to the pipeline's schema as a reader
 * of that schema would (a field the writer lacked takes its default), as either leg would.
 */
import type avro from 'avsc';
import type { Kafka } from 'kafkajs';
import type { ParsedSchema } from '../../pipeline/avro.js';
import { avroType } from '../../pipeline/values.js';
import type { Registry } from '../../registry/registry.js';
import type { OffsetRange } from '../queries.js';
import type { OffsetSample } from './sample.js';

/** A record as the topic holds it, read with the pipeline's schema. */
export type TopicRecord = Record<string, unknown>;

interface Reader {
  read(buf: Buffer): unknown;
}

/** Decodes records in the Confluent wire format, one registry lookup per schema id. */
export class WireDecoder {
  /** Per schema id: its reader, or why there is none. */
  private readonly readers = new Map<number, Reader | string>();
  private readonly reader: avro.Type;

  constructor(
    private readonly registry: Registry,
    schema: ParsedSchema,
  ) {
    this.reader = avroType(schema.json);
  }

  /** Looks up the schema ids of these values that are not known yet (one registry call each). */
  async prepare(values: (Buffer | null)[]): Promise<void> {
    for (const v of values) {
      if (!v || v.length < 5 || v[0] !== 0) continue;
      const id = v.readInt32BE(1);
      if (this.readers.has(id)) continue;
      this.readers.set(id, await this.readerFor(id));
    }
  }

  private async readerFor(id: number): Promise<Reader | string> {
    let writer: avro.Type;
    try {
      writer = avroType(JSON.parse(await this.registry.schemaById(id)));
    } catch (e) {
      return `schema id ${id}: ${(e as Error).message}`;
    }
    const reader = this.reader;
    if (writer.equals(reader)) return { read: (buf) => reader.fromBuffer(buf) };
    try {
      const resolver = reader.createResolver(writer);
      return { read: (buf) => reader.fromBuffer(buf, resolver) };
    } catch (e) {
      return `schema id ${id} cannot be read as the pipeline's schema: ${(e as Error).message}`;
    }
  }

  /** The record in one value, or why there is none; its schema id must have been prepared. */
  decode(value: Buffer | null): TopicRecord | string {
    if (!value || value.length < 5 || value[0] !== 0) return 'not in the Confluent wire format (no magic byte 0)';
    const id = value.readInt32BE(1);
    const reader = this.readers.get(id);
    if (reader === undefined) throw new Error(`schema id ${id} was not prepared`);
    if (typeof reader === 'string') return reader;
    try {
      return reader.read(value.subarray(5)) as TopicRecord;
    } catch (e) {
      return `schema id ${id}: ${(e as Error).message}`;
    }
  }
}

/** Where the reader hands sampled records. */
export interface RecordSink {
  /** One sampled record, in offset order per partition: its event, or why it is not one. */
  record(partition: number, offset: number, record: TopicRecord | string): void;
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
export async function readRanges(kafka: Kafka, registry: Registry, schema: ParsedSchema, topic: string, ranges: OffsetRange[], opts: ReadOptions): Promise<number> {
  const live = ranges.filter((r) => r.to >= r.from);
  if (live.length === 0) return 0;
  const total = live.reduce((s, r) => s + (r.to - r.from + 1n), 0n);
  const groupId = `kit-parity-topic-${process.pid}-${Date.now()}`;
  const decoder = new WireDecoder(registry, schema);
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
