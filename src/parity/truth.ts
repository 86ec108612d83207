/**
 * The truth from Kafka: per-partition log-start and end offsets (or one produce
 * run's ranges), the consumer groups' committed offsets, and the records a sink
 * connector dead-lettered.
 */
import type { Admin, Kafka } from 'kafkajs';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { OffsetRange } from './queries.js';

export interface PartitionTruth {
  partition: number;
  logStart: bigint;
  /** The next offset to be written (high watermark). */
  end: bigint;
}

/** The part of `produce:avro --json` that parity reads. */
export const RunSummarySchema = z.object({
  runId: z.string(),
  /** The pipeline produced to (absent in summaries written before pipelines). */
  pipeline: z.string().optional(),
  topic: z.string(),
  events: z.number().int(),
  poison: z.number().int().default(0),
  poisonOffsets: z.array(z.object({ partition: z.number().int(), offset: z.string() })).default([]),
  partitions: z.array(
    z.object({ partition: z.number().int(), firstOffset: z.string(), lastOffset: z.string(), messages: z.number().int() }),
  ),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** Each partition's log-start and end offsets, in partition order. */
export async function partitionEnds(admin: Admin, topic: string): Promise<PartitionTruth[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets
    .map((o) => ({ partition: o.partition, logStart: BigInt(o.low), end: BigInt(o.high) }))
    .sort((a, b) => a.partition - b.partition);
}

export async function topicTruth(admin: Admin, topic: string): Promise<PartitionTruth[]> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new UsageError(`topic ${topic} does not exist on the broker; check the pipeline's topic, or create it with \`npm run sql:apply\``);
  return partitionEnds(admin, topic);
}

/** The whole retained topic, or exactly one run's offsets when its summary is given. */
export function expectedRanges(truth: PartitionTruth[], run?: RunSummary): OffsetRange[] {
  if (!run) return truth.map((t) => ({ partition: t.partition, from: t.logStart, to: t.end - 1n }));
  return run.partitions.map((p) => ({ partition: p.partition, from: BigInt(p.firstOffset), to: BigInt(p.lastOffset) }));
}

/** Committed offsets of a group for the topic; undefined when the group never committed. */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint> | undefined> {
  const result = await admin.fetchOffsets({ groupId, topics: [topic] });
  const partitions = result.find((t) => t.topic === topic)?.partitions ?? [];
  const committed = new Map<number, bigint>();
  for (const p of partitions) if (p.offset !== '-1') committed.set(p.partition, BigInt(p.offset));
  return committed.size > 0 ? committed : undefined;
}

export interface DeadLetter {
  partition: number;
  offset: bigint;
  error?: string;
  /** The exception's class, e.g. the sink's exactly-once `...dlq.DuplicateException`. */
  exceptionClass?: string;
  /** The innermost cause in the stack trace (`Class: message`), where the exception wraps one. */
  rootCause?: string;
}

/** The last `Caused by:` of a Java stack trace: what went wrong beneath the wrappers. */
export function rootCauseOf(stackTrace: string | undefined): string | undefined {
  const causes = [...(stackTrace ?? '').matchAll(/^Caused by: (.+)$/gm)];
  return causes.at(-1)?.[1]?.trim();
}

/**
 * Reads a dead-letter topic from start to end and returns the original partition
 * and offset of every record of `topic` (Connect's context headers carry them).
 */
export async function readDeadLetters(kafka: Kafka, admin: Admin, dlqTopic: string, topic: string): Promise<DeadLetter[] | undefined> {
  const topics = await admin.listTopics();
  if (!topics.includes(dlqTopic)) return undefined;
  const ends = await admin.fetchTopicOffsets(dlqTopic);
  const remaining = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const letters: DeadLetter[] = [];
  if (remaining.size === 0) return letters;
  const consumer = kafka.consumer({ groupId: `kit-parity-dlq-${process.pid}-${Date.now()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading the dead-letter topic ${dlqTopic} took over 60 s`)), 60_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const h = message.headers ?? {};
            const text = (k: string) => h[k]?.toString();
            if (text('__connect.errors.topic') === topic) {
              letters.push({
                partition: Number(text('__connect.errors.partition')),
                offset: BigInt(text('__connect.errors.offset') ?? '-1'),
                error: text('__connect.errors.exception.message'),
                exceptionClass: text('__connect.errors.exception.class.name'),
                rootCause: rootCauseOf(text('__connect.errors.exception.stacktrace')),
              });
            }
            if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return letters;
}
