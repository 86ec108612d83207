/**
 * verify:parity: proves, per partition and offset, what each pipeline landed
 * against the topic itself, and the two pipelines against each other.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import { queryRows, tableExists } from '../clickhouse/query.js';
import type { KitConfig } from '../config.js';
import { quickConnectClient } from '../connect/rest.js';
import {
  accountedCountQuery,
  belowLogStartQuery,
  contentDiffCountQuery,
  contentDiffQuery,
  duplicateRangesQuery,
  landedAmongQuery,
  gapsQuery,
  MARKED_OFFSETS,
  qualified,
  statsQuery,
  type OffsetRange,
} from './queries.js';
import { Incremental, partitionVerdicts, type IncrementalReport } from './incremental/incremental.js';
import { topicWitness, type WitnessOptions, type WitnessReport } from './witness/witness.js';
import { committedOffsets, expectedRanges, readDeadLetters, topicTruth, type DeadLetter, type PartitionTruth, type RunSummary } from './truth.js';

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

export interface VerifyOptions {
  topic: string;
  legs: LegSpec[];
  run?: RunSummary;
  wait: boolean;
  timeoutMs: number;
  require: 'both' | 'any';
  diffLimit: number;
  /**
   * How far each partition's range reaches without a run: `end`, the log end (default);
   * `committed`, the lowest offset the legs' groups have committed (what must have landed,
   * for checks of a live topic).
   */
  upTo?: 'end' | 'committed';
  /** `--incremental`: check only above the watermarks kept in this database, and move them. */
  incremental?: { database: string };
  /** `--content topic`: compare each leg with the topic's own records too. */
  witness?: Omit<WitnessOptions, 'diffLimit' | 'idleTimeoutMs' | 'onProgress'>;
  /** Legs known not to be deployed (e.g. Connect has no such connector): reported absent, not waited for. */
  notDeployed?: string[];
  onProgress?: (line: string) => void;
}

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
  missingRanges: { from: string; to: string }[];
  /** Runs of offsets held more than once, with their largest copy count (at most DUPLICATE_RANGES_SHOWN per leg). */
  duplicateRanges: { from: string; to: string; copies: number }[];
  belowLogStart: number;
  checksum: string;
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
  topic: string;
  source: 'topic' | 'run';
  runId?: string;
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

const n = (v: string | number | undefined) => Number(v ?? 0);

async function landedCount(ch: ClickHouseClient, leg: LegSpec, topic: string, ranges: OffsetRange[]): Promise<number> {
  const stats = await queryRows<{ rows: string }>(ch, statsQuery(qualified(leg.database, leg.table), topic, ranges));
  let total = stats.reduce((s, r) => s + n(r.rows), 0);
  if (leg.errorsTable && (await tableExists(ch, leg.database, leg.errorsTable))) {
    const errs = await queryRows<{ offsets: string }>(ch, accountedCountQuery(qualified(leg.database, leg.errorsTable), topic, ranges));
    total += errs.reduce((s, r) => s + n(r.offsets), 0);
  }
  return total;
}

const offsetKey = (d: { partition: number; offset: bigint }) => `${d.partition}:${d.offset}`;

/** The sink's exactly-once mode dead-letters a re-delivered record it takes for one already inserted. */
export function isDuplicateNotice(d: DeadLetter): boolean {
  return d.exceptionClass?.endsWith('.DuplicateException') ?? false;
}

/** The topic witness gives up when the broker sends nothing for this long. */
const WITNESS_IDLE_TIMEOUT_MS = 60_000;

/** Runs of duplicated offsets a report lists per leg. */
const DUPLICATE_RANGES_SHOWN = 1000;

/** A leg whose group has committed nothing by then, and which holds no rows of the ranges, is taken as not deployed and not waited for. */
const NEVER_COMMITTED_GRACE_MS = 30_000;
/** How often a leg waiting at dead-lettered records re-reads its dead-letter topic. */
const DLQ_REFRESH_MS = 5_000;

/**
 * Dead-lettered offsets per partition, read only while a leg with a dead-letter topic
 * waits and its rows are stable: the sink connector (with reportInsertedOffsets) commits
 * up to the last record it inserted, so records dead-lettered at the end of a partition
 * are never committed past.
 */
