/**
 * verify:parity --incremental: checks only the offsets above each leg's watermark, after a
 * cheap proof that nothing below it was lost or duplicated since (row count and offsets
 * checksum), and moves the watermark of every partition the check found exact.
 *
 * The proof reads only what changed: each watermark keeps its sums per data part, and a
 * part still active is the same part (parts are immutable), so only parts written since
 * (new inserts, merges, mutations) are read, and of those only the sort key. Sums that do
 * not add up are summed again from every part before the proof fails, so a part merged
 * away between listing and reading costs a re-read, never a wrong verdict.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { UsageError } from '../../errors.js';
import { queryRows, tableColumns } from '../../clickhouse/query.js';
import { qualified, type OffsetRange } from '../queries.js';
import type { PartitionTruth } from '../truth.js';
import type { LegReport } from '../model.js';
import {
  activePartsQuery,
  add64,
  advanceSumsQuery,
  partSumsQuery,
  rangesAbove,
  readWatermarksQuery,
  tableUuidQuery,
  validWatermarks,
  WATERMARK_TABLE,
  ZERO_UUID,
  type AdvanceRange,
  type PartRange,
  type PartSum,
  type Reset,
  type Watermark,
} from './watermarks.js';

export interface IncrementalLeg {
  leg: string;
  /** Qualified table. */
  table: string;
  database: string;
  tableName: string;
  /** Read by plan(). */
  uuid?: string;
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
  /** Rows summed afresh, from parts written since the watermark was proven; the rest came from parts proven before. */
  rowsRead: string;
  partsReused: number;
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
  /** Rows the check found in the leg's table over the checked window. */
  rows?: number;
  why?: string;
}

interface PartSumRow {
  part: string;
  partition: number;
  window_rows?: string;
  rows: string;
  offsets_checksum: string;
  content_checksum?: string;
}

type PartSums = Map<string, PartSum>;

const PART_COLUMNS = ['table_uuid', 'parts', 'part_rows', 'part_offsets_checksums'];

const key = (leg: string, partition: number) => `${leg}/${partition}`;

function total(sums: Iterable<PartSum>): { rows: bigint; offsetsChecksum: bigint } {
  let rows = 0n;
  let offsetsChecksum = 0n;
  for (const s of sums) {
    rows += s.rows;
    offsetsChecksum = add64(offsetsChecksum, s.offsetsChecksum);
  }
  return { rows, offsetsChecksum };
}

/** Adds a query's rows to per-partition part sums (a part's sums over two ranges add up). */
function addRows(into: Map<number, PartSums>, rows: PartSumRow[], keep: (part: string) => boolean = () => true): void {
  for (const r of rows) {
    if (!keep(r.part) || r.rows === '0') continue;
    const sums = into.get(r.partition) ?? new Map<string, PartSum>();
    into.set(r.partition, sums);
    const had = sums.get(r.part);
    sums.set(r.part, {
      part: r.part,
      rows: (had?.rows ?? 0n) + BigInt(r.rows),
      offsetsChecksum: add64(had?.offsetsChecksum ?? 0n, BigInt(r.offsets_checksum)),
    });
  }
}

export class Incremental {
  private kept: Watermark[] = [];
  private resets: Reset[] = [];
  private below: BelowWatermark[] = [];
  /** Per leg: the table's active parts when the proof listed them. */
  private active = new Map<string, Set<string>>();
  /** Per leg and partition: the sums of the listed parts over [first offset, watermark], as proven now. */
  private proven = new Map<string, PartSums>();
  /** Leg partitions whose part sums were read afresh: their watermark row is rewritten even when it does not move. */
  private refreshed = new Set<string>();

  constructor(
    private readonly ch: ClickHouseClient,
    private readonly database: string,
    private readonly topic: string,
    /** The pipeline's content hash (the watermark's content checksum). */
    private readonly contentHash: string,
  ) {}

  private get table(): string {
    return qualified(this.database, WATERMARK_TABLE);
  }

