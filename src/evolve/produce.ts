/**
 * v2 events: the v1 generator's events, unchanged but for `version: 2` and the new
 * `session_id`, derived from the event itself so the same seed gives the same v2
 * events (the v1 generator's output is untouched).
 *
 * produceAvro builds its own v1 EventGenerator, so the v2 events are sent here the
 * way produceAvro sends them: registered with the compatibility check, encoded by the
 * registry client (Confluent wire format), keyed by user_id through kafkajs's default
 * partitioner, with the run headers; one idempotent producer, acks=all.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { UsageError } from '../cli.js';
import { EventGenerator, type UserEvent } from '../produce/events.js';
import { PRODUCED_AT_HEADER, RUN_ID_HEADER, type ProduceSummary } from '../produce/producer.js';
import { Registry } from '../produce/registry.js';

export interface UserEventV2 extends UserEvent {
  session_id: string | null;
}

/** FNV-1a over the event id: a stable number per event. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const SESSION_MS = 30 * 60 * 1000;

/** A user's 30-minute window, or null for one event in ten (a client that sends none). */
export function sessionOf(e: UserEvent): string | null {
  if (fnv1a(e.id) % 10 === 0) return null;
  return `s-${e.user_id.slice('user-'.length)}-${Math.floor(e.event_time / SESSION_MS)}`;
}

export class V2EventGenerator {
  private readonly v1: EventGenerator;

  constructor(readonly seed: number) {
    this.v1 = new EventGenerator(seed);
  }

  next(): UserEventV2 {
    const e = this.v1.next();
    return { ...e, version: 2, session_id: sessionOf(e) };
  }

  take(n: number): UserEventV2[] {
    return Array.from({ length: n }, () => this.next());
  }
}

export interface V2ProduceOptions {
  brokers: string[];
  registryUrl: string;
  topic: string;
  schema: string;
  count: number;
  seed: number;
  batchSize?: number;
}

export type V2ProduceSummary = Pick<ProduceSummary, 'runId' | 'topic' | 'subject' | 'schemaId' | 'seed' | 'events' | 'partitions' | 'elapsedMs'>;

export async function produceV2(opts: V2ProduceOptions): Promise<V2ProduceSummary> {
  const started = Date.now();
  const subject = `${opts.topic}-value`;
  const registry = new Registry(opts.registryUrl);
  await registry.ping();
  const { id: schemaId } = await registry.registerChecked(subject, opts.schema);

  const kafka = new Kafka({ clientId: 'kit-evolve', brokers: opts.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 3, initialRetryTime: 200 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await admin.connect().catch((e: unknown) => {
      throw new UsageError(`the Kafka broker at ${opts.brokers.join(',')} is unreachable (${(e as Error).message})`);
    });
    const meta = await admin.fetchTopicMetadata({ topics: [opts.topic] });
    const partitionMetadata = meta.topics[0]!.partitions;
    const partitioner = Partitioners.DefaultPartitioner();
    await producer.connect();
    const runId = randomUUID();
    const generator = new V2EventGenerator(opts.seed);
    const ranges = new Map<number, { first: bigint; last: bigint; messages: number }>();
    const batchSize = opts.batchSize ?? 500;
    for (let sent = 0; sent < opts.count; ) {
      const size = Math.min(batchSize, opts.count - sent);
      const headers = { [RUN_ID_HEADER]: runId, [PRODUCED_AT_HEADER]: new Date().toISOString() };
      const messages: Message[] = await Promise.all(
        generator.take(size).map(async (e) => {
          const message: Message = { key: e.user_id, value: await registry.encode(schemaId, e), headers };
          message.partition = partitioner({ topic: opts.topic, partitionMetadata, message });
          return message;
        }),
      );
      const results = await producer.send({ topic: opts.topic, messages, acks: -1 });
      // One record batch per partition per request: offsets run from baseOffset in message order.
      const counts = new Map<number, number>();
      for (const m of messages) counts.set(m.partition!, (counts.get(m.partition!) ?? 0) + 1);
      for (const r of results) {
        const n = counts.get(r.partition) ?? 0;
        const first = BigInt(r.baseOffset ?? '0');
        const prev = ranges.get(r.partition);
        ranges.set(r.partition, { first: prev?.first ?? first, last: first + BigInt(n - 1), messages: (prev?.messages ?? 0) + n });
      }
      sent += size;
    }
    return {
      runId,
      topic: opts.topic,
      subject,
      schemaId,
      seed: opts.seed,
      events: opts.count,
      partitions: [...ranges]
        .sort(([a], [b]) => a - b)
        .map(([partition, r]) => ({ partition, firstOffset: r.first.toString(), lastOffset: r.last.toString(), messages: r.messages })),
      elapsedMs: Date.now() - started,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