class DeadLetterOffsets {
  private read = new Map<string, { at: number; offsets: Map<number, Set<bigint>> }>();
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly topic: string,
  ) {}

  async of(dlqTopic: string): Promise<Map<number, Set<bigint>>> {
    const cached = this.read.get(dlqTopic);
    if (cached && Date.now() - cached.at < DLQ_REFRESH_MS) return cached.offsets;
    const offsets = new Map<number, Set<bigint>>();
    for (const l of (await readDeadLetters(this.kafka, this.admin, dlqTopic, this.topic)) ?? []) {
      if (!offsets.has(l.partition)) offsets.set(l.partition, new Set());
      offsets.get(l.partition)!.add(l.offset);
    }
    this.read.set(dlqTopic, { at: Date.now(), offsets });
    return offsets;
  }
}

/** A committed offset moved past the dead-lettered records it stops at. */
export function pastDeadLetters(committed: bigint, deadLettered: Set<bigint> | undefined, end: bigint): bigint {
  let c = committed;
  while (c < end && deadLettered?.has(c)) c++;
  return c;
}

/**
 * Waits until every present leg's group has committed the end of the expected
 * ranges (or up to records it dead-lettered there) and the tables stop changing;
 * gives up at the timeout (reported).
 */
async function settle(
  admin: Admin,
  kafka: Kafka,
  ch: ClickHouseClient,
  opts: VerifyOptions,
  legs: LegSpec[],
  ranges: OffsetRange[],
): Promise<{ settled: boolean; note?: string }> {
  const started = Date.now();
  const deadLetters = new DeadLetterOffsets(kafka, admin, opts.topic);
  let previous = '';
  let stableSince = 0;
  for (;;) {
    const landed = await Promise.all(legs.map((l) => landedCount(ch, l, opts.topic, ranges)));
    const counts = landed.join(',');
    if (counts === previous) stableSince ||= Date.now();
    else stableSince = 0;
    previous = counts;
    const stable = stableSince > 0 && Date.now() - stableSince >= 1500;

    const behind: string[] = [];
    for (const [i, leg] of legs.entries()) {
      const committed = await committedOffsets(admin, leg.group, opts.topic);
      // Rows without a commit yet (a restarted consumer waiting out its group's session timeout) are waited for.
      if (committed === undefined && landed[i] === 0 && Date.now() - started > NEVER_COMMITTED_GRACE_MS) continue;
      for (const r of ranges) {
        if (r.to < r.from) continue;
        const end = r.to + 1n;
        let c = committed?.get(r.partition);
        if (c !== undefined && c < end && leg.dlqTopic && stable) {
          c = pastDeadLetters(c, (await deadLetters.of(leg.dlqTopic)).get(r.partition), end);
        }
        if (c === undefined || c < end) behind.push(`${leg.name} p${r.partition} at ${c ?? 'none'}/${end}`);
      }
    }
    if (behind.length === 0 && stable) return { settled: true };
    if (Date.now() - started > opts.timeoutMs) {
      return {
        settled: false,
        note: `not settled after ${Math.round(opts.timeoutMs / 1000)} s: ${behind.length ? `groups behind: ${behind.slice(0, 6).join(', ')}${behind.length > 6 ? ', ...' : ''}` : 'row counts still changing'}`,
      };
    }
    opts.onProgress?.(`waiting: ${behind.length ? `${behind.length} partition(s) behind (${behind[0]})` : 'row counts settling'}; landed ${counts}`);
    await sleep(1000);
  }
}