  /** Reads the watermarks and keeps those that still hold against the topic; returns the ranges left to check. */
  async plan(truth: PartitionTruth[], ranges: OffsetRange[], legs: IncrementalLeg[]): Promise<OffsetRange[]> {
    const columns = await tableColumns(this.ch, this.database, WATERMARK_TABLE);
    if (columns.length === 0) {
      throw new UsageError(`--incremental keeps its watermarks in ${this.table}, which does not exist: run \`npm run sql:apply\` (sql/05_parity_watermarks.sql)`);
    }
    if (!PART_COLUMNS.every((c) => columns.includes(c))) {
      throw new UsageError(`${this.table} predates the per-part sums (${PART_COLUMNS.join(', ')}): run \`npm run sql:apply\`, which adds them keeping every watermark`);
    }
    const rows = await queryRows<Record<string, string | number | string[]>>(this.ch, readWatermarksQuery(this.table, this.topic));
    const marks: Watermark[] = rows.map((r) => {
      const names = (r.parts ?? []) as string[];
      const partRows = (r.part_rows ?? []) as string[];
      const partSums = (r.part_offsets_checksums ?? []) as string[];
      return {
        leg: String(r.leg),
        table: String(r.table_name),
        partition: Number(r.partition),
        firstOffset: BigInt(r.first_offset as string),
        watermark: BigInt(r.watermark as string),
        rowCount: BigInt(r.row_count as string),
        offsetsChecksum: BigInt(r.offsets_checksum as string),
        contentChecksum: BigInt(r.content_checksum as string),
        tableUuid: String(r.table_uuid ?? ZERO_UUID),
        parts: names.map((part, i) => ({ part, rows: BigInt(partRows[i] ?? 0), offsetsChecksum: BigInt(partSums[i] ?? 0) })),
        checkedAt: String(r.last_checked),
      };
    });
    for (const leg of legs) leg.uuid = (await queryRows<{ uuid: string }>(this.ch, tableUuidQuery(leg.database, leg.tableName)))[0]?.uuid ?? ZERO_UUID;
    ({ kept: this.kept, resets: this.resets } = validWatermarks(marks, truth, legs));
    await this.proveBelow(legs);
    return rangesAbove(ranges, this.kept, legs.map((l) => l.leg));
  }

  private mark(leg: string, partition: number): Watermark | undefined {
    return this.kept.find((m) => m.leg === leg && m.partition === partition);
  }

  /** Sums of the parts not skipped, per partition, over each mark's proven offsets. */
  private async sumBelow(leg: IncrementalLeg, marks: Watermark[], skip: (m: Watermark) => string[]): Promise<Map<number, PartSums>> {
    const ranges: PartRange[] = marks.map((m) => ({ partition: m.partition, from: m.firstOffset, to: m.watermark, skipParts: skip(m) }));
    const read = new Map<number, PartSums>();
    addRows(read, await queryRows<PartSumRow>(this.ch, partSumsQuery(leg.table, this.topic, ranges)));
    return read;
  }

