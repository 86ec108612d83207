/**
 * The type conformance suite: every type of the catalogue through both legs of the running
 * embedded stack, and what each leg stores of each edge value, measured by parity against
 * the topic itself (--content topic):
 *
 *   exact       the leg's row equals the topic's record at that offset
 *   stored differently   the row is there, another value (the witness's example: topic vs leg)
 *   rejected    no row: the connector dead-lettered the record (exception class and message),
 *               or the Kafka engine kept it in its errors table (its error)
 *   lost        no row, and neither: a loss (the worst finding there is)
 *
 * One pipeline per type (a record of one field `v`), one partition each, all sharing one sink
 * connector (topic2TableMap) that inserts one record per batch, and a Kafka engine that reads
 * one message per block: a record's fate is its own. Types the mapping refuses are listed with
 * the refusal, never sent.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { clickhouseClient } from '../clickhouse/client.js';
import { queryRows } from '../clickhouse/query.js';
import { resolveEnv } from '../config.js';
import { deployPipelineSink } from '../connect/pipeline-sink.js';
import { ConnectClient } from '../connect/rest.js';
import { isolatedKit, type IsolatedKit } from '../isolated-kit.js';
import { connectAdmin, kafkaClient } from '../kafka.js';
import { parseSchema } from '../pipeline/avro.js';
import { renderType } from '../pipeline/clickhouse-type.js';
import { contentOf } from '../pipeline/content.js';
import { edgeValues } from '../pipeline/edges.js';
import { columnsOf, UnsupportedTypeError, type Refusal } from '../pipeline/mapping.js';
import { legsOf } from '../parity/legs.js';
import { qualified } from '../parity/queries.js';
import { readDeadLetters, type DeadLetter } from '../parity/truth.js';
import { verifyParity, type ParityReport } from '../parity/verify.js';
import { witnessSession } from '../parity/witness/witness.js';
import type { ResolvedPipeline } from '../pipelines.js';
import { schemaFromText, type PipelineSchema } from '../pipeline/load.js';
import { stackPaths } from '../paths.js';
import { produceAvro } from '../produce/producer.js';
import { Registry } from '../registry/registry.js';
import { caseSchema, TYPE_CASES, writerSchema, type TypeCase } from './catalogue.js';

export type Outcome =
  | { kind: 'exact' }
  | { kind: 'stored differently'; topic: string; stored: string }
  | { kind: 'rejected'; where: string; why: string }
  | { kind: 'lost' };

export interface ValueResult {
  label: string;
  connector: Outcome;
  kafka_engine: Outcome;
}

export interface CaseResult {
  name: string;
  title: string;
  clickhouse?: string;
  refused?: Refusal;
  values: ValueResult[];
}

/** What the table was measured on. */
export interface Versions {
  clickhouse: string;
  connect: string;
  connector: string;
  /** The Connect converter the connector reads Avro with (the pom the embedded stack installs it from). */
  converter: string;
}

export interface ConformanceResult {
  versions: Versions;
  cases: CaseResult[];
  elapsedMs: number;
}

const SINK_CLASS = 'com.clickhouse.kafka.connect.ClickHouseSinkConnector';

async function versionsOf(kit: IsolatedKit): Promise<Versions> {
  const connect = new ConnectClient({ url: kit.config.connect.url });
  const [[row], info, plugins] = await Promise.all([queryRows<{ v: string }>(kit.admin, { query: 'SELECT version() AS v', params: {} }), connect.serverInfo(), connect.connectorPlugins()]);
  const pom = readFileSync(stackPaths().converterPom, 'utf8');
  return {
    clickhouse: row?.v ?? 'unknown',
    connect: info.version,
    connector: plugins.find((p) => p.class === SINK_CLASS)?.version ?? 'unknown',
    converter: `Apicurio AvroConverter ${/<converter\.version>([^<]+)</.exec(pom)?.[1] ?? 'unknown'}`,
  };
}

export interface RunOptions {
  log?: (line: string) => void;
  /** How long both legs may take to account for every record. */
  timeoutMs?: number;
}

type Leg = 'connector' | 'kafka_engine';

/** A value as ClickHouse's JSON gave it (NaN and infinities as "nan", "inf"), -0 kept, cut short. */
export function shown(v: unknown): string {
  const text = (function show(x: unknown): string {
    if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
    if (Array.isArray(x)) return `[${x.map(show).join(',')}]`;
    if (x && typeof x === 'object') return `{${Object.entries(x).map(([k, y]) => `${JSON.stringify(k)}:${show(y)}`).join(',')}}`;
    return JSON.stringify(x);
  })(v);
  return text.length > 72 ? `${text.slice(0, 69)}...` : text;
}