async function verifyLeg(
  ch: ClickHouseClient,
  admin: Admin,
  kafka: Kafka,
  leg: LegSpec,
  opts: VerifyOptions,
  truth: PartitionTruth[],
  ranges: OffsetRange[],
): Promise<LegReport> {
  const table = qualified(leg.database, leg.table);
  const committed = await committedOffsets(admin, leg.group, opts.topic);
  const lag: LagReport[] = truth.map((t) => {
    const c = committed?.get(t.partition);
    return { partition: t.partition, committed: c?.toString(), end: t.end.toString(), lag: c === undefined ? undefined : (t.end - c).toString() };
  });
  const base = { leg: leg.name, table, group: leg.group, lag };
  const empty = { expected: 0, landed: 0, duplicates: 0, errorRows: 0, deadLettered: 0, deadLetteredLanded: 0, missing: 0, belowLogStart: 0 };
  const absent = (absentReason: string): LegReport => ({ ...base, present: false, absentReason, partitions: [], totals: empty, accountingHolds: false, exact: false });
  if (!(await tableExists(ch, leg.database, leg.table))) return absent(`table ${table} does not exist`);

  const stats = await queryRows<{ partition: number; rows: string; distinct_offsets: string; min_offset: string; max_offset: string; checksum: string }>(
    ch,
    statsQuery(table, opts.topic, ranges),
  );
  if (committed === undefined && stats.length === 0) {
    const why = opts.notDeployed?.includes(leg.name) ? 'not deployed' : 'not deployed or never consumed';
    return absent(`${why}: group ${leg.group} has no committed offsets on ${opts.topic} and ${table} holds none of its rows`);
  }

  const errorsTable = leg.errorsTable && (await tableExists(ch, leg.database, leg.errorsTable)) ? qualified(leg.database, leg.errorsTable) : undefined;
  const errorCounts = errorsTable ? await queryRows<{ partition: number; offsets: string; offsets_listed: string[] }>(ch, accountedCountQuery(errorsTable, opts.topic, ranges)) : [];
  const dead = leg.dlqTopic ? ((await readDeadLetters(kafka, admin, leg.dlqTopic, opts.topic)) ?? []) : [];
  // Distinct offsets: a replay (an offset reset, a task re-delivering after a crash) dead-letters a
  // record again; where an offset has a real error and a duplicate notice, the error counts.
  const byOffset = new Map<string, DeadLetter>();
  for (const d of [...dead].sort((a, b) => Number(!isDuplicateNotice(a)) - Number(!isDuplicateNotice(b)))) byOffset.set(offsetKey(d), d);
  const deadInRange = [...byOffset.values()].filter((d) => ranges.some((r) => r.partition === d.partition && d.offset >= r.from && d.offset <= r.to));
  // A dead-lettered record whose row landed all the same is landed, not dead-lettered (the sink's
  // exactly-once mode dead-letters re-delivered records it takes for duplicates). A duplicate
  // notice for a row that is not there accounts for nothing: that offset stays missing.
  const landedDead =
    deadInRange.length === 0
      ? new Set<string>()
      : new Set((await queryRows<{ partition: number; offset: string }>(ch, landedAmongQuery(table, opts.topic, deadInRange))).map((r) => `${r.partition}:${r.offset}`));
  const accountedDead = deadInRange.filter((d) => !landedDead.has(offsetKey(d)) && !isDuplicateNotice(d));
  // A partition whose table holds every offset of its range (distinct offsets in the
  // range == its size, min and max at its ends) can have no gap: the gaps query runs
  // only for the others, with only their accounted offsets.
  const unproven = ranges.filter((r) => {
    if (r.to < r.from) return false;
    const s = stats.find((x) => x.partition === r.partition);
    return !(s && BigInt(s.distinct_offsets) === r.to - r.from + 1n && BigInt(s.min_offset) === r.from && BigInt(s.max_offset) === r.to);
  });
  const gaps =
    unproven.length === 0
      ? []
      : await queryRows<{ partition: number; from_offset: string; to_offset: string }>(
          ch,
          gapsQuery(table, opts.topic, unproven, {
            table: errorsTable,
            offsets: accountedDead.filter((d) => unproven.some((r) => r.partition === d.partition)),
          }),
        );
  const withDuplicates = ranges.filter((r) => {
    const st = stats.find((x) => x.partition === r.partition);
    return st !== undefined && n(st.rows) > n(st.distinct_offsets);
  });
  const duplicateRuns =
    withDuplicates.length === 0
      ? []
      : await queryRows<{ partition: number; from_offset: string; to_offset: string; copies: string }>(
          ch,
          duplicateRangesQuery(table, opts.topic, withDuplicates, DUPLICATE_RANGES_SHOWN),
        );
  const below = await queryRows<{ partition: number; offsets: string }>(
    ch,
    belowLogStartQuery(table, opts.topic, truth.map((t) => ({ partition: t.partition, logStart: t.logStart }))),
  );

  const partitions: PartitionReport[] = ranges.map((r) => {
    const s = stats.find((x) => x.partition === r.partition);
    const missingRanges = gaps.filter((g) => g.partition === r.partition).map((g) => ({ from: g.from_offset, to: g.to_offset }));
    const rowsN = n(s?.rows);
    const distinct = n(s?.distinct_offsets);
    return {
      partition: r.partition,
      expected: r.to >= r.from ? Number(r.to - r.from + 1n) : 0,
      rows: rowsN,
      distinctOffsets: distinct,
      duplicates: rowsN - distinct,
      minOffset: s?.min_offset,
      maxOffset: s?.max_offset,
      errorRows: n(errorCounts.find((e) => e.partition === r.partition)?.offsets),
      deadLettered: accountedDead.filter((d) => d.partition === r.partition).length,
      errorOffsets: errorCounts.find((e) => e.partition === r.partition)?.offsets_listed ?? [],
      deadLetteredOffsets: accountedDead
        .filter((d) => d.partition === r.partition)
        .sort((a, b) => (a.offset < b.offset ? -1 : 1))
        .slice(0, MARKED_OFFSETS)
        .map((d) => d.offset.toString()),
      deadLetteredLanded: deadInRange.filter((d) => d.partition === r.partition && landedDead.has(offsetKey(d))).length,
      missing: missingRanges.reduce((sum, g) => sum + Number(BigInt(g.to) - BigInt(g.from) + 1n), 0),
      missingRanges,
      duplicateRanges: duplicateRuns
        .filter((d) => d.partition === r.partition)
        .map((d) => ({ from: d.from_offset, to: d.to_offset, copies: n(d.copies) })),
      belowLogStart: n(below.find((b) => b.partition === r.partition)?.offsets),
      checksum: s?.checksum ?? '0',
    };
  });
  const sum = (k: keyof PartitionReport) => partitions.reduce((acc, p) => acc + (p[k] as number), 0);
  const totals = {
    expected: sum('expected'),
    landed: sum('distinctOffsets'),
    duplicates: sum('duplicates'),
    errorRows: sum('errorRows'),
    deadLettered: sum('deadLettered'),
    deadLetteredLanded: sum('deadLetteredLanded'),
    missing: sum('missing'),
    belowLogStart: sum('belowLogStart'),
  };
  const accountingHolds = totals.expected === totals.landed + totals.deadLettered + totals.errorRows + totals.missing;
  return { ...base, present: true, partitions, totals, accountingHolds, exact: accountingHolds && totals.missing === 0 && totals.duplicates === 0 };
}

