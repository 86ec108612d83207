/**
 * A schema change rolled through both legs of a pipeline without losing or re-reading an
 * offset, then records of both versions produced, interleaved, and parity checked over the
 * whole topic:
 *
 *   1. compatibility    the new schema against the subject's latest version (refused: exit 2, naming the field)
 *   2. change           what it adds and drops (schema.ts); a change evolve does not roll is refused, naming the field
 *   3. connector stop   when deployed and its table lacks a column: stop it, so no task inserts with the old columns
 *   4. columns          ALTER TABLE ... ADD COLUMN IF NOT EXISTS on both target tables, each after its neighbour
 *   5. kafka engine     stop consumption, rebuild the Kafka table, its fan-out and views with the new columns,
 *                       same consumer group (the committed offsets stay in Kafka), consumption last
 *   6. connector start  give it back its state; its new tasks describe the table with the columns
 *   7. pipeline         the pipeline file names the new schema
 *   8. produce          records of the new schema and of the old one (a producer not yet upgraded), interleaved
 *   9. parity           verifyParity --wait over the whole topic, each leg against the topic's records too
 *
 * Every step looks first and does only what is missing: running it twice is harmless.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import YAML from 'yaml';
import { applySql } from '../clickhouse/ddl.js';
import { checkSameGroup, inspect, kafkaEngineDrift, lackingColumns } from '../clickhouse/kafka-engine-state.js';
import type { KitConfig } from '../config.js';
import { ConnectClient } from '../connect/rest.js';
import { UsageError } from '../errors.js';
import { contentOf } from '../pipeline/content.js';
import { addColumnStatements, kafkaEngineDropStatements, kafkaEngineStatements } from '../pipeline/ddl.js';
import { consumptionOrderProblems } from '../pipeline/ddl-order.js';
import type { Pipeline } from '../pipeline/definition.js';
import type { PipelineSchema } from '../pipeline/load.js';
import { legsOf } from '../parity/legs.js';
import { committedOffsets } from '../parity/truth.js';
import { verifyParity, type ParityReport } from '../parity/verify.js';
import { witnessSession } from '../parity/witness/witness.js';
import type { ResolvedPipeline } from '../pipelines.js';
import { produceAvro, type ProduceSummary } from '../produce/producer.js';
import { IncompatibleSchemaError, Registry, type CompatibilityResult } from '../registry/registry.js';
import { restoreConnector, stopConnector, type StoppedConnector } from './connector.js';
import { describeColumn, schemaChange, type SchemaChange } from './schema.js';

export interface EvolveOptions {
  /** The new schema, read (`--to`). */
  to: PipelineSchema;
  /** Its file, which the pipeline names afterwards. */
  toFile: string;
  /** Records of the new schema to produce. */
  count: number;
  /** Records of the old schema to produce among them (a producer not yet upgraded). */
  oldCount: number;
  seed: number;
  dryRun: boolean;
  require: 'both' | 'any';
  timeoutMs: number;
  /** Stop a deployed connector before the ALTER of its table and start it after. */
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
  pipeline: string;
  topic: string;
  subject: string;
  schemaFile: string;
  dryRun: boolean;
  compatibility: CompatibilityResult & { latestVersion?: number };
  added: string[];
  dropped: string[];
  /** Added fields whose default the Kafka engine cannot give records written without them (it stores the type's zero). */
  kafkaEngineZeroDefaults: string[];
  steps: StepResult[];
  /** The Kafka engine group's committed offsets around the recreate, per partition. */
  offsets: { group: string; before?: Record<string, string>; after?: Record<string, string> };
  produced: { new?: Pick<ProduceSummary, 'runId' | 'events' | 'schemaId' | 'partitions'>; old?: Pick<ProduceSummary, 'runId' | 'events' | 'schemaId' | 'partitions'> };
  parity?: ParityReport;
  exitCode: number;
}

export interface EvolveContext {
  config: KitConfig;
  ch: ClickHouseClient;
  kafka: Kafka;
  admin: Admin;
}