/** The first line of an exception message, with what varies per run (offsets, ids, times) left out. */
export function reason(text: string | undefined): string {
  const line = (text ?? '').split('\n')[0]!.trim();
  return line
    .replace(/\(version [^)]*\)/g, '')
    .replace(/\b(offset|row|at row|position)\s+\d+/gi, '$1 N')
    .replace(/\b(Partition|MinOffset|MaxOffset): \[\d+\]/g, '$1: [N]')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\s+/g, ' ')
    .slice(0, 160)
    .trim();
}

/** A dead letter's exception, and beneath a wrapper (the sink's RuntimeException per batch) the cause. */
export function deadLetterWhy(d: DeadLetter, topic: string): string {
  const said = `${d.exceptionClass?.split('.').at(-1) ?? 'exception'}: ${reason(d.error?.replaceAll(topic, '<topic>'))}`;
  if (!d.rootCause) return said;
  const cause = d.rootCause.replace(/^([\w.$]+)(:|$)/, (_m, cls: string, colon: string) => `${cls.split('.').at(-1)}${colon}`);
  return `${said}; cause: ${reason(cause.replaceAll(topic, '<topic>'))}`;
}

interface Prepared {
  c: TypeCase;
  resolved: ResolvedPipeline;
  values: { label: string; value: unknown }[];
  /** The records to send, in order (offset i is value i), and the schema they are written with. */
  records: Record<string, unknown>[];
  writer: PipelineSchema;
}

/** Each case as a pipeline of its own in the kit, or its refusal. */
async function prepare(kit: IsolatedKit, cases: TypeCase[], results: CaseResult[]): Promise<Prepared[]> {
  const prepared: Prepared[] = [];
  const connector = `${kit.tag.replace(/_/g, '-')}-conformance-sink`;
  for (const c of cases) {
    const schemaText = JSON.stringify(caseSchema(c), null, 2);
    const parsed = parseSchema(schemaText, c.name);
    try {
      const column = columnsOf(parsed, c.name).find((x) => x.name === 'v');
      const file = path.join(kit.dir, `${c.name}.avsc`);
      writeFileSync(file, schemaText);
      const resolved = await kit.pipeline(
        file,
        {
          topic: { partitions: 1, replication: 1 },
          // One record per batch and per block: each record's fate is its own.
          connector: { name: connector, exactlyOnce: false, tasksMax: 1, maxPollRecords: 1, dlqTopic: `${kit.tag}-conformance-dlq` },
          kafkaEngine: { consumers: 1, skipBrokenMessages: 0, errorMode: 'stream', flushIntervalMs: 500, maxBlockSize: 1 },
        },
        c.name,
      );
      const writer = writerSchema(c);
      if (writer) {
        const value = { label: `a record written without the field (default ${JSON.stringify(c.default!.value)})`, value: c.default!.value };
        prepared.push({ c, resolved, values: [value], records: [{ k: 0 }], writer: schemaFromText(JSON.stringify(writer), `${c.name} (the schema before the field)`) });
      } else {
        const values = edgeValues(parsed.root.fields[0]!.type);
        prepared.push({ c, resolved, values, records: values.map((v) => ({ v: v.value })), writer: resolved.schema });
      }
      results.push({ name: c.name, title: c.title, clickhouse: renderType(column!.type), values: [] });
    } catch (e) {
      if (!(e instanceof UnsupportedTypeError)) throw e;
      results.push({ name: c.name, title: c.title, refused: e.refusals[0]!, values: [] });
    }
  }
  return prepared;
}

/** What one leg did with each offset of a case, from parity's report and the leg's rejects. */
function outcomes(report: ParityReport, leg: Leg, count: number, rejected: Map<number, { where: string; why: string }>, column: number): Outcome[] {
  const l = report.legs.find((x) => x.leg === leg)!;
  const p = l.partitions.find((x) => x.partition === 0);
  const missing = new Set<number>();
  for (const r of p?.missingRanges ?? []) for (let o = Number(r.from); o <= Number(r.to); o++) missing.add(o);
  const examples = new Map((report.witness?.examples ?? []).filter((e) => e.leg === leg).map((e) => [Number(e.offset), e]));
  return Array.from({ length: count }, (_, offset): Outcome => {
    const r = rejected.get(offset);
    if (r) return { kind: 'rejected', ...r };
    if (missing.has(offset)) return { kind: 'lost' };
    const e = examples.get(offset);
    if (!e) return { kind: 'exact' };
    const unfit = e.unfit.length ? ` (the topic's value does not fit the column: ${e.unfit.join('; ')})` : '';
    return { kind: 'stored differently', topic: `${shown((e.topic as unknown[])[column])}${unfit}`, stored: shown((e.row as unknown[])[column]) };
  });
}

