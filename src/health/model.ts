/**
 * What `npm run health` reports, and the verdict over it. Pure: collect.ts fills
 * the sections, render.ts prints them.
 */
import type { Trace } from '../connect/status.js';
import type { LegIngest } from './ingest.js';
import type { GroupLag } from './lag.js';

export interface TopicSection {
  name: string;
  exists: boolean;
  partitions: number;
  /** Messages retained now (end - log start, summed). */
  messages: number;
}

export interface TaskHealth {
  id: number;
  state: string;
  worker: string;
}

export interface ConnectSection {
  url: string;
  reachable: boolean;
  /** Why the worker could not be asked. */
  error?: string;
  version?: string;
  connector: {
    name: string;
    /** undefined when the worker was unreachable. */
    deployed?: boolean;
    state?: string;
    worker?: string;
    tasks: TaskHealth[];
    /** The connector's and the failed tasks' traces, secrets scrubbed. */
    traces: Trace[];
  };
}

export interface ConsumerException {
  /** ISO time, UTC. */
  time: string;
  /** Seconds before the check, by ClickHouse's clock. */
  ageSec: number;
  text: string;
}

export interface KafkaConsumerHealth {
  consumerId: string;
  assignments: { topic: string; partition: number; currentOffset: string }[];
  numMessagesRead: number;
  numCommits: number;
  lastPollTime: string;
  /** Seconds since the last poll, by ClickHouse's clock; undefined before the first. */
  lastPollAgeSec?: number;
  lastCommitTime: string;
  /** Seconds since the last commit, by ClickHouse's clock; undefined before the first. */
  lastCommitAgeSec?: number;
  /** Held by a streaming thread now. */
  isCurrentlyUsed: boolean;
  /** Materialized views (and their targets) reading the table; absent where ClickHouse does not say (25.8). */
  dependencies?: string[][];
  /** Newest first. */
  exceptions: ConsumerException[];
}

export interface KafkaEngineSection {
  table: string;
  exists: boolean;
  consumers: KafkaConsumerHealth[];
  /** Seconds since the server started or the table was created, whichever is later (consumers start over with either). */
  watchedSec?: number;
}

export interface CountSection {
  /** A topic or a table. */
  name: string;
  exists: boolean;
  count: number;
}

export interface HealthSections {
  at: string;
  /** The pipeline looked at (absent in hand-built sections). */
  pipeline?: string;
  topic: TopicSection;
  lag: GroupLag[];
  connect: ConnectSection;
  kafkaEngine: KafkaEngineSection;
  dlq: CountSection;
  errorsTable: CountSection;
  /** Per leg: rows landed per second and their freshness over the last minute. */
  ingest: LegIngest[];
}

export interface Verdict {
  healthy: boolean;
  /** What makes it unhealthy (exit 1). */
  problems: string[];
  /** Worth knowing, not unhealthy: lag, dead letters, error rows, a connector not deployed. */
  notes: string[];
  exitCode: 0 | 1;
}

export type HealthReport = HealthSections & { verdict: Verdict };

export interface VerdictOptions {
  /** Consumer exceptions younger than this make the Kafka-engine leg unhealthy, unless it recovered. */
  exceptionWindowSec: number;
  /** The Kafka-engine group's total lag at an earlier look: tells whether its lag grows. */
  previousEngineLag?: number;
  /** A consumer held by its streaming thread without polling, or a lagging table without a commit, for longer than this is stuck (default STUCK_AFTER_SEC). */
  stuckAfterSec?: number;
}

/**
 * A streaming thread polls many times a second, or lets its consumer go between rounds,
 * and commits each block it writes (at least every second while there is lag); two
 * minutes without either is far past any block the kit's views write, and past a
 * restarted consumer's wait for its group's session timeout (45 s).
 */
export const STUCK_AFTER_SEC = 120;

/**
 * A consumer whose streaming thread holds it without polling: ClickHouse's Kafka engine
 * commits offsets synchronously, and a commit sent while the broker is down can wait for
 * good (ClickHouse issue 113920, seen here after a broker restart). Nothing but a server
 * restart frees the thread: DETACH and DROP wait on it too.
 */
export function isHung(c: KafkaConsumerHealth, afterSec = STUCK_AFTER_SEC): boolean {
  return c.isCurrentlyUsed && c.lastPollAgeSec !== undefined && c.lastPollAgeSec > afterSec;
}

