/**
 * Reads what `npm run health` reports from the three services: Kafka (end offsets,
 * both groups' commits, the DLQ topic), ClickHouse (system.kafka_consumers, the errors
 * table, each leg's ingest over the last minute) and the Connect worker (connector and
 * task states, traces).
 *
 * Kafka and ClickHouse are required: not answering is a ServiceUnreachableError (exit 3). The
 * Connect worker is optional: not answering is said in its section.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from 'kafkajs';
import type { KitConfig } from '../config.js';
import type { ConnectClient } from '../connect/rest.js';
import { failureTraces, scrubStatus, UNKNOWN_WORKER } from '../connect/status.js';
import { queryRows, tableColumns, tableExists } from '../clickhouse/query.js';
import { qualified } from '../parity/queries.js';
import { committedOffsets, partitionEnds } from '../parity/truth.js';
import { legsOf } from '../parity/legs.js';
import type { Pipeline } from '../pipeline/definition.js';
import { ingestSection } from './ingest.js';
import { groupLag, retainedMessages, type GroupLag, type PartitionEnds } from './lag.js';
import {
  engineLag,
  needsLagTrend,
  verdict,
  type ConnectSection,
  type CountSection,
  type HealthReport,
  type KafkaConsumerHealth,
  type KafkaEngineSection,
  type VerdictOptions,
} from './model.js';

/** The newest consumer exceptions kept per consumer. */
export const EXCEPTIONS_KEPT = 5;

/** Longer than the Kafka engine's default flush interval (7.5 s), so a second look sees at least one commit. */
export const TREND_SAMPLE_MS = 10_000;

export interface HealthContext {
  config: KitConfig;
  /** The pipeline whose legs are looked at. */
  pipeline: Pipeline;
  ch: ClickHouseClient;
  admin: Admin;
  connect: ConnectClient;
}

/** Per-partition log start and end, or undefined when the topic does not exist. */
async function topicEnds(admin: Admin, topic: string, topics: string[]): Promise<PartitionEnds[] | undefined> {
  return topics.includes(topic) ? partitionEnds(admin, topic) : undefined;
}

const ISO = `'%Y-%m-%dT%H:%i:%SZ'`;

/** Columns of system.kafka_consumers that some supported servers lack: ClickHouse 25.8 has no `dependencies`. */
export const OPTIONAL_CONSUMER_COLUMNS = ['dependencies'] as const;

/** The system.kafka_consumers query for a server whose table has `columns`. */
export function kafkaConsumersQuery(columns: ReadonlySet<string>): string {
  const optional = OPTIONAL_CONSUMER_COLUMNS.filter((c) => columns.has(c)).map((c) => `\n         ${c},`).join('');
  return `
  SELECT consumer_id,
         assignments.topic AS topics,
         assignments.partition_id AS partitions,
         assignments.current_offset AS offsets,
         num_messages_read,
         num_commits,
         formatDateTime(last_poll_time, ${ISO}, 'UTC') AS last_poll,
         if(toUnixTimestamp(last_poll_time) = 0, NULL, dateDiff('second', last_poll_time, now())) AS last_poll_age,
         formatDateTime(last_commit_time, ${ISO}, 'UTC') AS last_commit,
         if(toUnixTimestamp(last_commit_time) = 0, NULL, dateDiff('second', last_commit_time, now())) AS last_commit_age,
         is_currently_used,${optional}
         arrayMap(t -> formatDateTime(t, ${ISO}, 'UTC'), exceptions.time) AS exception_times,
         arrayMap(t -> dateDiff('second', t, now()), exceptions.time) AS exception_ages,
         exceptions.text AS exception_texts
  FROM system.kafka_consumers
  WHERE database = {db:String} AND table = {table:String}
  ORDER BY consumer_id`;
}

interface ConsumerRow {
  consumer_id: string;
  topics: string[];
  partitions: number[];
  offsets: (number | string)[];
  num_messages_read: number;
  num_commits: number;
  last_poll: string;
  last_poll_age: number | null;
  last_commit: string;
  last_commit_age: number | null;
  is_currently_used: number;
  dependencies?: string[][];
  exception_times: string[];
  exception_ages: number[];
  exception_texts: string[];
}

export function consumerFromRow(r: ConsumerRow): KafkaConsumerHealth {
  const exceptions = r.exception_texts
    .map((text, i) => ({ time: r.exception_times[i] ?? '', ageSec: Number(r.exception_ages[i] ?? 0), text }))
    .sort((a, b) => a.ageSec - b.ageSec)
    .slice(0, EXCEPTIONS_KEPT);
  const consumer: KafkaConsumerHealth = {
    consumerId: r.consumer_id,
    assignments: r.topics.map((topic, i) => ({ topic, partition: Number(r.partitions[i]), currentOffset: String(r.offsets[i]) })),
    numMessagesRead: Number(r.num_messages_read),
    numCommits: Number(r.num_commits),
    lastPollTime: r.last_poll,
    lastPollAgeSec: r.last_poll_age === null ? undefined : Number(r.last_poll_age),
    lastCommitTime: r.last_commit,
    lastCommitAgeSec: r.last_commit_age === null ? undefined : Number(r.last_commit_age),
    isCurrentlyUsed: Number(r.is_currently_used) === 1,
    exceptions,
  };
  if (r.dependencies) consumer.dependencies = r.dependencies;
  return consumer;
}

/** Seconds since the server started or the table was created, whichever is later. */
export const WATCHED_QUERY = `SELECT least(uptime(), dateDiff('second', metadata_modification_time, now())) AS watched
  FROM system.tables WHERE database = {db:String} AND name = {table:String}`;

