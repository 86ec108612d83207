/**
 * The schema evolution rehearsal: a backward-compatible v2 of the event schema (one
 * new field with a default) rolled through both legs without losing or re-reading an
 * offset, then v2 (and v1) events produced and parity checked over the whole topic.
 *
 *   1. compatibility  v2 against the subject's latest version (refused: exit 2, with the registry's reason)
 *   2. columns        ALTER TABLE ... ADD COLUMN IF NOT EXISTS on both target tables
 *   3. kafka engine   drop the views and the Kafka table, recreate them with the column,
 *                     same consumer group (the committed offsets stay in Kafka)
 *   4. connector      restart its tasks when deployed, so they see the new column
 *   5. produce        register v2, N v2 events, then M v1 events (old producers keep running)
 *   6. parity         verifyParity --wait over the whole topic
 *
 * Every step looks first and does only what is missing: running it twice is harmless.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import { UsageError } from '../cli.js';
import { applySql, templateValues } from '../clickhouse/ddl.js';
import { queryRows } from '../clickhouse/query.js';
import type { KitConfig } from '../config.js';
import { ConnectClient } from '../connect/rest.js';
import { committedOffsets } from '../parity/truth.js';
import { legsFromConfig, verifyParity, type ParityReport } from '../parity/verify.js';
import { readSchema, SCHEMA_FILE } from '../produce/events.js';
import { produceAvro, type ProduceSummary } from '../produce/producer.js';
import { IncompatibleSchemaError, Registry, type CompatibilityResult } from '../produce/registry.js';
import { produceV2, type V2ProduceSummary } from './produce.js';
import { EvolveInputError, loadInputs, type AddedField, type EvolveInputs } from './schema.js';

export interface EvolveOptions {
  schemaFile: string;
  /** v2 events to produce. */
  count: number;
  /** v1 events to produce after the change, as a producer still on v1 would. */
  v1After: number;
  seed: number;
  dryRun: boolean;
  require: 'both' | 'any';
  timeoutMs: number;
  restartConnector: boolean;
  /** The connector leg is known to be absent (Connect has no such connector). */
  connectorDeployed?: boolean;
  log: (line: string) => void;
}

export type StepStatus = 'done' | 'skipped' | 'planned';

export interface StepResult {
  step: string;
  status: StepStatus;
  detail: string;
  sql: string[];
  ms: number;
}

export interface EvolveSummary {
  topic: string;
  subject: string;
  schemaFile: string;
  dryRun: boolean;
  compatibility: CompatibilityResult & { latestVersion?: number };
  added: AddedField[];
  steps: StepResult[];
  /** The Kafka engine group's committed offsets around step 3, per partition. */
  offsets: { group: string; before?: Record<string, string>; after?: Record<string, string> };
  produced: { v2?: V2ProduceSummary; v1After?: Pick<ProduceSummary, 'runId' | 'events' | 'schemaId' | 'partitions'> };
  parity?: ParityReport;
  exitCode: number;
}

export interface EvolveContext {
  config: KitConfig;
  ch: ClickHouseClient;
  kafka: Kafka;
  admin: Admin;
}

interface TableRow {
  name: string;
  create_table_query: string;
  as_select: string;
}

/** What the kit's database holds now: tables, their columns, the queue's and views' definitions. */
export interface KitState {
  tables: Map<string, TableRow>;
  columns: Map<string, Set<string>>;
}

export async function inspect(ch: ClickHouseClient, database: string): Promise<KitState> {
  const q = <T>(query: string) => queryRows<T>(ch, { query, params: { db: database } });
  const tables = await q<TableRow>('SELECT name, create_table_query, as_select FROM system.tables WHERE database = {db:String}');
  const cols = await q<{ table: string; name: string }>('SELECT table, name FROM system.columns WHERE database = {db:String}');
  const columns = new Map<string, Set<string>>();
  for (const c of cols) {
    if (!columns.has(c.table)) columns.set(c.table, new Set());
    columns.get(c.table)!.add(c.name);
  }
  return { tables: new Map(tables.map((t) => [t.name, t])), columns };
}

const setting = (create: string, name: string) => new RegExp(`${name} = '([^']*)'`).exec(create)?.[1];

