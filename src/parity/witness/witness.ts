/**
 * `verify:parity --content topic`: the topic's own records, decoded through the
 * registry and loaded into a temporary table of the parity session, compared with
 * each present leg. It catches what comparing the legs with each other cannot: a
 * value both legs store wrong the same way, or one leg wrong while the other is absent.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { clickhouseClient } from '../../clickhouse/client.js';
import type { KitConfig } from '../../config.js';
import { queryRows } from '../../clickhouse/query.js';
import type { ParsedSchema } from '../../pipeline/avro.js';
import type { Content } from '../../pipeline/content.js';
import { RowBinaryWriter, writeValue } from '../../pipeline/rowbinary.js';
import { toColumnValue, zeroValue } from '../../pipeline/values.js';
import type { Registry } from '../../registry/registry.js';
import type { OffsetRange } from '../queries.js';
import { OffsetSample } from './sample.js';
import { legChecksumQuery, legDiffExamplesQuery, legDiffSummaryQuery, TOPIC_TABLE, topicChecksumQuery, topicTableDdl } from './queries.js';
import { readRanges, type RecordSink, type TopicRecord } from './topic-reader.js';

/**
 * The witness's ClickHouse session: its own id, and a timeout (seconds between two of its
 * queries) long enough for a sparse --sample over a long range, where inserts are far apart;
 * ClickHouse's default is 60 s and its max_session_timeout 3600.
 */
export function witnessSession(config: KitConfig): ClickHouseClient {
  return clickhouseClient(config, 'parity', { session_id: `kit-parity-${randomUUID()}`, clickhouse_settings: { session_timeout: '1800' } });
}

export interface WitnessOptions {
  /** A client with its own session (witnessSession): the temporary table lives in that session. */
  session: ClickHouseClient;
  kafka: Kafka;
  registry: Registry;
  /** The pipeline's schema (records are read as it) and columns. */
  schema: ParsedSchema;
  content: Content;
  /** Percent of offsets compared, by a hash of partition and offset (100: all). */
  samplePercent: number;
  diffLimit: number;
  idleTimeoutMs: number;
  onProgress?: (line: string) => void;
}

/** A leg to compare: its qualified table, and whether it exists with rows to compare. */
export interface WitnessLeg {
  leg: string;
  table: string;
  present: boolean;
}

export interface WitnessLegPartition {
  leg: string;
  /** Leg rows at sampled offsets. */
  rows: number;
  checksum: string;
  /** The leg's rows equal the topic's events at every offset both hold (rows missing from the leg are parity's offset accounting). */
  equal: boolean;
  differing: number;
  /** Leg rows at offsets where the topic holds no event (poison). */
  notEvents: number;
  /** Per column: rows where it differs. */
  columns: Record<string, number>;
}

export interface WitnessPartition {
  partition: number;
  /** Sampled offsets holding an event, and those holding something else. */
  events: number;
  undecodable: number;
  checksum: string;
  legs: WitnessLegPartition[];
}

export interface WitnessReport {
  compared: boolean;
  reason?: string;
  sample: { percent: number; sampled: number; read: number; note: string };
  partitions: WitnessPartition[];
  legs: { leg: string; present: boolean; differing: number; columns: Record<string, number> }[];
  /** `topic`, `row`: the rows as JSON; `topicText`, `rowText`: as ClickHouse writes them as text (-0, nan, inf as they are). */
  examples: { leg: string; partition: number; offset: string; columns: string[]; topic: unknown; row: unknown; topicText: string; rowText: string; topicHasEvent: boolean; unfit: string[] }[];
  undecodable: { partition: number; offset: string; reason: string }[];
  /** Reading, decoding and loading the topic's records; comparing the legs with them. */
  phasesMs: { read: number; compare: number };
  elapsedMs: number;
}

const n = (v: string | number | undefined) => Number(v ?? 0);
/** Bytes of RowBinary sent per insert into the temporary table. */
const FLUSH_BYTES = 8 << 20;
const UNDECODABLE_LISTED = 100;

/** Loads records into the temporary table as RowBinary, in inserts of FLUSH_BYTES. */
class TopicTableLoader implements RecordSink {
  private readonly w = new RowBinaryWriter(FLUSH_BYTES + (1 << 16));
  private readonly zeros: unknown[];
  rows = 0;
  readonly undecodable: WitnessReport['undecodable'] = [];

  constructor(
    private readonly session: ClickHouseClient,
    private readonly content: Content,
  ) {
    this.zeros = content.columns.map((c) => zeroValue(c.type));
  }

  record(partition: number, offset: number, record: TopicRecord | string): void {
    const columns = this.content.columns;
    this.w.int32(partition);
    this.w.int64Number(offset);
    this.rows++;
    if (typeof record === 'string') {
      this.w.uint8(0);
      this.w.uleb128(0);
      columns.forEach((c, i) => writeValue(this.w, c.type, this.zeros[i]));
      if (this.undecodable.length < UNDECODABLE_LISTED) this.undecodable.push({ partition, offset: String(offset), reason: record });
      return;
    }
    const unfit: string[] = [];
    const values = columns.map((c) => toColumnValue(c.avro, c.type, record[c.name], c.name, unfit));
    this.w.uint8(1);
    this.w.uleb128(unfit.length);
    for (const u of unfit) this.w.string(u);
    columns.forEach((c, i) => writeValue(this.w, c.type, values[i]));
  }

