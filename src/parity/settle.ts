/**
 * `verify:parity --wait`: waits until every present leg's group has committed the end of the
 * expected ranges (or up to records it dead-lettered there) and the tables stop changing;
 * gives up at the timeout (reported, not thrown).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import { queryRows, tableExists } from '../clickhouse/query.js';
import type { LegSpec } from './model.js';
import { accountedCountQuery, qualified, rangeFilter, type OffsetRange } from './queries.js';
import { committedOffsets, readDeadLetters } from './truth.js';

/** A leg whose group has committed nothing by then, and which holds no rows of the ranges, is taken as not deployed and not waited for. */
const NEVER_COMMITTED_GRACE_MS = 30_000;
/** How often a leg waiting at dead-lettered records re-reads its dead-letter topic. */
const DLQ_REFRESH_MS = 5_000;
/** How long row counts must hold still to count as settled. */
const STABLE_MS = 1500;

const n = (v: string | number | undefined) => Number(v ?? 0);

/** Rows of a leg in the ranges, plus its error rows: what it has accounted for so far. */
async function landedCount(ch: ClickHouseClient, leg: LegSpec, topic: string, ranges: OffsetRange[]): Promise<number> {
  const params: Record<string, unknown> = { topic };
  const [r] = await queryRows<{ rows: string }>(ch, { query: `SELECT count() AS rows FROM ${qualified(leg.database, leg.table)} WHERE ${rangeFilter(ranges, params)}`, params });
  let total = n(r?.rows);
  if (leg.errorsTable && (await tableExists(ch, leg.database, leg.errorsTable))) {
    const errs = await queryRows<{ offsets: string }>(ch, accountedCountQuery(qualified(leg.database, leg.errorsTable), topic, ranges));
    total += errs.reduce((s, e) => s + n(e.offsets), 0);
  }
  return total;
}

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

export interface SettleOptions {
  topic: string;
  timeoutMs: number;
  onProgress?: (line: string) => void;
}

export async function settle(admin: Admin, kafka: Kafka, ch: ClickHouseClient, opts: SettleOptions, legs: LegSpec[], ranges: OffsetRange[]): Promise<{ settled: boolean; note?: string }> {
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
    const stable = stableSince > 0 && Date.now() - stableSince >= STABLE_MS;

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
