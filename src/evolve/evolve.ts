/**
 * The schema evolution rehearsal: a backward-compatible v2 of the event schema (one
 * new field with a default) rolled through both legs without losing or re-reading an
 * offset, then v2 (and v1) events produced and parity checked over the whole topic.
 *
 *   1. compatibility    v2 against the subject's latest version (refused: exit 2, with the registry's reason)
 *   2. connector stop   when deployed and its table lacks the column: stop it, so no task inserts with the old columns
 *   3. columns          ALTER TABLE ... ADD COLUMN IF NOT EXISTS on both target tables
 *   4. kafka engine     stop consumption, rebuild the Kafka table, its fan-out and views with the column,
 *                       same consumer group (the committed offsets stay in Kafka), consumption last
 *   5. connector start  give it back its state; its new tasks describe the table with the column
 *   6. produce          register v2, N v2 events, then M v1 events (old producers keep running)
 *   7. parity           verifyParity --wait over the whole topic
 *
 * Every step looks first and does only what is missing: running it twice is harmless.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import { UsageError } from '../errors.js';
import { applySql, templateValues } from '../clickhouse/ddl.js';
import type { KitConfig } from '../config.js';
import { ConnectClient } from '../connect/rest.js';
import { committedOffsets } from '../parity/truth.js';
import { legsFromConfig, verifyParity, type ParityReport } from '../parity/verify.js';
import { readSchema, SCHEMA_FILE } from '../produce/events.js';
import { produceAvro, type ProduceSummary } from '../produce/producer.js';
import { IncompatibleSchemaError, Registry, type CompatibilityResult } from '../registry/registry.js';
import { restoreConnector, stopConnector, type StoppedConnector } from './connector.js';
import { checkSameGroup, inspect, kafkaEngineDrift, kafkaEngineObjects } from './kafka-engine.js';
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
  topic: string;
  subject: string;
  schemaFile: string;
  dryRun: boolean;
  compatibility: CompatibilityResult & { latestVersion?: number };
  added: AddedField[];
  steps: StepResult[];
  /** The Kafka engine group's committed offsets around the recreate, per partition. */
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

/** How long the connector may take to stop, or to run all its tasks again. */
const CONNECTOR_WAIT_MS = 90_000;

const secretsOf = (config: KitConfig) => [config.clickhouse.admin.password, config.clickhouse.connector.password, config.clickhouse.reader.password];

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

  const objects = kafkaEngineObjects(config);
  let inputs: EvolveInputs;
  try {
    inputs = loadInputs(templateValues(config), objects, opts.schemaFile);
  } catch (e) {
    if (e instanceof EvolveInputError) throw new UsageError(e.message);
    throw e;
  }
  const state = await inspect(ch, db);
  const missingBase = [config.tables.connector, config.tables.kafka, config.tables.kafkaErrors].filter((t) => !state.tables.has(t));
  if (missingBase.length > 0) throw new UsageError(`${db} lacks ${missingBase.join(', ')}: apply the base DDL first (npm run sql:apply)`);
  checkSameGroup(state, config);
  const lackingIn = (table: string) => inputs.added.filter((f) => !state.columns.get(table)?.has(f.name)).map((f) => `${table}.${f.name}`);

  // 2. the connector's tasks stop before its table changes
  const connector = config.connector.name;
  const connect = new ConnectClient({ url: config.connect.url, retry: { unreachableAttempts: 2 } });
  const connectorLacks = lackingIn(config.tables.connector);
  const stopWhy =
    opts.connectorDeployed !== false && opts.restartConnector && connectorLacks.length > 0
      ? `stop ${connector} before ${connectorLacks.join(', ')} is added, so no task inserts with the old columns`
      : undefined;
  const leftAlone =
    opts.connectorDeployed === false ? `${connector} not deployed` : !opts.restartConnector ? 'not asked (--no-restart-connector)' : `${config.tables.connector} already has the column(s)`;
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
    // 3. columns on both target tables
    const lacking = [config.tables.connector, config.tables.kafka].flatMap(lackingIn);
    await step('columns', inputs.sql.addColumns.statements, lacking.length > 0 ? `add ${lacking.join(', ')}` : undefined, async () => {
      await applySql(ch, [inputs.sql.addColumns]);
      return `added ${lacking.join(', ')}`;
    });

    // 4. the Kafka-engine table, its fan-out and views, same consumer group
    offsets.before = offsetsRecord(await committedOffsets(admin, group, config.topic));
    const drift = kafkaEngineDrift(state, objects, inputs.added);
    await step('kafka engine', inputs.sql.kafkaEngine.statements, drift && `recreate ${db}.${config.tables.kafkaQueue}, its fan-out and views (${drift}); group ${group} kept`, async () => {
      await applySql(ch, [inputs.sql.kafkaEngine]);
      offsets.after = offsetsRecord(await committedOffsets(admin, group, config.topic));
      const kept = JSON.stringify(offsets.before) === JSON.stringify(offsets.after);
      return `recreated with group ${group}; committed offsets ${kept ? 'kept' : 'CHANGED'}: ${JSON.stringify(offsets.after ?? {})}`;
    });
  } catch (e) {
    if (stopped) await restoreConnector(connect, stopped, CONNECTOR_WAIT_MS, secretsOf(config)).catch(() => undefined);
    throw e;
  }

  // 5. the connector's new tasks describe the table with the column when they start
  const startWhy = opts.dryRun ? stopWhy && `give ${connector} back its state; its new tasks describe ${config.tables.connector} with the column(s)` : stopped && `give ${connector} back ${stopped.restore}`;
  await step('connector start', [], startWhy, () => restoreConnector(connect, stopped!, CONNECTOR_WAIT_MS, secretsOf(config)), stopWhy ? `${connector} was not stopped` : leftAlone);

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
