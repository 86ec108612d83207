/**
 * verify:parity: proves, per partition and offset, what each pipeline landed against the
 * topic itself, and the two pipelines against each other (and with --content topic, each
 * against the topic's own records). The flow: the truth from Kafka, --incremental's plan,
 * --wait's settle, each leg (leg.ts), the legs' content (content.ts), the witness, then the
 * findings judged once (model.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import { tableExists } from '../clickhouse/query.js';
import type { Content } from '../pipeline/content.js';
import { compareContent } from './content.js';
import { Incremental, partitionVerdicts } from './incremental/incremental.js';
import { verifyLeg } from './leg.js';
import { judge, topicDifferenceText, type LegReport, type LegSpec, type ParityReport } from './model.js';
import { qualified, type OffsetRange } from './queries.js';
import { settle } from './settle.js';
import { committedOffsets, expectedRanges, topicTruth, type RunSummary } from './truth.js';
import { topicWitness, type WitnessOptions } from './witness/witness.js';

export type { ContentReport, LagReport, LegReport, LegSpec, ParityReport, PartitionReport } from './model.js';

export interface VerifyOptions {
  /** The pipeline's name, for the report. */
  pipeline?: string;
  topic: string;
  legs: LegSpec[];
  /** The pipeline's event columns and content hash. */
  content: Content;
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
  witness?: Omit<WitnessOptions, 'diffLimit' | 'idleTimeoutMs' | 'onProgress' | 'content'>;
  /** Legs known not to be deployed (e.g. Connect has no such connector): reported absent, not waited for. */
  notDeployed?: string[];
  onProgress?: (line: string) => void;
}

/** The topic witness gives up when the broker sends nothing for this long. */
const WITNESS_IDLE_TIMEOUT_MS = 60_000;

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
  const incremental = opts.incremental ? new Incremental(ch, opts.incremental.database, opts.topic, opts.content.hash) : undefined;
  if (incremental) ranges = await incremental.plan(truth, ranges, incLegs);

  let settled = true;
  let settleNote: string | undefined;
  if (opts.wait) ({ settled, note: settleNote } = await settle(admin, kafka, ch, opts, present, ranges));

  const legs: LegReport[] = [];
  for (const leg of opts.legs) legs.push(await verifyLeg(ch, admin, kafka, leg, opts, truth, ranges));
  const content =
    legs.length === 2
      ? await compareContent(ch, legs[0]!, legs[1]!, opts.topic, ranges, opts.diffLimit, opts.content)
      : { compared: false, reason: 'one leg configured', partitions: [], differing: 0, examples: [] };
  const witness = opts.witness
    ? await topicWitness(
        opts.topic,
        ranges,
        legs.map((l) => ({ leg: l.leg, table: l.table, present: l.present })),
        { ...opts.witness, content: opts.content, diffLimit: opts.diffLimit, idleTimeoutMs: WITNESS_IDLE_TIMEOUT_MS, onProgress: opts.onProgress },
      )
    : undefined;
  // The findings of every leg's partition, judged once: the reasons, JUnit, HTML and the watermarks read them.
  judge({ settled, settleNote, content, witness, legs });

  const incrementalReport = incremental
    ? await incremental.advance(
        incLegs.filter((l) => legs.some((r) => r.leg === l.leg && r.present)),
        ranges,
        partitionVerdicts(legs),
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
    const columns = topicDifferenceText({ columns: w.columns, notEvents: 0 });
    reasons.push(`${w.leg}: differs from the topic at ${w.differing} offsets${columns ? ` (${columns})` : ''}`);
  }
  const exact = reasons.length === 0;
  return {
    ...(opts.pipeline ? { pipeline: opts.pipeline } : {}),
    topic: opts.topic,
    source: opts.run ? 'run' : 'topic',
    require: opts.require,
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