/** How long the connector may take to stop, or to run all its tasks again. */
const CONNECTOR_WAIT_MS = 90_000;

const secretsOf = (config: KitConfig) => [config.clickhouse.admin.password, config.clickhouse.connector.password, config.clickhouse.reader.password];

function offsetsRecord(m: Map<number, bigint> | undefined): Record<string, string> | undefined {
  return m ? Object.fromEntries([...m].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), o.toString()])) : undefined;
}

/** The registry's reasons name fields by index (`/fields/4/type`): named by the new schema's fields. */
export function nameFields(reason: string, fields: string[]): string {
  return reason.replace(/\/fields\/(\d+)/g, (m, i: string) => (fields[Number(i)] ? `${m} (field ${fields[Number(i)]})` : m));
}

/** Step 1: the registry's verdict; an incompatible schema is refused with the registry's own reason, its fields named. */
async function checkCompatibility(registry: Registry, subject: string, schema: PipelineSchema): Promise<EvolveSummary['compatibility']> {
  const result = await registry.checkCompatibility(subject, schema.parsed.text);
  const latest = await registry.latestVersion(subject);
  if (result.compatible) return { ...result, latestVersion: latest?.version };
  const fields = schema.columns.map((c) => c.name);
  let reasons = result.reasons;
  // Registries that answer the check without reasons (Apicurio) give them on the refused registration.
  if (reasons.length === 0) {
    try {
      await registry.registerChecked(subject, schema.parsed.text);
    } catch (e) {
      if (!(e instanceof IncompatibleSchemaError)) throw e;
      reasons = e.reasons;
    }
  }
  throw new UsageError(`refused: ${schema.source} is not compatible with the latest version of subject ${subject}: ${reasons.map((r) => nameFields(r, fields)).join('; ') || 'no reason given by the registry'}`);
}

/** Step 7: the pipeline file names the new schema file (relative to the pipeline file), keeping its comments. */
export function pointPipelineAt(p: Pipeline, schemaFile: string): boolean {
  if (!('file' in p.schema) || path.resolve(p.schema.file) === path.resolve(schemaFile)) return false;
  const doc = YAML.parseDocument(readFileSync(p.file, 'utf8'));
  doc.setIn(['schema', 'file'], path.relative(path.dirname(p.file), path.resolve(schemaFile)));
  writeFileSync(p.file, doc.toString());
  return true;
}