/** The Kafka engine's errors table per offset of one pipeline. */
async function errorRows(kit: IsolatedKit, r: ResolvedPipeline): Promise<Map<number, { where: string; why: string }>> {
  const rows = await queryRows<{ offset: string; error: string }>(kit.admin, {
    query: `SELECT toString(_offset) AS offset, any(_error) AS error FROM ${qualified(r.pipeline.database, r.pipeline.tables.kafkaErrors)} GROUP BY _offset`,
    params: {},
  });
  return new Map(rows.map((x) => [Number(x.offset), { where: 'errors table', why: reason(x.error.replaceAll(r.pipeline.topic.name, '<topic>')) }]));
}

export async function runConformance(opts: RunOptions = {}): Promise<ConformanceResult> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const kit = isolatedKit('conformance');
  const results: CaseResult[] = [];
  let admin: Admin | undefined;
  let kafka: Kafka | undefined;
  let removeSink: (() => Promise<void>) | undefined;
  try {
    const versions = await versionsOf(kit);
    const prepared = await prepare(kit, TYPE_CASES, results);
    log(`${prepared.length} types to send, ${results.length - prepared.length} refused by the mapping`);
    for (const p of prepared) await kit.setUp(p.resolved);
    const sink = await deployPipelineSink(kit.config, resolveEnv(), prepared.map((p) => p.resolved.pipeline));
    removeSink = sink.remove;
    log(`connector ${sink.name} reads ${prepared.length} topics`);
    for (const p of prepared) {
      await produceAvro({
        brokers: kit.config.kafka.brokers,
        registryUrl: kit.config.registry.url,
        pipeline: p.resolved.pipeline,
        schema: p.writer,
        count: p.records.length,
        records: p.records[Symbol.iterator](),
        rate: 0,
        batchSize: 100,
        seed: 1,
        poison: 0,
        compression: 'none',
      });
    }
    log(`sent ${prepared.reduce((s, p) => s + p.values.length, 0)} records`);

    kafka = kafkaClient(kit.config.kafka.brokers, 'kit-conformance');
    admin = await connectAdmin(kafka, kit.config.kafka.brokers);
    const registry = new Registry(kit.config.registry.url);
    const session = witnessSession(kit.config);
    const reader = clickhouseClient(kit.config, 'parity');
    try {
      for (const p of prepared) {
        const { pipeline, schema } = p.resolved;
        const report = await verifyParity(reader, kafka, admin, {
          pipeline: pipeline.name,
          topic: pipeline.topic.name,
          legs: legsOf(pipeline),
          content: contentOf(schema.columns),
          wait: true,
          timeoutMs: opts.timeoutMs ?? 300_000,
          require: 'both',
          diffLimit: 1000,
          witness: { session, kafka, registry, schema: schema.parsed, samplePercent: 100 },
        });
        if (!report.settled) throw new Error(`${p.c.name}: the legs did not settle: ${report.settleNote}`);
        const dead = new Map(
          ((await readDeadLetters(kafka, admin, pipeline.connector.dlqTopic, pipeline.topic.name)) ?? []).map((d) => [
            Number(d.offset),
            { where: 'DLQ', why: deadLetterWhy(d, pipeline.topic.name) },
          ]),
        );
        const column = schema.columns.findIndex((c) => c.name === 'v');
        const connector = outcomes(report, 'connector', p.values.length, dead, column);
        const engine = outcomes(report, 'kafka_engine', p.values.length, await errorRows(kit, p.resolved), column);
        const result = results.find((r) => r.name === p.c.name)!;
        result.values = p.values.map((v, i) => ({ label: v.label, connector: connector[i]!, kafka_engine: engine[i]! }));
        const odd = result.values.filter((v) => v.connector.kind !== 'exact' || v.kafka_engine.kind !== 'exact').length;
        log(`${p.c.name}: ${p.values.length} values, ${odd} not exact on a leg`);
      }
    } finally {
      await reader.close();
      await session.close();
    }
    return { versions, cases: results, elapsedMs: Date.now() - started };
  } finally {
    await removeSink?.().catch(() => undefined);
    if (admin) {
      const existing = await admin.listTopics();
      await admin.deleteTopics({ topics: existing.filter((t) => t.startsWith(kit.tag)) }).catch(() => undefined);
      await admin.disconnect();
    }
    await kit.drop();
  }
}