/**
 * Seconds the table has lagged without any of its consumers committing, when that is longer
 * than `afterSec`; undefined otherwise. After a broker outage a consumer can fail its commit
 * and then never rejoin its group (it polls, "Can't get assignment", the group has no
 * member); DETACH TABLE and ATTACH TABLE bring it back, as does a server restart.
 */
export function stalledFor(k: KafkaEngineSection, lag: number | undefined, afterSec = STUCK_AFTER_SEC): number | undefined {
  if (!lag || k.watchedSec === undefined || k.consumers.length === 0) return undefined;
  const sinceCommit = Math.min(...k.consumers.map((c) => c.lastCommitAgeSec ?? Infinity));
  const quiet = Math.min(sinceCommit, k.watchedSec);
  return quiet > afterSec ? quiet : undefined;
}

/** What to do about a hung consumer, on either stack. */
export const HUNG_REMEDY =
  'restart ClickHouse (`npm run stack:restart -- clickhouse` on the embedded stack, `docker compose restart clickhouse` on Docker); ' +
  'the rows of its last block were written but not committed, so they land again and verify:parity names them as duplicates';

const firstLine = (text: string) => text.split('\n')[0]!.trim();

export function recentExceptions(c: KafkaConsumerHealth, windowSec: number): ConsumerException[] {
  return c.exceptions.filter((e) => e.ageSec <= windowSec);
}

/** The Kafka-engine group's total lag; undefined when it has committed nothing. */
export function engineLag(s: Pick<HealthSections, 'lag'>): number | undefined {
  const g = s.lag.find((l) => l.leg === 'kafka_engine');
  return g?.committed ? g.totalLag : undefined;
}

/** Whether ClickHouse time `a` (ISO, second resolution) is strictly later than `b`. */
const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

/**
 * A consumer has recovered from an exception when, since the exception's time, it has
 * polled, and committed (or has nothing left to commit: lag 0), and its group's lag is
 * not growing: 0, or no more than at the previous look. Without a previous look a
 * non-zero lag cannot be judged, so it does not count as recovered.
 */
export function recoveredFrom(c: KafkaConsumerHealth, e: ConsumerException, lag: number | undefined, previousLag: number | undefined): boolean {
  if (lag === undefined || !later(c.lastPollTime, e.time)) return false;
  if (lag > 0 && !later(c.lastCommitTime, e.time)) return false;
  return lag === 0 || (previousLag !== undefined && lag <= previousLag);
}

/**
 * True when only a second look can tell: a recovered consumer from a failing one, or a
 * stalled table from one that was idle until a moment ago (its next commit is a second away).
 */
export function needsLagTrend(s: Pick<HealthSections, 'lag' | 'kafkaEngine'>, opts: VerdictOptions): boolean {
  const lag = engineLag(s);
  if (opts.previousEngineLag !== undefined || lag === undefined || lag === 0) return false;
  if (stalledFor(s.kafkaEngine, lag, opts.stuckAfterSec) !== undefined) return true;
  return s.kafkaEngine.consumers.some((c) => {
    const newest = recentExceptions(c, opts.exceptionWindowSec)[0];
    return newest !== undefined && later(c.lastPollTime, newest.time) && later(c.lastCommitTime, newest.time);
  });
}

/**
 * Unhealthy (exit 1): the connector or a task FAILED; a Kafka-engine consumer is hung
 * (see isHung) or its table stalled (see stalledFor), or a consumer raised an exception
 * within the window and has not recovered from it (see recoveredFrom);
 * the topic or the Kafka-engine table is missing. Everything else is a note: lag, DLQ
 * records, error rows, a recovered-from exception, a connector or task in any other
 * state (one Connect adds later included), a connector that is not deployed, a
 * Connect worker that does not answer.
 */