  /**
   * Row count and offsets checksum below each watermark, as recorded: the sums of the parts
   * proven before that are still active, plus those of every other part, read. A watermark
   * whose rows changed is dropped (its partition is checked from its start).
   */
  private async proveBelow(legs: IncrementalLeg[]): Promise<void> {
    for (const leg of legs) {
      const marks = this.kept.filter((m) => m.leg === leg.leg);
      if (marks.length === 0) continue;
      const listParts = async () => new Set((await queryRows<{ name: string }>(this.ch, activePartsQuery(leg.database, leg.tableName))).map((r) => r.name));
      const active = await listParts();
      this.active.set(leg.leg, active);
      // Part names hold for the table they were read in: one with a UUID, the same as now.
      const trusted = (m: Watermark) => m.tableUuid !== ZERO_UUID && m.tableUuid === leg.uuid;
      const known = (m: Watermark) => (trusted(m) ? m.parts.filter((p) => active.has(p.part)) : []);
      const fresh = await this.sumBelow(leg, marks, (m) => known(m).map((p) => p.part));
      // A part listed above and gone by now may have gone with its rows (a DROP PART, a
      // TRUNCATE) after the listing, before the read: its kept sums would then hide them.
      const still = await listParts();
      const holds = (m: Watermark, sums: PartSums) => {
        const t = total(sums.values());
        return t.rows === m.rowCount && t.offsetsChecksum === m.offsetsChecksum;
      };
      const combined = new Map<number, PartSums>();
      for (const m of marks) combined.set(m.partition, new Map([...known(m).map((p) => [p.part, p] as const), ...(fresh.get(m.partition) ?? new Map())]));
      // Sums that do not add up are taken again from every part: a part merged away after
      // the listing would otherwise count twice.
      const retry = marks.filter((m) => known(m).length > 0 && (!holds(m, combined.get(m.partition)!) || known(m).some((p) => !still.has(p.part))));
      if (retry.length > 0) {
        const again = await this.sumBelow(leg, retry, () => []);
        for (const m of retry) {
          combined.set(m.partition, again.get(m.partition) ?? new Map());
          fresh.set(m.partition, again.get(m.partition) ?? new Map());
        }
      }
      for (const m of marks) {
        const sums = combined.get(m.partition)!;
        const t = total(sums.values());
        const ok = holds(m, sums);
        const readNow = fresh.get(m.partition) ?? new Map<string, PartSum>();
        this.below.push({
          leg: m.leg,
          partition: m.partition,
          watermark: m.watermark.toString(),
          checkedAt: m.checkedAt,
          expectedRows: m.rowCount.toString(),
          rows: t.rows.toString(),
          rowsRead: total(readNow.values()).rows.toString(),
          partsReused: sums.size - readNow.size,
          ok,
        });
        if (!ok) {
          this.kept = this.kept.filter((k) => k !== m);
          continue;
        }
        // Kept for the next proof: parts of the listing only (one written since may hold rows not read here).
        this.proven.set(key(m.leg, m.partition), new Map([...sums].filter(([part]) => active.has(part))));
        if (readNow.size > 0) this.refreshed.add(key(m.leg, m.partition));
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
   * checked range, with its part sums, and records the changes.
   */
  async advance(legs: IncrementalLeg[], window: OffsetRange[], verdicts: PartitionVerdict[]): Promise<IncrementalReport> {
    const changes: WatermarkChange[] = [];
    const written: Watermark[] = [];
    for (const leg of legs) {
      const grow: { range: AdvanceRange; base?: Watermark; checked?: number }[] = [];
      for (const r of window) {
        const base = this.mark(leg.leg, r.partition);
        const v = verdicts.find((x) => x.leg === leg.leg && x.partition === r.partition);
        const previous = base?.watermark.toString();
        const same = (status: 'unchanged' | 'held', note?: string) => {
          changes.push({ leg: leg.leg, partition: r.partition, status, previous, watermark: previous, note });
          // The same watermark, with the sums of the parts read afresh, so the next proof need not read them.
          if (base && this.refreshed.has(key(leg.leg, r.partition))) written.push({ ...base, tableUuid: leg.uuid ?? ZERO_UUID, parts: [...this.proven.get(key(leg.leg, r.partition))!.values()] });
        };
        if (base && base.watermark >= r.to) same('unchanged');
        else if (!v?.exact) same('held', v?.why ?? 'not checked');
        else grow.push({ range: { partition: r.partition, windowFrom: r.from, from: base ? base.watermark + 1n : r.from, to: r.to }, base, checked: v.rows });
      }
      if (grow.length === 0) continue;
      const rows = await queryRows<PartSumRow>(this.ch, advanceSumsQuery(leg.table, this.topic, grow.map((g) => g.range), this.contentHash));
      const above = new Map<number, PartSums>();
      addRows(above, rows);
      for (const { range, base, checked } of grow) {
        const inRange = rows.filter((x) => x.partition === range.partition);
        const windowRows = inRange.reduce((s, x) => s + Number(x.window_rows ?? 0), 0);
        if (checked !== undefined && windowRows !== checked) {
          // Rows landed or went between the check and this read: not proven, so the watermark stays.
          const previous = base?.watermark.toString();
          changes.push({ leg: leg.leg, partition: range.partition, status: 'held', previous, watermark: previous, note: `the table held ${windowRows} rows there after the check, ${checked} during it` });
          continue;
        }
        const added = total(above.get(range.partition)?.values() ?? []);
        const contentChecksum = inRange.reduce((s, x) => add64(s, BigInt(x.content_checksum ?? 0)), 0n);
        // A part's sums over the new watermark's whole range: known below the old one for the
        // listed parts only (for a new watermark, the range is the whole range).
        const parts = new Map<number, PartSums>();
        const listed = this.active.get(leg.leg);
        if (base) parts.set(range.partition, new Map(this.proven.get(key(leg.leg, range.partition)) ?? []));
        addRows(parts, inRange, (part) => !base || (listed?.has(part) ?? false));
        const next: Watermark = {
          leg: leg.leg,
          table: leg.table,
          partition: range.partition,
          firstOffset: base?.firstOffset ?? range.from,
          watermark: range.to,
          rowCount: (base?.rowCount ?? 0n) + added.rows,
          offsetsChecksum: add64(base?.offsetsChecksum ?? 0n, added.offsetsChecksum),
          contentChecksum: add64(base?.contentChecksum ?? 0n, contentChecksum),
          tableUuid: leg.uuid ?? ZERO_UUID,
          parts: [...(parts.get(range.partition)?.values() ?? [])],
        };
        written.push(next);
        changes.push({ leg: leg.leg, partition: range.partition, status: base ? 'advanced' : 'new', previous: base?.watermark.toString(), watermark: range.to.toString() });
      }
    }
    const dropped = [...this.resets, ...this.below.filter((b) => !b.ok)].map((x) => ({ leg: x.leg, partition: x.partition }));
    for (const d of dropped) {
      if (written.some((w) => w.leg === d.leg && w.partition === d.partition)) continue;
      const table = legs.find((l) => l.leg === d.leg)?.table ?? '';
      written.push({ leg: d.leg, table, partition: d.partition, firstOffset: 0n, watermark: -1n, rowCount: 0n, offsetsChecksum: 0n, contentChecksum: 0n, tableUuid: ZERO_UUID, parts: [] });
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
          table_uuid: w.tableUuid,
          parts: w.parts.map((p) => p.part),
          part_rows: w.parts.map((p) => p.rows.toString()),
          part_offsets_checksums: w.parts.map((p) => p.offsetsChecksum.toString()),
        })),
      });
    }
    return { watermarks: changes, belowWatermark: this.below, resets: this.resets };
  }
}

/** Each present leg's partitions as the check judged them (model.ts findings): exact, or why not. */
export function partitionVerdicts(legs: LegReport[]): PartitionVerdict[] {
  return legs
    .filter((l) => l.present)
    .flatMap((l) =>
      l.partitions.map((p) => ({
        leg: l.leg,
        partition: p.partition,
        exact: p.findings.length === 0,
        rows: p.distinctOffsets,
        why: p.findings.map((f) => f.kind).join(', ') || undefined,
      })),
    );
}
