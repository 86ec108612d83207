/**
 * One leg against the topic: per partition its rows, distinct offsets, duplicates (as runs),
 * the exact missing ranges, error rows and dead-lettered records, rows below the log start,
 * and a checksum of its content; computed inside ClickHouse, no row pulled into Node.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import { queryRows, tableExists } from '../clickhouse/query.js';
import type { Content } from '../pipeline/content.js';
import type { LagReport, LegReport, LegSpec, PartitionReport } from './model.js';
import {
  accountedCountQuery,
  belowLogStartQuery,
  duplicateRangesQuery,
  gapsQuery,
  landedAmongQuery,
  MARKED_OFFSETS,
  qualified,
  statsQuery,
  type OffsetRange,
} from './queries.js';
import { committedOffsets, readDeadLetters, type DeadLetter, type PartitionTruth } from './truth.js';

export interface LegOptions {
  topic: string;
  content: Content;
  /** Legs known not to be deployed: reported absent. */
  notDeployed?: string[];
}

/** Runs of duplicated offsets a report lists per leg. */
const DUPLICATE_RANGES_SHOWN = 1000;

const n = (v: string | number | undefined) => Number(v ?? 0);

const offsetKey = (d: { partition: number; offset: bigint }) => `${d.partition}:${d.offset}`;

/** The sink's exactly-once mode dead-letters a re-delivered record it takes for one already inserted. */
export function isDuplicateNotice(d: DeadLetter): boolean {
  return d.exceptionClass?.endsWith('.DuplicateException') ?? false;
}

export async function verifyLeg(
  ch: ClickHouseClient,
  admin: Admin,
  kafka: Kafka,
  leg: LegSpec,
  opts: LegOptions,
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
    statsQuery(table, opts.topic, ranges, opts.content.hash),
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
      findings: [],
    };
  });
  const sum = (k: 'expected' | 'distinctOffsets' | 'duplicates' | 'errorRows' | 'deadLettered' | 'deadLetteredLanded' | 'missing' | 'belowLogStart') => partitions.reduce((acc, p) => acc + p[k], 0);
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

