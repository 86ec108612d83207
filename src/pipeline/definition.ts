/**
 * Pipelines as files: `pipelines/<name>.yaml`, one Avro topic streamed into ClickHouse both
 * ways. Read and checked here (zod; every problem names the file, the line, the key and the
 * fix), with every name the file leaves out derived from the pipeline's name, and checked
 * against each other (two pipelines may not write one table or share a consumer group).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';

/** A problem with a pipeline file or with the choice of pipelines: bad input (exit 2). */
export class PipelineError extends UsageError {
  override name = 'PipelineError';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const CONNECTOR = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Columns the kit adds to both legs' tables; a schema field may not take these names. */
export const LINEAGE_COLUMNS = ['_topic', '_partition', '_offset', '_kafka_timestamp', '_inserted_at'] as const;

const ident = (what: string) => z.string().regex(IDENT, { error: `${what} must be a plain identifier (letters, digits, _; not starting with a digit)` });
const settingsMap = z.record(z.string().regex(/^[A-Za-z0-9._-]+$/, { error: 'a setting name holds letters, digits, ".", "_" and "-"' }), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** `7d`, `12h`, `30m`, `90s`, `500ms`, a number of milliseconds, or `infinite` (-1). */
const duration = z.union([z.number().int().min(-1), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  if (v === 'infinite') return -1;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `a duration such as 7d, 12h, 30m, 90s, 500ms, a number of milliseconds or "infinite", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms']!;
});

export const PipelineFileSchema = z.strictObject({
  name: z.string().regex(NAME, { error: 'name must start with a lowercase letter and hold lowercase letters, digits and "_" (it names tables)' }),
  /** The pipeline commands use when none is named (at most one file may say so). */
  default: z.boolean().optional(),
  description: z.string().optional(),
  topic: z
    .strictObject({
      name: z.string().regex(TOPIC, { error: 'topic.name may hold letters, digits, ".", "_" and "-" only' }).optional(),
      partitions: z.number().int().min(1).max(10_000).default(3),
      replication: z.number().int().min(1).max(32).default(1),
      /** retention.ms of the topic. */
      retention: duration.optional(),
      /** Other topic configs, as Kafka names them (cleanup.policy, ...). */
      config: settingsMap.optional(),
    })
    .default({ partitions: 3, replication: 1 }),
  schema: z
    .strictObject({
      /** A local .avsc file, relative to the pipeline file. */
      file: z.string().min(1).optional(),
      /** Or a subject in the schema registry. */
      subject: z.string().min(1).optional(),
      version: z.union([z.number().int().min(1), z.literal('latest')]).optional(),
    })
    .refine((s) => (s.file === undefined) !== (s.subject === undefined), { error: 'give exactly one of schema.file (a local .avsc) or schema.subject (a registry subject, with schema.version)' })
    .refine((s) => s.version === undefined || s.subject !== undefined, { error: 'schema.version applies to schema.subject only' }),
  key: z
    .strictObject({
      /** A top-level string field of the value whose text is the record's key. */
      field: z.string().min(1).optional(),
      /** Or an Avro schema for the keys (a local .avsc), registered as <topic>-key. */
      schema: z.string().min(1).optional(),
    })
    .refine((k) => (k.field === undefined) !== (k.schema === undefined), { error: 'give exactly one of key.field or key.schema (leave key out for records without keys)' })
    .optional(),
  clickhouse: z
    .strictObject({
      database: ident('clickhouse.database').optional(),
      /** The sink connector's table. */
      connectorTable: ident('clickhouse.connectorTable').optional(),
      /** The Kafka engine's target table; its queue, fan-out, errors table and views are named after it. */
      kafkaTable: ident('clickhouse.kafkaTable').optional(),
      /** Both tables' ORDER BY; parity reads offset ranges, so the default starts with the lineage. */
      orderBy: z.array(z.string().min(1)).min(1).optional(),
      /** Both tables' PARTITION BY (none unless given). */
      partitionBy: z.string().min(1).optional(),
    })
    .default({}),
  connector: z
    .strictObject({
      /** Pipelines naming the same connector share it (one connector, several topics, topic2TableMap). */
      name: z.string().regex(CONNECTOR, { error: 'connector.name may hold letters, digits, ".", "_" and "-" only' }).optional(),
      exactlyOnce: z.boolean().default(false),
      dlqTopic: z.string().regex(TOPIC, { error: 'connector.dlqTopic may hold letters, digits, ".", "_" and "-" only' }).optional(),
      tasksMax: z.number().int().min(1).default(1),
      /** Records a task takes per poll, which the sink inserts as one batch per partition. */
      maxPollRecords: z.number().int().min(1).default(5000),
      /** Other connector settings, as the connector names them. */
      settings: settingsMap.optional(),
    })
    .default({ exactlyOnce: false, tasksMax: 1, maxPollRecords: 5000 }),
  kafkaEngine: z
    .strictObject({
      group: z.string().regex(CONNECTOR, { error: 'kafkaEngine.group may hold letters, digits, ".", "_" and "-" only' }).optional(),
      consumers: z.number().int().min(1).max(16).default(1),
      /** kafka_skip_broken_messages: messages a block may skip (with errorMode default). */
      skipBrokenMessages: z.number().int().min(0).default(0),
      /** stream: an undecodable message becomes an error row (kept); default: it stops the block (or is skipped). */
      errorMode: z.enum(['stream', 'default']).default('stream'),
      flushIntervalMs: z.number().int().min(100).default(1000),
      maxBlockSize: z.number().int().min(1).optional(),
      /** Other Kafka-engine settings (kafka_*, input_format_*), as SQL literals. */
      settings: settingsMap.optional(),
    })
    .default({ consumers: 1, skipBrokenMessages: 0, errorMode: 'stream', flushIntervalMs: 1000 }),
});

export type PipelineFile = z.infer<typeof PipelineFileSchema>;

/** A pipeline with every name resolved. */
export interface Pipeline {
  name: string;
  /** The definition file. */
  file: string;
  isDefault: boolean;
  description?: string;
  topic: { name: string; partitions: number; replication: number; configs: Record<string, string> };
  schema: { file: string } | { subject: string; version: number | 'latest' };
  key: { field: string } | { schemaFile: string } | undefined;
  database: string;
  tables: PipelineTables;
  orderBy: string[];
  partitionBy?: string;
  connector: {
    name: string;
    /** Connect's group for a sink: connect-<name>. */
    group: string;
    dlqTopic: string;
    exactlyOnce: boolean;
    tasksMax: number;
    maxPollRecords: number;
    settings: Record<string, string>;
  };
  kafkaEngine: {
    group: string;
    consumers: number;
    skipBrokenMessages: number;
    errorMode: 'stream' | 'default';
    flushIntervalMs: number;
    maxBlockSize?: number;
    settings: Record<string, string>;
  };
}

export interface PipelineTables {
  /** The sink connector's table. */
  connector: string;
  /** The Kafka engine's target. */
  kafka: string;
  /** The Kafka-engine table (reads the topic). */
  kafkaQueue: string;
  /** The Null table the queue's one view writes into. */
  kafkaFanout: string;
  /** Messages the Kafka engine could not decode. */
  kafkaErrors: string;
  /** Views: queue → fan-out, fan-out → target, fan-out → errors. */
  kafkaQueueView: string;
  kafkaView: string;
  kafkaErrorsView: string;
}

export const DEFAULT_ORDER_BY = ['_topic', '_partition', '_offset'];

/** Names a pipeline file leaves out, derived from the pipeline's name and the kit's database. */
export function resolvePipeline(def: PipelineFile, file: string, defaults: { database: string }): Pipeline {
  const topic = def.topic.name ?? def.name;
  const kafka = def.clickhouse.kafkaTable ?? `${def.name}_kafka`;
  const connectorName = def.connector.name ?? `${def.name.replace(/_/g, '-')}-clickhouse-sink`;
  const configs: Record<string, string> = { ...(def.topic.config ?? {}) };
  if (def.topic.retention !== undefined) configs['retention.ms'] = String(def.topic.retention);
  const dir = path.dirname(file);
  return {
    name: def.name,
    file,
    isDefault: def.default === true,
    ...(def.description ? { description: def.description } : {}),
    topic: { name: topic, partitions: def.topic.partitions, replication: def.topic.replication, configs },
    schema: def.schema.file !== undefined ? { file: path.resolve(dir, def.schema.file) } : { subject: def.schema.subject!, version: def.schema.version ?? 'latest' },
    key: def.key?.field !== undefined ? { field: def.key.field } : def.key?.schema !== undefined ? { schemaFile: path.resolve(dir, def.key.schema) } : undefined,
    database: def.clickhouse.database ?? defaults.database,
    tables: {
      connector: def.clickhouse.connectorTable ?? `${def.name}_connect`,
      kafka,
      kafkaQueue: `${kafka}_queue`,
      kafkaFanout: `${kafka}_fanout`,
      kafkaErrors: `${kafka}_errors`,
      kafkaQueueView: `${kafka}_queue_mv`,
      kafkaView: `${kafka}_mv`,
      kafkaErrorsView: `${kafka}_errors_mv`,
    },
    orderBy: def.clickhouse.orderBy ?? DEFAULT_ORDER_BY,
    ...(def.clickhouse.partitionBy ? { partitionBy: def.clickhouse.partitionBy } : {}),
    connector: {
      name: connectorName,
      group: `connect-${connectorName}`,
      dlqTopic: def.connector.dlqTopic ?? `${topic}-dlq`,
      exactlyOnce: def.connector.exactlyOnce,
      tasksMax: def.connector.tasksMax,
      maxPollRecords: def.connector.maxPollRecords,
      settings: def.connector.settings ?? {},
    },
    kafkaEngine: {
      group: def.kafkaEngine.group ?? `clickhouse-kit-${def.name.replace(/_/g, '-')}`,
      consumers: def.kafkaEngine.consumers,
      skipBrokenMessages: def.kafkaEngine.skipBrokenMessages,
      errorMode: def.kafkaEngine.errorMode,
      flushIntervalMs: def.kafkaEngine.flushIntervalMs,
      ...(def.kafkaEngine.maxBlockSize ? { maxBlockSize: def.kafkaEngine.maxBlockSize } : {}),
      settings: def.kafkaEngine.settings ?? {},
    },
  };
}

/** Edit distance, for "did you mean" on a typo'd key. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The keys a strict object of the file schema knows at a path (for "did you mean"). */
function knownKeys(at: (string | number)[]): string[] {
  let s: z.ZodType = PipelineFileSchema;
  for (const key of at) {
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPipe) s = (s instanceof z.ZodPipe ? s.in : s.unwrap()) as z.ZodType;
    if (!(s instanceof z.ZodObject)) return [];
    s = (s.shape as Record<string, z.ZodType>)[String(key)] ?? z.never();
  }
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPipe) s = (s instanceof z.ZodPipe ? s.in : s.unwrap()) as z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Reads one pipeline file; every problem names the file, the line, the key and what to write instead. */
export function parsePipelineFile(file: string, text: string): PipelineFile {
  const counter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: counter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new PipelineError(`${file}: not valid YAML:\n${doc.errors.map((e) => `  ${e.message.split('\n')[0]}`).join('\n')}`);
  }
  const parsed = PipelineFileSchema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  const lineOf = (at: (string | number)[]) => {
    // A key's own line (its value may start on the next one), else the nearest node's.
    const parent = doc.getIn(at.slice(0, -1), true) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
    const key = parent?.items?.find((pair) => pair.key?.value === at.at(-1))?.key;
    if (key?.range) return counter.linePos(key.range[0]).line;
    for (let n = at.length; n >= 0; n--) {
      const node = doc.getIn(at.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return counter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const lines = parsed.error.issues.flatMap((i) => {
    const at = i.path as (string | number)[];
    if (i.code === 'unrecognized_keys') {
      const known = knownKeys(at);
      return i.keys.map((k) => {
        const guess = known.map((c) => ({ c, d: distance(k, c) })).sort((a, b) => a.d - b.d)[0];
        const hint = guess && guess.d <= 3 ? `did you mean ${[...at, guess.c].join('.')}?` : `known keys here: ${known.join(', ')}`;
        const line = lineOf([...at, k]);
        return `  ${[...at, k].join('.')}${line ? ` (line ${line})` : ''}: unknown key; ${hint}`;
      });
    }
    const line = lineOf(at);
    const message = i.code === 'invalid_type' && i.input === undefined ? `required: ${i.message.replace(/^Invalid input: expected (\w+), received undefined$/, 'give a $1')}` : i.message;
    return [`  ${at.join('.') || '(top level)'}${line ? ` (line ${line})` : ''}: ${message}`];
  });
  throw new PipelineError(`${file}: not a pipeline definition:\n${lines.join('\n')}`);
}

export const PIPELINE_EXTENSIONS = ['.yaml', '.yml'];

/** Every pipeline in a directory, checked one by one and against each other. */
export function loadPipelines(dir: string, defaults: { database: string }): Pipeline[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => PIPELINE_EXTENSIONS.some((e) => f.endsWith(e)))
    .sort()
    .map((f) => path.join(dir, f));
  const defs = files.map((file) => {
    const def = parsePipelineFile(file, readFileSync(file, 'utf8'));
    const base = path.basename(file).replace(/\.ya?ml$/, '');
    if (base !== def.name) throw new PipelineError(`${file}: the file of pipeline ${def.name} must be named ${def.name}.yaml (commands find a pipeline by its file name)`);
    return { def, pipeline: resolvePipeline(def, file, defaults) };
  });
  // Pipelines sharing a connector share its one DLQ: <connector>-dlq unless one of them names it.
  const pipelines = defs.map((d) => d.pipeline);
  for (const p of pipelines) {
    const sharing = defs.filter((d) => d.pipeline.connector.name === p.connector.name);
    if (sharing.length > 1 && sharing.every((d) => d.def.connector.dlqTopic === undefined)) p.connector.dlqTopic = `${p.connector.name}-dlq`;
  }
  checkTogether(pipelines);
  return pipelines;
}

/** What pipelines may not share: a table, a topic, a consumer group; a shared connector must agree on its settings. */
export function checkTogether(pipelines: Pipeline[]): void {
  const problems: string[] = [];
  const owner = new Map<string, Pipeline>();
  const claim = (key: string, what: string, p: Pipeline) => {
    const other = owner.get(key);
    if (other && other !== p) problems.push(`${what} is claimed by two pipelines, ${other.name} (${other.file}) and ${p.name} (${p.file}); give one of them another name`);
    else owner.set(key, p);
  };
  for (const p of pipelines) {
    for (const table of new Set(Object.values(p.tables))) claim(`table:${p.database}.${table}`, `table ${p.database}.${table}`, p);
    claim(`topic:${p.topic.name}`, `topic ${p.topic.name}`, p);
    claim(`group:${p.kafkaEngine.group}`, `consumer group ${p.kafkaEngine.group}`, p);
    if (p.tables.connector === p.tables.kafka) problems.push(`${p.file}: clickhouse.connectorTable and clickhouse.kafkaTable are both ${p.tables.kafka}; each leg needs its own table`);
  }
  const byConnector = new Map<string, Pipeline[]>();
  for (const p of pipelines) byConnector.set(p.connector.name, [...(byConnector.get(p.connector.name) ?? []), p]);
  for (const [name, members] of byConnector) {
    const [first, ...rest] = members;
    for (const p of rest) {
      const differ = (['database', 'connector.exactlyOnce', 'connector.dlqTopic', 'connector.tasksMax', 'connector.maxPollRecords', 'connector.settings', 'key'] as const).filter((k) => {
        const get = (x: Pipeline) => JSON.stringify(k === 'database' ? x.database : k === 'key' ? (x.key && 'schemaFile' in x.key ? 'avro' : 'string') : k === 'connector.settings' ? x.connector.settings : x.connector[k.slice('connector.'.length) as 'dlqTopic']);
        return get(p) !== get(first!);
      });
      if (differ.length > 0) {
        problems.push(`pipelines ${first!.name} and ${p.name} share connector ${name} but differ in ${differ.join(', ')}: one connector has one of each; make them equal, or give one pipeline its own connector.name`);
      }
    }
  }
  const defaults = pipelines.filter((p) => p.isDefault);
  if (defaults.length > 1) problems.push(`more than one pipeline says default: true (${defaults.map((p) => p.file).join(', ')}); keep it in one`);
  if (problems.length > 0) throw new PipelineError(problems.join('\n'));
}

/**
 * The pipeline a command acts on when none is named: KIT_PIPELINE, else the one marked
 * default, else the only one; else the command refuses, listing the names.
 */
export function selectPipelines(pipelines: Pipeline[], requested: string | undefined, opts: { allowAll: boolean; dir: string }): Pipeline[] {
  const names = pipelines.map((p) => p.name);
  const list = names.length ? names.join(', ') : '(none)';
  if (pipelines.length === 0) throw new PipelineError(`no pipeline definitions in ${opts.dir}; write one with \`npm run pipeline:new -- --name N --topic T --schema F.avsc\``);
  if (requested === 'all') {
    if (!opts.allowAll) throw new PipelineError(`this command acts on one pipeline at a time; --pipeline takes one of: ${list}`);
    return pipelines;
  }
  if (requested !== undefined) {
    const chosen = requested.split(',').map((n) => n.trim()).filter(Boolean);
    if (chosen.length > 1 && !opts.allowAll) throw new PipelineError(`this command acts on one pipeline at a time; --pipeline takes one of: ${list}`);
    return chosen.map((n) => {
      const p = pipelines.find((x) => x.name === n);
      if (!p) throw new PipelineError(`no pipeline named ${n} in ${opts.dir}; defined: ${list}`);
      return p;
    });
  }
  const marked = pipelines.find((p) => p.isDefault);
  if (marked) return [marked];
  if (pipelines.length === 1) return pipelines;
  throw new PipelineError(`${pipelines.length} pipelines are defined and none is the default: choose one with --pipeline (or KIT_PIPELINE): ${list}`);
}
