/**
 * v2 events: the v1 generator's events, unchanged but for `version: 2` and the new
 * `session_id`, derived from the event itself so the same seed gives the same v2
 * events (the v1 generator's output is untouched).

 */
import { EventGenerator, type UserEvent } from '../produce/events.js';
import { produceAvro, type ProduceSummary } from '../produce/producer.js';

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
  schemaFile: string;
  count: number;
  seed: number;
}

export type V2ProduceSummary = Pick<ProduceSummary, 'runId' | 'topic' | 'subject' | 'schemaId' | 'seed' | 'events' | 'partitions' | 'elapsedMs'>;

/** v2 events through the kit's producer: the v2 schema checked and registered, the v2 generator as the source. */
export async function produceV2(opts: V2ProduceOptions): Promise<V2ProduceSummary> {
  const s = await produceAvro({
    brokers: opts.brokers,
    registryUrl: opts.registryUrl,
    topic: opts.topic,
    partitions: 1,
    count: opts.count,
    rate: 0,
    batchSize: 1500,
    seed: opts.seed,
    poison: 0,
    compression: 'none',
    schemaFile: opts.schemaFile,
    events: (seed) => new V2EventGenerator(seed),
  });
  return { runId: s.runId, topic: s.topic, subject: s.subject, schemaId: s.schemaId, seed: s.seed, events: s.events, partitions: s.partitions, elapsedMs: s.elapsedMs };
}
