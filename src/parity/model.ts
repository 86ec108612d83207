/**
 * verify:parity's result, one typed model: per leg and partition the figures parity measured
 * and the findings judged from them, once (`judge`), which the text report, JSON, JUnit, HTML,
 * --watch and --incremental all render or act on. A finding is a kind with its figures; an
 * exact partition has none.
 */
import type { IncrementalReport } from './incremental/incremental.js';
import type { WitnessReport } from './witness/witness.js';

export interface LegSpec {
  name: string;
  database: string;
  table: string;
  group: string;
  /** The Kafka engine's errors table. */
  errorsTable?: string;
  /** The connector's dead-letter topic. */
  dlqTopic?: string;
}

export type OffsetRangeText = { from: string; to: string };

export type Finding =
  | { kind: 'not-settled'; note: string }
  | { kind: 'missing'; offsets: number; ranges: OffsetRangeText[] }
  | { kind: 'duplicates'; rows: number; ranges: (OffsetRangeText & { copies: number })[] }
  | { kind: 'accounting'; expected: number; landed: number; deadLettered: number; errorRows: number; missing: number }
  | { kind: 'differs-between-legs'; offsets: number }
  | { kind: 'differs-from-topic'; offsets: number; columns: Record<string, number>; notEvents: number };

export interface PartitionReport {
  partition: number;
  expected: number;
  rows: number;
  distinctOffsets: number;
  duplicates: number;
  minOffset?: string;
  maxOffset?: string;
  errorRows: number;
  /** Offsets in the DLQ whose rows did not land. */
  deadLettered: number;
  /** The error rows' and the dead-lettered offsets (at most MARKED_OFFSETS of each). */
  errorOffsets: string[];
  deadLetteredOffsets: string[];
  /** Offsets in the DLQ whose rows landed all the same (counted as landed). */
  deadLetteredLanded: number;
  missing: number;
  missingRanges: OffsetRangeText[];
  /** Runs of offsets held more than once, with their largest copy count. */
  duplicateRanges: (OffsetRangeText & { copies: number })[];
  belowLogStart: number;
  checksum: string;
  /** What is not exact here (judge); empty when the partition is exact. */
  findings: Finding[];
}

export interface LagReport {
  partition: number;
  committed?: string;
  end: string;
  lag?: string;
}

export interface LegReport {
  leg: string;
  table: string;
  group: string;
  present: boolean;
  absentReason?: string;
  lag: LagReport[];
  partitions: PartitionReport[];
  totals: { expected: number; landed: number; duplicates: number; errorRows: number; deadLettered: number; deadLetteredLanded: number; missing: number; belowLogStart: number };
  /** produced = landed + dead-lettered + error rows + missing */
  accountingHolds: boolean;
  exact: boolean;
}

export interface ContentReport {
  compared: boolean;
  reason?: string;
  partitions: { partition: number; equal: boolean; differing: number }[];
  differing: number;
  examples: { partition: number; offset: string; left: unknown; right: unknown }[];
}

export interface ParityReport {
  /** The pipeline checked. */
  pipeline?: string;
  topic: string;
  source: 'topic' | 'run';
  runId?: string;
  /** What the check required: both legs present and exact, or the present ones. */
  require?: 'both' | 'any';
  ranges: { partition: number; from: string; to: string }[];
  settled: boolean;
  settleNote?: string;
  legs: LegReport[];
  content: ContentReport;
  /** The topic as the third witness (`--content topic`). */
  witness?: WitnessReport;
  /** `--incremental`: the watermarks, what held below them, what moved. */
  incremental?: IncrementalReport;
  exact: boolean;
  exitCode: 0 | 1;
  reasons: string[];
  elapsedMs: number;
}

/** The findings of one leg's partition, from the figures parity measured. */
export function judgePartition(report: Pick<ParityReport, 'settled' | 'settleNote' | 'content' | 'witness'>, leg: string, p: Omit<PartitionReport, 'findings'>): Finding[] {
  const out: Finding[] = [];
  if (!report.settled) out.push({ kind: 'not-settled', note: report.settleNote ?? '' });
  if (p.missing > 0) out.push({ kind: 'missing', offsets: p.missing, ranges: p.missingRanges });
  if (p.duplicates > 0) out.push({ kind: 'duplicates', rows: p.duplicates, ranges: p.duplicateRanges });
  if (p.expected !== p.distinctOffsets + p.deadLettered + p.errorRows + p.missing) {
    out.push({ kind: 'accounting', expected: p.expected, landed: p.distinctOffsets, deadLettered: p.deadLettered, errorRows: p.errorRows, missing: p.missing });
  }
  const between = report.content.compared ? report.content.partitions.find((c) => c.partition === p.partition) : undefined;
  if (between && between.differing > 0) out.push({ kind: 'differs-between-legs', offsets: between.differing });
  const w = report.witness?.partitions.find((x) => x.partition === p.partition)?.legs.find((l) => l.leg === leg);
  if (w && !w.equal) out.push({ kind: 'differs-from-topic', offsets: w.differing, columns: Object.fromEntries(Object.entries(w.columns).filter(([, n]) => n > 0)), notEvents: w.notEvents });
  return out;
}

/** Fills in every present leg's partition findings (verify:parity does, once; tests' hand-built reports too). */
export function judge<R extends Pick<ParityReport, 'settled' | 'settleNote' | 'content' | 'witness' | 'legs'>>(report: R): R {
  for (const leg of report.legs) for (const p of leg.partitions) p.findings = judgePartition(report, leg.leg, p);
  return report;
}

const RANGES_NAMED = 10;

function rangesText(rs: { from: string; to: string; copies?: number }[]): string {
  const shown = rs.slice(0, RANGES_NAMED).map((r) => (r.from === r.to ? r.from : `[${r.from}, ${r.to}]`) + (r.copies ? ` x${r.copies}` : ''));
  return shown.join(', ') + (rs.length > RANGES_NAMED ? ` (+${rs.length - RANGES_NAMED} more)` : '');
}

/** How a leg's partition differs from the topic, in words: each differing column with its count, then rows at offsets holding no event. */
export function topicDifferenceText(f: { columns: Record<string, number>; notEvents: number }): string {
  const out = Object.entries(f.columns).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`);
  if (f.notEvents > 0) out.push(`${f.notEvents} rows where the topic holds no event`);
  return out.join(', ');
}

/** A finding in words (JUnit failures, HTML, watch lines). */
export function findingText(f: Finding): string {
  switch (f.kind) {
    case 'not-settled':
      return `not settled: ${f.note}`;
    case 'missing':
      return `${f.offsets} offsets missing: ${rangesText(f.ranges)}`;
    case 'duplicates':
      return `${f.rows} duplicate rows: ${rangesText(f.ranges)}`;
    case 'accounting':
      return `expected ${f.expected} != landed ${f.landed} + dead-lettered ${f.deadLettered} + error rows ${f.errorRows} + missing ${f.missing}`;
    case 'differs-between-legs':
      return `content differs from the other leg at ${f.offsets} offsets`;
    case 'differs-from-topic':
      return `differs from the topic at ${f.offsets} offsets (${topicDifferenceText(f)})`;
  }
}

/** Whether a leg's partition is exact: present, and no finding. */
export function partitionExact(p: PartitionReport): boolean {
  return p.findings.length === 0;
}