async function compareContent(ch: ClickHouseClient, left: LegReport, right: LegReport, topic: string, ranges: OffsetRange[], limit: number): Promise<ContentReport> {
  if (!left.present || !right.present) {
    return { compared: false, reason: 'one leg is absent', partitions: [], differing: 0, examples: [] };
  }
  const partitions: ContentReport['partitions'] = [];
  const examples: ContentReport['examples'] = [];
  for (const r of ranges) {
    const a = left.partitions.find((p) => p.partition === r.partition)!;
    const b = right.partitions.find((p) => p.partition === r.partition)!;
    const sameSet = a.rows === b.rows && a.duplicates === 0 && b.duplicates === 0 && a.distinctOffsets === b.distinctOffsets && a.missing === 0 && b.missing === 0;
    if (sameSet && a.checksum === b.checksum) {
      partitions.push({ partition: r.partition, equal: true, differing: 0 });
      continue;
    }
    // Checksums differ or the offset sets differ: compare the rows both legs hold.
    const [count] = await queryRows<{ differing: string }>(ch, contentDiffCountQuery(left.table, right.table, topic, [r]));
    const differing = n(count?.differing);
    partitions.push({ partition: r.partition, equal: differing === 0, differing });
    if (differing > 0 && examples.length < limit) {
      const diff = await queryRows<{ partition: number; offset: string; left_row: unknown; right_row: unknown }>(
        ch,
        contentDiffQuery(left.table, right.table, topic, [r], limit - examples.length),
      );
      examples.push(...diff.map((d) => ({ partition: d.partition, offset: d.offset, left: d.left_row, right: d.right_row })));
    }
  }
  return { compared: true, partitions, differing: partitions.reduce((s, p) => s + p.differing, 0), examples };
}

/** Each range cut at the lowest offset committed by the legs' groups; a partition no group has committed to is left empty. */
async function upToCommitted(admin: Admin, opts: VerifyOptions, ranges: OffsetRange[]): Promise<OffsetRange[]> {
  const commits: Map<number, bigint>[] = [];
  for (const leg of opts.legs) {
    if (opts.notDeployed?.includes(leg.name)) continue;
    const c = await committedOffsets(admin, leg.group, opts.topic);
    if (c) commits.push(c);
  }
  return ranges.map((r) => {
    const ends = commits.map((c) => c.get(r.partition)).filter((e): e is bigint => e !== undefined);
    const end = ends.length === 0 ? r.from : ends.reduce((a, b) => (b < a ? b : a));
    return { ...r, to: end - 1n < r.to ? end - 1n : r.to };
  });
}