/** Why step 3 must run, or undefined when the Kafka-engine table and its views already are at v2. */
export function kafkaEngineDrift(state: KitState, config: KitConfig, added: AddedField[]): string | undefined {
  const { kafkaQueue, kafka, kafkaErrors } = config.tables;
  const queue = state.tables.get(kafkaQueue);
  const mv = state.tables.get(`${kafka}_mv`);
  if (!queue) return `${kafkaQueue} does not exist`;
  const missing = added.filter((f) => !state.columns.get(kafkaQueue)?.has(f.name)).map((f) => f.name);
  if (missing.length > 0) return `${kafkaQueue} lacks ${missing.join(', ')}`;
  if (added.length > 0 && !/input_format_avro_allow_missing_fields = 1/.test(queue.create_table_query)) return `${kafkaQueue} would refuse v1 records (input_format_avro_allow_missing_fields is not 1)`;
  if (!mv) return `${kafka}_mv does not exist`;
  const unselected = added.filter((f) => !new RegExp(`\\b${f.name}\\b`).test(mv.as_select)).map((f) => f.name);
  if (unselected.length > 0) return `${kafka}_mv does not select ${unselected.join(', ')}`;
  if (!state.tables.has(`${kafkaErrors}_mv`)) return `${kafkaErrors}_mv does not exist`;
  return undefined;
}

/** Refuses a recreate that would change the consumer group or the topic: offsets would be re-read or skipped. */
export function checkSameGroup(state: KitState, config: KitConfig): void {
  const queue = state.tables.get(config.tables.kafkaQueue);
  if (!queue) return;
  const group = setting(queue.create_table_query, 'kafka_group_name');
  const topic = setting(queue.create_table_query, 'kafka_topic_list');
  if (group !== config.clickhouseKafka.consumerGroup || topic !== config.topic) {
    throw new UsageError(
      `${config.clickhouse.database}.${config.tables.kafkaQueue} reads ${topic} as group ${group}, but the config says ${config.topic} as ${config.clickhouseKafka.consumerGroup}; ` +
        'recreating it with the config would re-read or skip offsets. Set KIT_TOPIC / KIT_KAFKA_ENGINE_GROUP to what the table uses.',
    );
  }
}

function offsetsRecord(m: Map<number, bigint> | undefined): Record<string, string> | undefined {
  return m ? Object.fromEntries([...m].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), o.toString()])) : undefined;
}

/** Step 1: the registry's verdict; an incompatible schema is refused with the registry's own reason. */
async function checkCompatibility(registry: Registry, subject: string, schema: string): Promise<EvolveSummary['compatibility']> {
  const result = await registry.checkCompatibility(subject, schema);
  const latest = await registry.latestVersion(subject);
  if (result.compatible) return { ...result, latestVersion: latest?.version };
  // Registries that answer the check without reasons (Apicurio) give them on the refused registration.
  try {
    await registry.registerChecked(subject, schema);
  } catch (e) {
    if (e instanceof IncompatibleSchemaError) throw new UsageError(`refused: ${e.message}`);
    throw e;
  }
  throw new UsageError(`refused: the schema is not compatible with the latest version of subject ${subject}`);
}