/** The kit's Kafka-engine table and its consumers, as system.kafka_consumers shows them. */
export async function kafkaEngineSection(ctx: Pick<HealthContext, 'ch' | 'pipeline'>): Promise<KafkaEngineSection> {
  const { database } = ctx.pipeline;
  const table = ctx.pipeline.tables.kafkaQueue;
  const exists = await tableExists(ctx.ch, database, table);
  const query = exists ? kafkaConsumersQuery(new Set(await tableColumns(ctx.ch, 'system', 'kafka_consumers'))) : undefined;
  const consumers = query ? (await queryRows<ConsumerRow>(ctx.ch, { query, params: { db: database, table } })).map(consumerFromRow) : [];
  if (!exists) return { table: qualified(database, table), exists, consumers };
  // How long the table has been consuming on this server: consumers' times start over with either.
  const [w] = await queryRows<{ watched: string }>(ctx.ch, { query: WATCHED_QUERY, params: { db: database, table } });
  return { table: qualified(database, table), exists, consumers, watchedSec: w ? Number(w.watched) : undefined };
}

async function errorsTableSection(ctx: HealthContext): Promise<CountSection> {
  const { database } = ctx.pipeline;
  const name = qualified(database, ctx.pipeline.tables.kafkaErrors);
  if (!(await tableExists(ctx.ch, database, ctx.pipeline.tables.kafkaErrors))) return { name, exists: false, count: 0 };
  const [row] = await queryRows<{ n: string }>(ctx.ch, { query: `SELECT count() AS n FROM ${name}`, params: {} });
  return { name, exists: true, count: Number(row?.n ?? 0) };
}

function secretsOf(config: KitConfig): string[] {
  const { admin, connector, reader } = config.clickhouse;
  return [admin.password, connector.password, reader.password];
}

async function connectSection(ctx: HealthContext): Promise<ConnectSection> {
  const name = ctx.pipeline.connector.name;
  const base: ConnectSection = { url: ctx.connect.url, reachable: false, connector: { name, tasks: [], traces: [] } };
  try {
    const info = await ctx.connect.serverInfo();
    const raw = await ctx.connect.status(name);
    const section: ConnectSection = { ...base, reachable: true, version: info.version };
    if (!raw) return { ...section, connector: { ...section.connector, deployed: false } };
    const secrets = secretsOf(ctx.config);
    const s = scrubStatus(raw, secrets);
    return {
      ...section,
      connector: {
        name,
        deployed: true,
        state: s.connector.state,
        worker: s.connector.worker_id,
        tasks: s.tasks.map((t) => ({ id: t.id, state: t.state, worker: t.worker_id ?? UNKNOWN_WORKER })),
        traces: failureTraces(s, secrets),
      },
    };
  } catch (e) {
    return { ...base, error: (e as Error).message };
  }
}

async function readLag(ctx: HealthContext, ends: PartitionEnds[] | undefined): Promise<GroupLag[]> {
  const lag = [];
  for (const leg of legsOf(ctx.pipeline)) {
    const committed = ends ? await committedOffsets(ctx.admin, leg.group, ctx.pipeline.topic.name) : undefined;
    lag.push(groupLag(leg.name, leg.group, ends ?? [], committed));
  }
  return lag;
}

export interface CollectOptions extends VerdictOptions {
  /** How long to wait before the second lag sample that tells whether lag grows. */
  trendSampleMs?: number;
  /** The ingest section's window (default INGEST_WINDOW_SEC). */
  ingestWindowSec?: number;
}

/**
 * One look at every section, with the verdict. When the verdict hangs on whether the
 * Kafka-engine group's lag grows and no earlier look says, the lag is read a second time.
 */
export async function collectHealth(ctx: HealthContext, opts: CollectOptions): Promise<HealthReport> {
  const { pipeline, admin } = ctx;
  const at = new Date().toISOString();
  const topics = await admin.listTopics();
  const ends = await topicEnds(admin, pipeline.topic.name, topics);
  const dlqEnds = await topicEnds(admin, pipeline.connector.dlqTopic, topics);
  const [lag, connect, kafkaEngine, errorsTable, ingest] = await Promise.all([
    readLag(ctx, ends),
    connectSection(ctx),
    kafkaEngineSection(ctx),
    errorsTableSection(ctx),
    ingestSection(ctx.ch, pipeline, opts.ingestWindowSec),
  ]);
  const sections = {
    at,
    pipeline: pipeline.name,
    topic: { name: pipeline.topic.name, exists: ends !== undefined, partitions: ends?.length ?? 0, messages: ends ? retainedMessages(ends) : 0 },
    lag,
    connect,
    kafkaEngine,
    dlq: { name: pipeline.connector.dlqTopic, exists: dlqEnds !== undefined, count: dlqEnds ? retainedMessages(dlqEnds) : 0 },
    errorsTable,
    ingest,
  };
  const { trendSampleMs = TREND_SAMPLE_MS, ingestWindowSec: _window, ...verdictOpts } = opts;
  if (needsLagTrend(sections, verdictOpts)) {
    verdictOpts.previousEngineLag = engineLag(sections);
    await sleep(trendSampleMs);
    sections.lag = await readLag(ctx, await topicEnds(admin, pipeline.topic.name, topics));
    sections.kafkaEngine = await kafkaEngineSection(ctx);
  }
  return { ...sections, verdict: verdict(sections, verdictOpts) };
}