export async function verifyParity(ch: ClickHouseClient, kafka: Kafka, admin: Admin, opts: VerifyOptions): Promise<ParityReport> {
  const started = Date.now();
  const truth = await topicTruth(admin, opts.topic);
  let ranges = expectedRanges(truth, opts.run);
  if (!opts.run && opts.upTo === 'committed') ranges = await upToCommitted(admin, opts, ranges);
  for (const r of ranges) {
    if (!truth.some((t) => t.partition === r.partition)) {
      throw new Error(`the run summary names partition ${r.partition}, which ${opts.topic} does not have`);
    }
  }

  const present: LegSpec[] = [];
  for (const leg of opts.legs) {
    if (!opts.notDeployed?.includes(leg.name) && (await tableExists(ch, leg.database, leg.table))) present.push(leg);
  }
  const incLegs = present.map((l) => ({ leg: l.name, table: qualified(l.database, l.table), database: l.database, tableName: l.table }));
  const incremental = opts.incremental ? new Incremental(ch, opts.incremental.database, opts.topic) : undefined;
  if (incremental) ranges = await incremental.plan(truth, ranges, incLegs);

  let settled = true;
  let settleNote: string | undefined;
  if (opts.wait) ({ settled, note: settleNote } = await settle(admin, kafka, ch, opts, present, ranges));

  const legs: LegReport[] = [];
  for (const leg of opts.legs) legs.push(await verifyLeg(ch, admin, kafka, leg, opts, truth, ranges));
  const content =
    legs.length === 2
      ? await compareContent(ch, legs[0]!, legs[1]!, opts.topic, ranges, opts.diffLimit)
      : { compared: false, reason: 'one leg configured', partitions: [], differing: 0, examples: [] };
  const witness = opts.witness
    ? await topicWitness(
        opts.topic,
        ranges,
        legs.map((l) => ({ leg: l.leg, table: l.table, present: l.present })),
        { ...opts.witness, diffLimit: opts.diffLimit, idleTimeoutMs: WITNESS_IDLE_TIMEOUT_MS, onProgress: opts.onProgress },
      )
    : undefined;

  const incrementalReport = incremental
    ? await incremental.advance(
        incLegs.filter((l) => legs.some((r) => r.leg === l.leg && r.present)),
        ranges,
        partitionVerdicts(legs, content, witness, settled),
      )
    : undefined;

  const reasons: string[] = [...(incremental?.reasons() ?? [])];
  const presentLegs = legs.filter((l) => l.present);
  for (const l of legs) {
    if (!l.present) {
      if (opts.require === 'both') reasons.push(`${l.leg}: absent (${l.absentReason})`);
      continue;
    }
    if (l.totals.missing > 0) reasons.push(`${l.leg}: ${l.totals.missing} offsets missing`);
    if (l.totals.duplicates > 0) reasons.push(`${l.leg}: ${l.totals.duplicates} duplicate rows`);
    if (!l.accountingHolds) reasons.push(`${l.leg}: produced != landed + dead-lettered + error rows + missing`);
  }
  if (presentLegs.length === 0) reasons.push('no leg is present');
  if (content.compared && content.differing > 0) reasons.push(`content differs between the legs at ${content.differing} offsets`);
  for (const w of witness?.legs ?? []) {
    if (w.differing === 0) continue;
    const columns = Object.entries(w.columns).filter(([, c]) => c > 0).map(([c, k]) => `${c} ${k}`);
    reasons.push(`${w.leg}: differs from the topic at ${w.differing} offsets${columns.length ? ` (${columns.join(', ')})` : ''}`);
  }
  const exact = reasons.length === 0;
  return {
    topic: opts.topic,
    source: opts.run ? 'run' : 'topic',
    runId: opts.run?.runId,
    ranges: ranges.map((r) => ({ partition: r.partition, from: r.from.toString(), to: r.to.toString() })),
    settled,
    settleNote,
    legs,
    content,
    witness,
    incremental: incrementalReport,
    exact,
    exitCode: exact ? 0 : 1,
    reasons,
    elapsedMs: Date.now() - started,
  };
}

/**
 * Asks the Connect worker whether the sink connector exists. Undefined when the
 * worker does not answer: parity then learns it from the consumer group alone.
 */
export async function connectorDeployed(config: KitConfig): Promise<boolean | undefined> {
  try {
    return (await quickConnectClient(config.connect.url).status(config.connector.name)) !== undefined;
  } catch {
    return undefined;
  }
}

/** The kit's two legs as the config names them; flags may override table and topic names. */
export function legsFromConfig(
  config: KitConfig,
  overrides: { connectorTable?: string; kafkaTable?: string; errorsTable?: string; dlqTopic?: string } = {},
): LegSpec[] {
  const database = config.clickhouse.database;
  return [
    { name: 'connector', database, table: overrides.connectorTable ?? config.tables.connector, group: config.connector.group, dlqTopic: overrides.dlqTopic ?? config.connector.dlqTopic },
    { name: 'kafka_engine', database, table: overrides.kafkaTable ?? config.tables.kafka, group: config.clickhouseKafka.consumerGroup, errorsTable: overrides.errorsTable ?? config.tables.kafkaErrors },
  ];
}
