/**
 * verify:parity --incremental: checks only the offsets above each leg's watermark, after a
 * cheap proof that nothing below it was lost or duplicated since (row count and offsets
 * checksum, reading only the tables' sort key), and moves the watermark of every partition
 * the check found exact.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { UsageError } from '../../cli.js';
import { queryRows, tableExists } from '../../clickhouse/query.js';
import { qualified, type OffsetRange } from '../queries.js';
import type { PartitionTruth } from '../truth.js';
import type { WitnessReport } from '../witness/witness.js';
import { add64, offsetSumsQuery, rangesAbove, readWatermarksQuery, validWatermarks, WATERMARK_TABLE, type Reset, type Watermark } from './watermarks.js';

export interface IncrementalLeg {
  leg: string;
  /** Qualified table. */
  table: string;
}

export interface WatermarkChange {
  leg: string;
  partition: number;
  status: 'new' | 'advanced' | 'unchanged' | 'held' | 'reset';
  previous?: string;
  watermark?: string;
  note?: string;
}

export interface BelowWatermark {
  leg: string;
  partition: number;
  watermark: string;
  checkedAt?: string;
  expectedRows: string;
  rows: string;
  ok: boolean;
}

export interface IncrementalReport {
  watermarks: WatermarkChange[];
  belowWatermark: BelowWatermark[];
  resets: Reset[];
}

/** What a leg's partition must be for its watermark to move: exact, its content equal wherever it was compared. */
export interface PartitionVerdict {
  leg: string;
  partition: number;
  exact: boolean;
  why?: string;
}

interface SumRow {
  partition: number;
  rows: string;
  offsets_checksum: string;
  content_checksum?: string;
}

export class Incremental {
  private kept: Watermark[] = [];
  private resets: Reset[] = [];
  private below: BelowWatermark[] = [];

  constructor(
    private readonly ch: ClickHouseClient,
    private readonly database: string,
    private readonly topic: string,
  ) {}

  private get table(): string {
    return qualified(this.database, WATERMARK_TABLE);
  }

  /** Reads the watermarks and keeps those that still hold against the topic; returns the ranges left to check. */
  async plan(truth: PartitionTruth[], ranges: OffsetRange[], legs: IncrementalLeg[]): Promise<OffsetRange[]> {
    if (!(await tableExists(this.ch, this.database, WATERMARK_TABLE))) {
      throw new UsageError(`--incremental keeps its watermarks in ${this.table}, which does not exist: run \`npm run sql:apply\` (sql/05_parity_watermarks.sql)`);
    }
    const rows = await queryRows<Record<string, string | number>>(this.ch, readWatermarksQuery(this.table, this.topic));
    const marks: Watermark[] = rows.map((r) => ({
      leg: String(r.leg),
      table: String(r.table_name),
      partition: Number(r.partition),
      firstOffset: BigInt(r.first_offset!),
      watermark: BigInt(r.watermark!),
      rowCount: BigInt(r.row_count!),
      offsetsChecksum: BigInt(r.offsets_checksum!),
      contentChecksum: BigInt(r.content_checksum!),
      checkedAt: String(r.last_checked),
    }));
    ({ kept: this.kept, resets: this.resets } = validWatermarks(marks, truth, legs));
    await this.proveBelow(legs);
    return rangesAbove(ranges, this.kept, legs.map((l) => l.leg));
  }

  private mark(leg: string, partition: number): Watermark | undefined {
    return this.kept.find((m) => m.leg === leg && m.partition === partition);
  }

  /** Row count and offsets checksum below each watermark, as recorded; a watermark whose rows changed is dropped (its partition is checked from its start). */
  private async proveBelow(legs: IncrementalLeg[]): Promise<void> {
    for (const leg of legs) {
      const marks = this.kept.filter((m) => m.leg === leg.leg);
      if (marks.length === 0) continue;
      const sums = await queryRows<SumRow>(this.ch, offsetSumsQuery(leg.table, this.topic, marks.map((m) => ({ partition: m.partition, from: m.firstOffset, to: m.watermark })), false));
      for (const m of marks) {
        const s = sums.find((x) => x.partition === m.partition);
        const rows = BigInt(s?.rows ?? 0);
        const ok = rows === m.rowCount && BigInt(s?.offsets_checksum ?? 0) === m.offsetsChecksum;
        this.below.push({ leg: m.leg, partition: m.partition, watermark: m.watermark.toString(), checkedAt: m.checkedAt, expectedRows: m.rowCount.toString(), rows: rows.toString(), ok });
        if (!ok) this.kept = this.kept.filter((k) => k !== m);
      }
    }
  }

  /** Failures of the proof below the watermarks, in words. */
  reasons(): string[] {
    return this.below
      .filter((b) => !b.ok)
      .map((b) =>
        `${b.leg} p${b.partition}: below the watermark ${b.watermark} (proven ${b.checkedAt ?? '?'}) the table holds ${b.rows} rows where it held ${b.expectedRows}` +
        `${b.rows === b.expectedRows ? ' at other offsets' : ''}: rows lost or duplicated since; the watermark is dropped and the partition checked from its start next time`,
      );
  }

