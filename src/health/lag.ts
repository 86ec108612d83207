/**
 * Per-partition consumer lag: the topic's end offsets against a group's committed
 * offsets. Pure: the Kafka reads live in collect.ts.
 */
import type { PartitionTruth } from '../parity/truth.js';

/** A partition's log-start offset (what retention left) and end offset (the next to be written). */
export type PartitionEnds = PartitionTruth;

/**
 * - `ok`: committed within [logStart, end], lag = end - committed;
 * - `no-commit`: the group committed nothing for the partition (lag unknown);
 * - `behind-log-start`: the committed offset was deleted by retention; the group
 *   will resume at the log start, so lag = end - logStart and records were skipped;
 * - `ahead`: committed past the end (the topic was recreated?); lag 0.
 */
export type PartitionLagState = 'ok' | 'no-commit' | 'behind-log-start' | 'ahead';

export interface PartitionLag {
  partition: number;
  logStart: string;
  end: string;
  committed?: string;
  lag?: number;
  state: PartitionLagState;
}

export interface GroupLag {
  /** Which leg the group belongs to: connector or kafka_engine. */
  leg: string;
  group: string;
  /** false when the group has no committed offset on the topic at all. */
  committed: boolean;
  partitions: PartitionLag[];
  /** Sum over the partitions with a known lag. */
  totalLag: number;
  /** Partitions whose lag is unknown (no commit). */
  unknown: number;
}

export function partitionLag(ends: PartitionEnds, committed: bigint | undefined): PartitionLag {
  const base = { partition: ends.partition, logStart: ends.logStart.toString(), end: ends.end.toString() };
  if (committed === undefined) return { ...base, state: 'no-commit' };
  const c = { ...base, committed: committed.toString() };
  if (committed > ends.end) return { ...c, lag: 0, state: 'ahead' };
  if (committed < ends.logStart) return { ...c, lag: Number(ends.end - ends.logStart), state: 'behind-log-start' };
  return { ...c, lag: Number(ends.end - committed), state: 'ok' };
}

/** The lag of one group over every partition of the topic, in partition order. */
export function groupLag(leg: string, group: string, ends: readonly PartitionEnds[], committed: ReadonlyMap<number, bigint> | undefined): GroupLag {
  const partitions = [...ends].sort((a, b) => a.partition - b.partition).map((e) => partitionLag(e, committed?.get(e.partition)));
  return {
    leg,
    group,
    committed: committed !== undefined && committed.size > 0,
    partitions,
    totalLag: partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0),
    unknown: partitions.filter((p) => p.lag === undefined).length,
  };
}

/** Messages a topic holds now: the sum of end - logStart over its partitions. */
export function retainedMessages(ends: readonly PartitionEnds[]): number {
  return ends.reduce((sum, e) => sum + Number(e.end - e.logStart), 0);
}
