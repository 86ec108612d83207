/**
 * The pipelines a command acts on: the definitions in `pipelines/` (KIT_PIPELINES_DIR
 * overrides), the one chosen by `--pipeline`, KIT_PIPELINE, the default or the only one, and
 * each one's schema read (from its file or the registry) and mapped to both legs' columns.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveEnv } from '../config.js';
import { projectRoot } from '../paths.js';
import { AvroSchemaError, parseKeySchema, parseSchema, type ParsedSchema, type ParsedType } from './avro.js';
import { loadPipelines, PipelineError, selectPipelines, type Pipeline } from './definition.js';
import { columnsOf, type Column } from './mapping.js';

/** The directory of pipeline files; `env` defaults to the kit's (the process environment over .stack/stack.env and .env). */
export function pipelinesDir(env: Record<string, string | undefined> = resolveEnv()): string {
  return env.KIT_PIPELINES_DIR ? path.resolve(env.KIT_PIPELINES_DIR) : path.join(projectRoot, 'pipelines');
}

export interface ChooseOptions {
  /** `--pipeline`: a name, names joined by commas, or `all`. */
  requested?: string;
  /** Whether `all` and several names are accepted. */
  allowAll?: boolean;
  /** The kit's database (CLICKHOUSE_DATABASE): a pipeline's unless it names another. */
  database: string;
  env?: Record<string, string | undefined>;
}

/** The pipelines a command acts on (see the module comment); bad input is a PipelineError. */
export function choosePipelines(o: ChooseOptions): Pipeline[] {
  const env = o.env ?? resolveEnv();
  const dir = pipelinesDir(env);
  const all = loadPipelines(dir, { database: o.database });
  const requested = o.requested ?? (env.KIT_PIPELINE || undefined);
  return selectPipelines(all, requested, { allowAll: o.allowAll ?? false, dir });
}

/** One pipeline (a command without `--pipeline all`). */
export function choosePipeline(o: Omit<ChooseOptions, 'allowAll'>): Pipeline {
  return choosePipelines({ ...o, allowAll: false })[0]!;
}

/** Reads a subject's schema from the registry (injected: the pipeline layer talks to no service). */
export type SubjectReader = (subject: string, version: number | 'latest') => Promise<{ schema: string; id: number; version: number }>;

/** A pipeline's schema, read and mapped. */
export interface PipelineSchema {
  /** Where it came from: a file, or `subject S version V`. */
  source: string;
  parsed: ParsedSchema;
  columns: Column[];
}

/** Reads an Avro schema file, naming the file in every problem. */
export function readSchemaFile(file: string): { text: string; parsed: ParsedSchema } {
  if (!existsSync(file)) throw new PipelineError(`schema file ${file} does not exist`);
  const text = readFileSync(file, 'utf8');
  try {
    return { text, parsed: parseSchema(text, file) };
  } catch (e) {
    if (e instanceof AvroSchemaError) throw new PipelineError(e.message);
    throw e;
  }
}

/** The schema a text holds, mapped to columns; every problem names `source`. */
export function schemaFromText(text: string, source: string): PipelineSchema {
  let parsed: ParsedSchema;
  try {
    parsed = parseSchema(text, source);
  } catch (e) {
    if (e instanceof AvroSchemaError) throw new PipelineError(e.message);
    throw e;
  }
  return { source, parsed, columns: columnsOf(parsed, source) };
}

/**
 * The pipeline's value schema and columns: from its file, or from the registry's subject
 * (which needs `readSubject`). A type the legs cannot carry is an UnsupportedTypeError.
 */
export async function pipelineSchema(p: Pipeline, readSubject?: SubjectReader): Promise<PipelineSchema> {
  if ('file' in p.schema) {
    const { text } = readSchemaFile(p.schema.file);
    return schemaFromText(text, path.relative(process.cwd(), p.schema.file) || p.schema.file);
  }
  if (!readSubject) throw new Error(`pipeline ${p.name} reads its schema from the registry, which this command was not given`);
  const source = `subject ${p.schema.subject} version ${p.schema.version} (pipeline ${p.name})`;
  let found;
  try {
    found = await readSubject(p.schema.subject, p.schema.version);
  } catch (e) {
    throw new PipelineError(`${p.file}: schema.subject ${p.schema.subject} version ${p.schema.version}: ${(e as Error).message}`);
  }
  return schemaFromText(found.schema, source);
}

/** A pipeline's value column and key field, checked: the key field must be a top-level string field. */
export function checkKeyField(p: Pipeline, schema: PipelineSchema): void {
  if (!p.key || !('field' in p.key)) return;
  const field = p.key.field;
  const column = schema.columns.find((c) => c.name === field);
  const kind = column ? (column.avro.kind === 'union' ? 'union' : column.avro.kind) : undefined;
  if (!column) throw new PipelineError(`${p.file}: key.field ${field} is not a field of the schema (${schema.source}); fields: ${schema.columns.map((c) => c.name).join(', ')}`);
  if (!['string', 'int', 'long', 'enum'].includes(kind!)) {
    throw new PipelineError(`${p.file}: key.field ${field} is a ${kind} field; a key field must be a string, int, long or enum (its text is the record's key)`);
  }
}

/** The pipeline's key schema (key.schema), read; undefined for keys from a field or no keys. */
export function pipelineKeySchema(p: Pipeline): ParsedType | undefined {
  if (!p.key || !('schemaFile' in p.key)) return undefined;
  const file = p.key.schemaFile;
  if (!existsSync(file)) throw new PipelineError(`${p.file}: key.schema ${file} does not exist`);
  try {
    return parseKeySchema(readFileSync(file, 'utf8'), file);
  } catch (e) {
    if (e instanceof AvroSchemaError) throw new PipelineError(e.message);
    throw e;
  }
}