export async function evolve(ctx: EvolveContext, opts: EvolveOptions): Promise<EvolveSummary> {
  const { config, ch, admin } = ctx;
  const db = config.clickhouse.database;
  const subject = `${config.topic}-value`;
  const group = config.clickhouseKafka.consumerGroup;
  const steps: StepResult[] = [];
  /** Runs `act` when `needed` says why, plans it on --dry-run, skips it (saying `skipped`) otherwise. */
  const step = async (name: string, sql: string[], needed: string | undefined, act: () => Promise<string>, skipped = 'already done'): Promise<void> => {
    const started = Date.now();
    let status: StepStatus;
    let detail: string;
    if (needed === undefined) [status, detail] = ['skipped', skipped];
    else if (opts.dryRun) [status, detail] = ['planned', needed];
    else [status, detail] = ['done', await act()];
    steps.push({ step: name, status, detail, sql: needed === undefined ? [] : sql, ms: Date.now() - started });
    opts.log(`${steps.length}. ${name}: ${status}: ${detail}`);
  };

  // 1. compatibility
  const registry = new Registry(config.registry.url);
  await registry.ping();
  let schema: string;
  try {
    schema = readSchema(opts.schemaFile);
  } catch (e) {
    throw new UsageError(`--schema ${opts.schemaFile}: ${(e as Error).message}`);
  }
  const started = Date.now();
  const compatibility = await checkCompatibility(registry, subject, schema);
  steps.push({
    step: 'compatibility',
    status: 'done',
    detail: compatibility.subjectExists ? `compatible with ${subject} version ${compatibility.latestVersion}` : `${subject} has no version yet`,
    sql: [],
    ms: Date.now() - started,
  });
  opts.log(`1. compatibility: ${steps[0]!.detail}`);

  let inputs: EvolveInputs;
  try {
    inputs = loadInputs(templateValues(config), opts.schemaFile);
  } catch (e) {
    if (e instanceof EvolveInputError) throw new UsageError(e.message);
    throw e;
  }
  const state = await inspect(ch, db);
  const missingBase = [config.tables.connector, config.tables.kafka, config.tables.kafkaErrors].filter((t) => !state.tables.has(t));
  if (missingBase.length > 0) throw new UsageError(`${db} lacks ${missingBase.join(', ')}: apply the base DDL first (npm run sql:apply)`);
  checkSameGroup(state, config);

  // 2. columns on both target tables
  const lacking = [config.tables.connector, config.tables.kafka].flatMap((t) =>
    inputs.added.filter((f) => !state.columns.get(t)?.has(f.name)).map((f) => `${t}.${f.name}`),
  );
  await step('columns', inputs.sql.addColumns.statements, lacking.length > 0 ? `add ${lacking.join(', ')}` : undefined, async () => {
    await applySql(ch, [inputs.sql.addColumns]);
    return `added ${lacking.join(', ')}`;
  });

  // 3. the Kafka-engine table and its views, same consumer group
  const offsets: EvolveSummary['offsets'] = { group, before: offsetsRecord(await committedOffsets(admin, group, config.topic)) };
  const drift = kafkaEngineDrift(state, config, inputs.added);
  await step('kafka engine', inputs.sql.kafkaEngine.statements, drift && `recreate ${db}.${config.tables.kafkaQueue} and its views (${drift}); group ${group} kept`, async () => {
    await applySql(ch, [inputs.sql.kafkaEngine]);
    offsets.after = offsetsRecord(await committedOffsets(admin, group, config.topic));
    const kept = JSON.stringify(offsets.before) === JSON.stringify(offsets.after);
    return `recreated with group ${group}; committed offsets ${kept ? 'kept' : 'CHANGED'}: ${JSON.stringify(offsets.after ?? {})}`;
  });

  // 4. the connector re-reads its table's columns when its tasks start
  const notDeployed = opts.connectorDeployed === false;
  const restartWhy = !notDeployed && opts.restartConnector ? `restart ${config.connector.name} and its tasks` : undefined;
  await step(
    'connector',
    [],
    restartWhy,
    async () => {
      const client = new ConnectClient({ url: config.connect.url, retry: { unreachableAttempts: 2 } });
      const status = await client.status(config.connector.name).catch(() => undefined);
      if (!status) return 'not deployed or the worker does not answer: nothing to restart';
      await client.restart(config.connector.name, { includeTasks: true, onlyFailed: false });
      return `restarted ${config.connector.name} (was ${status.connector.state})`;
    },
    notDeployed ? `${config.connector.name} not deployed` : 'not asked (--no-restart-connector)',
  );

  const summary: EvolveSummary = {
    topic: config.topic,
    subject,
    schemaFile: opts.schemaFile,
    dryRun: opts.dryRun,
    compatibility,
    added: inputs.added,
    steps,
    offsets,
    produced: {},
    exitCode: 0,
  };

  // 5. v2 events, then v1 events from a producer that was not upgraded
  await step('produce', [], `register v2, ${opts.count} v2 events, then ${opts.v1After} v1 events (seed ${opts.seed})`, async () => {
    summary.produced.v2 = await produceV2({ brokers: config.kafka.brokers, registryUrl: config.registry.url, topic: config.topic, schemaFile: opts.schemaFile, count: opts.count, seed: opts.seed });
    if (opts.v1After > 0) {
      const v1 = await produceAvro({
        brokers: config.kafka.brokers,
        registryUrl: config.registry.url,
        topic: config.topic,
        partitions: 1,
        count: opts.v1After,
        rate: 0,
        batchSize: 500,
        seed: opts.seed + 1,
        poison: 0,
        compression: 'none',
        schemaFile: SCHEMA_FILE,
      });
      summary.produced.v1After = { runId: v1.runId, events: v1.events, schemaId: v1.schemaId, partitions: v1.partitions };
    }
    const v1 = summary.produced.v1After;
    return `${opts.count} v2 events (schema id ${summary.produced.v2.schemaId})${v1 ? `, ${v1.events} v1 events (schema id ${v1.schemaId})` : ''}`;
  });

  // 6. parity over the whole topic: v1 events from before, v2 and v1 events from after
  await step('parity', [], 'verify:parity --wait over the whole topic', async () => {
    const report = await verifyParity(ch, ctx.kafka, admin, {
      topic: config.topic,
      legs: legsFromConfig(config),
      wait: true,
      timeoutMs: opts.timeoutMs,
      require: opts.require,
      diffLimit: 20,
      notDeployed: opts.connectorDeployed === false ? ['connector'] : [],
      onProgress: (line) => opts.log(`   ${line}`),
    });
    summary.parity = report;
    summary.exitCode = report.exitCode;
    return report.exact ? 'PARITY EXACT' : `PARITY DIFFERS: ${report.reasons.join('; ')}`;
  });
  return summary;
}