  /**
   * Moves the watermark of every leg's partition the check found exact to the end of the
   * checked range, and records the changes.
   */
  async advance(legs: IncrementalLeg[], window: OffsetRange[], verdicts: PartitionVerdict[]): Promise<IncrementalReport> {
    const changes: WatermarkChange[] = [];
    const written: Watermark[] = [];
    for (const leg of legs) {
      const grow: { range: OffsetRange; base?: Watermark }[] = [];
      for (const r of window) {
        const base = this.mark(leg.leg, r.partition);
        const v = verdicts.find((x) => x.leg === leg.leg && x.partition === r.partition);
        const previous = base?.watermark.toString();
        if (base && base.watermark >= r.to) changes.push({ leg: leg.leg, partition: r.partition, status: 'unchanged', previous, watermark: previous });
        else if (!v?.exact) changes.push({ leg: leg.leg, partition: r.partition, status: 'held', previous, watermark: previous, note: v?.why ?? 'not checked' });
        else grow.push({ range: { partition: r.partition, from: base ? base.watermark + 1n : r.from, to: r.to }, base });
      }
      if (grow.length === 0) continue;
      const sums = await queryRows<SumRow>(this.ch, offsetSumsQuery(leg.table, this.topic, grow.map((g) => g.range), true));
      for (const { range, base } of grow) {
        const s = sums.find((x) => x.partition === range.partition);
        const next: Watermark = {
          leg: leg.leg,
          table: leg.table,
          partition: range.partition,
          firstOffset: base?.firstOffset ?? range.from,
          watermark: range.to,
          rowCount: (base?.rowCount ?? 0n) + BigInt(s?.rows ?? 0),
          offsetsChecksum: add64(base?.offsetsChecksum ?? 0n, BigInt(s?.offsets_checksum ?? 0)),
          contentChecksum: add64(base?.contentChecksum ?? 0n, BigInt(s?.content_checksum ?? 0)),
        };
        written.push(next);
        changes.push({ leg: leg.leg, partition: range.partition, status: base ? 'advanced' : 'new', previous: base?.watermark.toString(), watermark: range.to.toString() });
      }
    }
    const dropped = [...this.resets, ...this.below.filter((b) => !b.ok)].map((x) => ({ leg: x.leg, partition: x.partition }));
    for (const d of dropped) {
      if (written.some((w) => w.leg === d.leg && w.partition === d.partition)) continue;
      const table = legs.find((l) => l.leg === d.leg)?.table ?? '';
      written.push({ leg: d.leg, table, partition: d.partition, firstOffset: 0n, watermark: -1n, rowCount: 0n, offsetsChecksum: 0n, contentChecksum: 0n });
      const c = changes.find((x) => x.leg === d.leg && x.partition === d.partition);
      if (c) Object.assign(c, { status: 'reset', watermark: undefined });
    }
    if (written.length > 0) {
      await this.ch.insert({
        table: this.table,
        format: 'JSONEachRow',
        values: written.map((w) => ({
          topic: this.topic,
          leg: w.leg,
          table_name: w.table,
          partition: w.partition,
          first_offset: w.firstOffset.toString(),
          watermark: w.watermark.toString(),
          row_count: w.rowCount.toString(),
          offsets_checksum: w.offsetsChecksum.toString(),
          content_checksum: w.contentChecksum.toString(),
        })),
      });
    }
    return { watermarks: changes, belowWatermark: this.below, resets: this.resets };
  }
}

/** The verdict per leg and partition from what the check found. */
export function partitionVerdicts(
  legs: { leg: string; present: boolean; partitions: { partition: number; expected: number; distinctOffsets: number; deadLettered: number; errorRows: number; missing: number; duplicates: number }[] }[],
  between: { compared: boolean; partitions: { partition: number; equal: boolean }[] },
  witness: WitnessReport | undefined,
  settled: boolean,
): PartitionVerdict[] {
  const out: PartitionVerdict[] = [];
  for (const leg of legs) {
    if (!leg.present) continue;
    for (const p of leg.partitions) {
      const why: string[] = [];
      if (!settled) why.push('not settled');
      if (p.missing > 0) why.push(`${p.missing} missing`);
      if (p.duplicates > 0) why.push(`${p.duplicates} duplicates`);
      if (p.expected !== p.distinctOffsets + p.deadLettered + p.errorRows + p.missing) why.push('accounting does not hold');
      if (between.compared && between.partitions.find((c) => c.partition === p.partition)?.equal === false) why.push('content differs between the legs');
      const w = witness?.partitions.find((x) => x.partition === p.partition)?.legs.find((l) => l.leg === leg.leg);
      if (w && !w.equal) why.push('content differs from the topic');
      out.push({ leg: leg.leg, partition: p.partition, exact: why.length === 0, why: why.join(', ') || undefined });
    }
  }
  return out;
}