export function verdict(s: HealthSections, opts: VerdictOptions): Verdict {
  const problems: string[] = [];
  const notes: string[] = [];

  if (!s.topic.exists) problems.push(`topic ${s.topic.name} does not exist`);

  const c = s.connect;
  if (!c.reachable) notes.push(`Connect worker ${c.url} not usable: connector state unknown (see the connector section)`);
  else if (c.connector.deployed === false) notes.push(`connector ${c.connector.name} not deployed`);
  else {
    if (c.connector.state === 'FAILED') problems.push(`connector ${c.connector.name} FAILED`);
    const failed = c.connector.tasks.filter((t) => t.state === 'FAILED');
    if (failed.length > 0) problems.push(`connector ${c.connector.name}: task ${failed.map((t) => t.id).join(', ')} FAILED`);
    else if (c.connector.state && c.connector.state !== 'RUNNING') notes.push(`connector ${c.connector.name} is ${c.connector.state}`);
    else {
      const idle = c.connector.tasks.filter((t) => t.state !== 'RUNNING');
      if (idle.length > 0) notes.push(`connector ${c.connector.name}: ${idle.map((t) => `task ${t.id} is ${t.state}`).join(', ')}`);
    }
    if (c.connector.state === 'RUNNING' && c.connector.tasks.length === 0) notes.push(`connector ${c.connector.name} has no tasks`);
  }

  const k = s.kafkaEngine;
  if (!k.exists) problems.push(`Kafka-engine table ${k.table} does not exist (npm run sql:apply)`);
  else {
    if (k.consumers.length === 0) notes.push(`Kafka-engine table ${k.table} has no consumer in system.kafka_consumers`);
    const lag = engineLag(s);
    for (const consumer of k.consumers) {
      if (isHung(consumer, opts.stuckAfterSec)) {
        problems.push(
          `Kafka-engine consumer ${consumer.consumerId || '(no id yet)'} of ${k.table} is hung: held by its streaming thread, no poll for ${consumer.lastPollAgeSec} s ` +
            `(last at ${consumer.lastPollTime}, last commit at ${consumer.lastCommitTime}); a synchronous offset commit can block for good after the broker went away (ClickHouse issue 113920): ${HUNG_REMEDY}`,
        );
        continue;
      }
      const recent = recentExceptions(consumer, opts.exceptionWindowSec);
      if (recent.length === 0) continue;
      const newest = recent[0]!;
      const what = `Kafka-engine consumer ${consumer.consumerId || '(no id yet)'} of ${k.table}: ${recent.length} exception(s) in the last ${Math.round(opts.exceptionWindowSec / 60)} min, newest ${newest.ageSec} s ago: ${firstLine(newest.text)}`;
      if (recoveredFrom(consumer, newest, lag, opts.previousEngineLag)) {
        notes.push(`${what} (recovered: polled at ${consumer.lastPollTime}, committed at ${consumer.lastCommitTime}, lag ${lag} not growing)`);
      } else problems.push(what);
    }
    // Only on a second look (see needsLagTrend), with the lag not shrinking since.
    const confirmed = opts.previousEngineLag !== undefined && lag !== undefined && lag >= opts.previousEngineLag;
    const stalled = !confirmed || k.consumers.some((x) => isHung(x, opts.stuckAfterSec)) ? undefined : stalledFor(k, lag, opts.stuckAfterSec);
    if (stalled !== undefined) {
      const assigned = k.consumers.flatMap((x) => x.assignments.map((a) => `p${a.partition}`));
      problems.push(
        `Kafka-engine table ${k.table} is stalled: its group lags ${lag} message(s) and no consumer has committed for ${stalled} s ` +
          `(assigned: ${assigned.join(' ') || 'nothing'}); after a broker outage a consumer can fail its commit and never rejoin its group. ` +
          `DETACH TABLE ${k.table} then ATTACH TABLE ${k.table} brings it back, or ${HUNG_REMEDY}`,
      );
    }
  }

  for (const g of s.lag) {
    if (!g.committed) {
      if (g.leg !== 'connector' || c.connector.deployed !== false) notes.push(`group ${g.group} (${g.leg}) has no committed offsets on ${s.topic.name}`);
      continue;
    }
    if (g.totalLag > 0) notes.push(`group ${g.group} (${g.leg}) lags ${g.totalLag} message(s)`);
    const skipped = g.partitions.filter((p) => p.state === 'behind-log-start');
    if (skipped.length > 0) notes.push(`group ${g.group}: committed offsets below the log start on partition(s) ${skipped.map((p) => p.partition).join(', ')} (retention deleted unread records)`);
  }

  if (s.dlq.count > 0) notes.push(`${s.dlq.count} record(s) in the DLQ topic ${s.dlq.name}`);
  if (s.errorsTable.count > 0) notes.push(`${s.errorsTable.count} row(s) in the errors table ${s.errorsTable.name}`);

  const healthy = problems.length === 0;
  return { healthy, problems, notes, exitCode: healthy ? 0 : 1 };
}