export async function evolve(ctx: EvolveContext, resolved: ResolvedPipeline, opts: EvolveOptions): Promise<EvolveSummary> {
  const { config, ch, admin } = ctx;
  const { pipeline: p, schema: current } = resolved;
  if ('subject' in p.schema && p.schema.version !== 'latest') {
    throw new UsageError(`${p.file}: the pipeline reads version ${p.schema.version} of subject ${p.schema.subject}; evolve registers a new version: set schema.version to latest first`);
  }
  const db = p.database;
  const subject = `${p.topic.name}-value`;
  const group = p.kafkaEngine.group;
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
  const started = Date.now();
  const compatibility = await checkCompatibility(registry, subject, opts.to);
  steps.push({
    step: 'compatibility',
    status: 'done',
    detail: compatibility.subjectExists ? `compatible with ${subject} version ${compatibility.latestVersion}` : `${subject} has no version yet`,
    sql: [],
    ms: Date.now() - started,
  });
  opts.log(`1. compatibility: ${steps[0]!.detail}`);

  // 2. what the change adds and drops; the tables' state
  const change: SchemaChange = schemaChange(current.columns, opts.to.columns, opts.to.source);
  const state = await inspect(ch, db);
  const missingBase = [p.tables.connector, p.tables.kafka, p.tables.kafkaErrors].filter((t) => !state.tables.has(t));
  if (missingBase.length > 0) throw new UsageError(`${db} lacks ${missingBase.join(', ')}: create pipeline ${p.name}'s tables first (npm run sql:apply -- --pipeline ${p.name})`);
  checkSameGroup(state, p);
  const columns = opts.to.columns;
  const lackingIn = (table: string) => lackingColumns(state, table, columns).map((c) => `${table}.${c}`);
  const zero = change.defaultsTheKafkaEngineCannotFill;
  steps.push({
    step: 'change',
    status: 'done',
    detail:
      `adds ${change.added.map((a) => describeColumn(a.column)).join(', ') || 'no field'}; drops ${change.dropped.map((c) => c.name).join(', ') || 'no field'}` +
      (zero.length ? `; NOTE: the Kafka engine takes no DEFAULT, so records written without ${zero.join(', ')} land there with the type's zero, not the field's default (parity names them)` : ''),
    sql: [],
    ms: 0,
  });
  opts.log(`2. change: ${steps[1]!.detail}`);

  // 3. the connector's tasks stop before its table changes
  const connector = p.connector.name;
  const connect = new ConnectClient({ url: config.connect.url, retry: { unreachableAttempts: 2 } });
  const connectorLacks = lackingIn(p.tables.connector);
  const stopWhy =
    opts.connectorDeployed !== false && opts.restartConnector && connectorLacks.length > 0
      ? `stop ${connector} before ${connectorLacks.join(', ')} is added, so no task inserts with the old columns`
      : undefined;
  const leftAlone =
    opts.connectorDeployed === false ? `${connector} not deployed` : !opts.restartConnector ? 'not asked (--no-restart-connector)' : `${p.tables.connector} already has the column(s)`;
  let stopped: StoppedConnector | undefined;
  await step(
    'connector stop',
    [],
    stopWhy,
    async () => {
      const result = await stopConnector(connect, connector, CONNECTOR_WAIT_MS);
      if (typeof result === 'string') return result;
      stopped = result;
      return `${connector} STOPPED with no tasks in ${(result.ms / 1000).toFixed(1)} s (was ${result.restore})`;
    },
    leftAlone,
  );

  const offsets: EvolveSummary['offsets'] = { group };
  try {
    // 4. columns on both target tables
    const lacking = [p.tables.connector, p.tables.kafka].flatMap(lackingIn);
    const alter = [p.tables.connector, p.tables.kafka].flatMap((t) => addColumnStatements(p, columns, t).filter((_, i) => lackingColumns(state, t, columns).includes(columns[i]!.name)));
    await step('columns', alter, lacking.length > 0 ? `add ${lacking.join(', ')}` : undefined, async () => {
      await applySql(ch, [{ file: 'evolve: columns', statements: alter }]);
      return `added ${lacking.join(', ')}`;
    });

    // 5. the Kafka-engine table, its fan-out and views, same consumer group
    offsets.before = offsetsRecord(await committedOffsets(admin, group, p.topic.name));
    const drift = kafkaEngineDrift(state, p, columns, true);
    const endpoints = { brokerList: config.clickhouseKafka.brokerList, registryUrl: config.clickhouseKafka.registryUrl };
    const recreate = [...kafkaEngineDropStatements(p), ...kafkaEngineStatements(p, columns, endpoints)];
    const order = consumptionOrderProblems(recreate, p.tables);
    if (order.length > 0) throw new Error(`the recreate of ${p.tables.kafkaQueue} breaks the consumption order: ${order.join('; ')}`);
    await step('kafka engine', recreate, drift && `recreate ${db}.${p.tables.kafkaQueue}, its fan-out and views (${drift}); group ${group} kept`, async () => {
      await applySql(ch, [{ file: 'evolve: kafka engine', statements: recreate }]);
      offsets.after = offsetsRecord(await committedOffsets(admin, group, p.topic.name));
      const kept = JSON.stringify(offsets.before) === JSON.stringify(offsets.after);
      return `recreated with group ${group}; committed offsets ${kept ? 'kept' : 'CHANGED'}: ${JSON.stringify(offsets.after ?? {})}`;
    });
  } catch (e) {
    if (stopped) await restoreConnector(connect, stopped, CONNECTOR_WAIT_MS, secretsOf(config)).catch(() => undefined);
    throw e;
  }

  // 6. the connector's new tasks describe the table with the columns when they start
  const startWhy = opts.dryRun ? stopWhy && `give ${connector} back its state; its new tasks describe ${p.tables.connector} with the column(s)` : stopped && `give ${connector} back ${stopped.restore}`;
  await step('connector start', [], startWhy, () => restoreConnector(connect, stopped!, CONNECTOR_WAIT_MS, secretsOf(config)), stopWhy ? `${connector} was not stopped` : leftAlone);

  // 7. the pipeline names the new schema
  const repoint = 'file' in p.schema && path.resolve(p.schema.file) !== path.resolve(opts.toFile) ? `${p.file}: schema.file -> ${opts.toFile}` : undefined;
  await step('pipeline', [], repoint, async () => {
    pointPipelineAt(p, opts.toFile);
    return `${p.file} names ${path.relative(path.dirname(p.file), path.resolve(opts.toFile))}`;
  }, 'file' in p.schema ? `${p.file} already names it` : `the pipeline reads the latest version of ${subject}`);

  const summary: EvolveSummary = {
    pipeline: p.name,
    topic: p.topic.name,
    subject,
    schemaFile: opts.toFile,
    dryRun: opts.dryRun,
    compatibility,
    added: change.added.map((a) => describeColumn(a.column)),
    dropped: change.dropped.map((c) => c.name),
    kafkaEngineZeroDefaults: zero,
    steps,
    offsets,
    produced: {},
    exitCode: 0,
  };

  // 8. records of both versions, interleaved: an upgraded producer and one that is not yet
  await step('produce', [], `register the new schema; ${opts.count} records of it and ${opts.oldCount} of the old one at once (seed ${opts.seed})`, async () => {
    const base = { brokers: config.kafka.brokers, registryUrl: config.registry.url, pipeline: p, rate: 0, batchSize: 250, poison: 0, compression: 'none' as const, ...(resolved.keySchema ? { keySchema: resolved.keySchema } : {}) };
    const [fresh, old] = await Promise.all([
      produceAvro({ ...base, schema: opts.to, count: opts.count, seed: opts.seed }),
      opts.oldCount > 0 ? produceAvro({ ...base, schema: current, count: opts.oldCount, seed: opts.seed + 1 }) : undefined,
    ]);
    const pick = (s: ProduceSummary) => ({ runId: s.runId, events: s.events, schemaId: s.schemaId, partitions: s.partitions });
    summary.produced.new = pick(fresh);
    if (old) summary.produced.old = pick(old);
    return `${fresh.events} records of the new schema (id ${fresh.schemaId})${old ? ` and ${old.events} of the old one (id ${old.schemaId}), interleaved` : ''}`;
  });

  // 9. parity over the whole topic, each leg against the topic's records read as the new schema
  await step('parity', [], 'verify:parity --wait --content topic over the whole topic', async () => {
    const session = witnessSession(config);
    try {
      const report = await verifyParity(ch, ctx.kafka, admin, {
        pipeline: p.name,
        topic: p.topic.name,
        legs: legsOf(p),
        content: contentOf(columns),
        wait: true,
        timeoutMs: opts.timeoutMs,
        require: opts.require,
        diffLimit: 20,
        witness: { session, kafka: ctx.kafka, registry, schema: opts.to.parsed, samplePercent: 100 },
        notDeployed: opts.connectorDeployed === false ? ['connector'] : [],
        onProgress: (line) => opts.log(`   ${line}`),
      });
      summary.parity = report;
      summary.exitCode = report.exitCode;
      return report.exact ? 'PARITY EXACT' : `PARITY DIFFERS: ${report.reasons.join('; ')}`;
    } finally {
      await session.close();
    }
  });
  return summary;
}