  async batchDone(): Promise<void> {
    if (this.w.size >= FLUSH_BYTES) await this.send();
  }

  /** One insert in flight while the next chunk is read: waits for the previous one, then starts this one. */
  private inFlight: Promise<void> = Promise.resolve();

  private async send(): Promise<void> {
    const body = this.w.take();
    await this.inFlight;
    this.inFlight = this.insert(body);
    // An insert that fails is reported by the next send or by flush().
    this.inFlight.catch(() => undefined);
  }

  private async insert(body: Buffer): Promise<void> {
    const res = await this.session.exec({ query: `INSERT INTO ${TOPIC_TABLE} FORMAT RowBinary`, values: Readable.from([body]) });
    res.stream.resume();
    await new Promise<void>((resolve, reject) => res.stream.once('end', resolve).once('error', reject));
  }

  /** Sends what is left and waits for every insert. */
  async flush(): Promise<void> {
    if (this.w.size > 0) await this.send();
    await this.inFlight;
  }
}

export async function topicWitness(topic: string, ranges: OffsetRange[], legs: WitnessLeg[], o: WitnessOptions): Promise<WitnessReport> {
  const started = Date.now();
  const sample = new OffsetSample(o.samplePercent);
  await o.session.command({ query: `DROP TEMPORARY TABLE IF EXISTS ${TOPIC_TABLE}` });
  await o.session.command({ query: topicTableDdl(o.content) });
  const loader = new TopicTableLoader(o.session, o.content);
  let lastProgress = 0;
  const read = await readRanges(o.kafka, o.registry, o.schema, topic, ranges, {
    idleTimeoutMs: o.idleTimeoutMs,
    sample,
    sink: loader,
    onProgress: (done, total) => {
      if (Date.now() - lastProgress < 2000) return;
      lastProgress = Date.now();
      o.onProgress?.(`topic witness: read ${done} of ${total} records`);
    },
  });
  await loader.flush();
  const readDone = Date.now();
  const sampleNote = sample.all
    ? `every offset (${read} records)`
    : `a ${o.samplePercent}% sample: ${loader.rows} of ${read} offsets, chosen by a hash of partition and offset (the same offsets on every run)`;

  const topicSums = await queryRows<{ partition: number; events: string; undecodable: string; checksum: string }>(o.session, topicChecksumQuery(o.content));
  const names = o.content.columns.map((c) => c.name);
  const partitions: WitnessPartition[] = topicSums.map((t) => ({ partition: t.partition, events: n(t.events), undecodable: n(t.undecodable), checksum: t.checksum, legs: [] }));
  const examples: WitnessReport['examples'] = [];
  const legTotals: WitnessReport['legs'] = [];
  for (const leg of legs) {
    const zero = Object.fromEntries(names.map((c) => [c, 0])) as Record<string, number>;
    if (!leg.present) {
      legTotals.push({ leg: leg.leg, present: false, differing: 0, columns: zero });
      continue;
    }
    const sums = await queryRows<{ partition: number; rows: string; checksum: string }>(o.session, legChecksumQuery(leg.table, topic, ranges, o.content));
    // Row by row only where the leg's rows are not the topic's events exactly.
    const suspect = ranges.filter((r) => {
      const t = partitions.find((p) => p.partition === r.partition);
      const s = sums.find((x) => x.partition === r.partition);
      return t && s && !(n(s.rows) === t.events && s.checksum === t.checksum);
    });
    const diffs =
      suspect.length === 0
        ? []
        : await queryRows<Record<string, string | number>>(o.session, legDiffSummaryQuery(leg.table, topic, suspect, o.content));
    const total = { leg: leg.leg, present: true, differing: 0, columns: { ...zero } };
    for (const p of partitions) {
      const s = sums.find((x) => x.partition === p.partition);
      const d = diffs.find((x) => n(x.partition) === p.partition);
      const columns = Object.fromEntries(names.map((c, i) => [c, n(d?.[`diff_${i}`])])) as Record<string, number>;
      const differing = n(d?.differing);
      p.legs.push({ leg: leg.leg, rows: n(s?.rows), checksum: s?.checksum ?? '0', equal: differing === 0, differing, notEvents: n(d?.not_events), columns });
      total.differing += differing;
      for (const c of names) total.columns[c]! += columns[c]!;
    }
    legTotals.push(total);
    if (total.differing > 0 && examples.length < o.diffLimit) {
      const rows = await queryRows<{ partition: number; offset: string; decoded: number; columns: string[]; topic_row: unknown; leg_row: unknown; unfit: string[]; topic_text: string; leg_text: string }>(
        o.session,
        legDiffExamplesQuery(leg.table, topic, suspect, o.diffLimit - examples.length, o.content),
      );
      examples.push(...rows.map((r) => ({ leg: leg.leg, partition: r.partition, offset: r.offset, columns: r.columns, topic: r.topic_row, row: r.leg_row, topicText: r.topic_text, rowText: r.leg_text, topicHasEvent: n(r.decoded) === 1, unfit: r.unfit })));
    }
  }
  await o.session.command({ query: `DROP TEMPORARY TABLE IF EXISTS ${TOPIC_TABLE}` });
  return {
    compared: true,
    sample: { percent: o.samplePercent, sampled: loader.rows, read, note: sampleNote },
    partitions,
    legs: legTotals,
    examples,
    undecodable: loader.undecodable,
    phasesMs: { read: readDone - started, compare: Date.now() - readDone },
    elapsedMs: Date.now() - started,
  };
}
