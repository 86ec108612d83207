/**
 * The evolution rehearsal's inputs: the v2 Avro schema and the DDL templates in
 * sql/evolve/, and the checks that tie them together (every field v2 adds has a
 * default, and the DDL adds it as a column of the matching type and default).
 */
import path from 'node:path';
import { loadSqlFiles, SQL_DIR, type SqlFile, type TemplateValues } from '../clickhouse/ddl.js';
import { readSchema, SCHEMA_FILE } from '../produce/events.js';
import { consumptionOrderProblems } from './ddl-order.js';
import type { KafkaEngineObjects } from './kafka-engine.js';

export const EVOLVE_DIR = path.join(SQL_DIR, 'evolve');
export const V2_SCHEMA_FILE = path.join(EVOLVE_DIR, 'user_event.v2.avsc');
export const ADD_COLUMNS_FILE = '10_add_columns.sql';
export const KAFKA_ENGINE_FILE = '20_kafka_engine_v2.sql';

export interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
}

export interface AddedField {
  name: string;
  /** The ClickHouse column type and default the Avro field maps to, e.g. `Nullable(String) DEFAULT NULL`. */
  column: string;
}

export class EvolveInputError extends Error {
  override name = 'EvolveInputError';
}

function fieldsOf(schemaText: string, file: string): AvroField[] {
  const schema = JSON.parse(schemaText) as { type?: string; fields?: AvroField[] };
  if (schema.type !== 'record' || !Array.isArray(schema.fields)) throw new EvolveInputError(`${file} is not an Avro record schema`);
  return schema.fields;
}

const PRIMITIVE: Record<string, string> = { string: 'String', int: 'Int32', long: 'Int64', boolean: 'Bool', float: 'Float32', double: 'Float64' };

function sqlLiteral(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new EvolveInputError(`a default of ${JSON.stringify(value)} has no ClickHouse literal here`);
}

/** `["null", T]` → `Nullable(T) DEFAULT <default>`, `T` → `T DEFAULT <default>`, for primitive T. */
export function columnFor(field: AvroField): string {
  if (!('default' in field)) throw new EvolveInputError(`the new field ${field.name} has no default: old records could not be read with the new schema`);
  const t = field.type;
  const union = Array.isArray(t) ? t : undefined;
  const inner = union ? union.filter((x) => x !== 'null') : [t];
  const base = inner.length === 1 && typeof inner[0] === 'string' ? PRIMITIVE[inner[0]] : undefined;
  if (!base) throw new EvolveInputError(`the new field ${field.name} has type ${JSON.stringify(t)}; the rehearsal maps primitives and ["null", primitive] only`);
  const nullable = union?.includes('null') ?? false;
  return `${nullable ? `Nullable(${base})` : base} DEFAULT ${sqlLiteral(field.default)}`;
}

/** The fields the new schema has and the old one lacks, with their columns. */
export function addedFields(oldText: string, newText: string, files = { old: 'v1', new: 'v2' }): AddedField[] {
  const old = new Set(fieldsOf(oldText, files.old).map((f) => f.name));
  return fieldsOf(newText, files.new)
    .filter((f) => !old.has(f.name))
    .map((f) => ({ name: f.name, column: columnFor(f) }));
}

/** A CREATE statement of the base DDL, by the object it creates. */
function baseStatement(values: TemplateValues, kind: 'TABLE' | 'MATERIALIZED VIEW', name: string): string {
  const statement = loadSqlFiles(values)
    .flatMap((f) => f.statements)
    .find((st) => new RegExp(`^CREATE ${kind} IF NOT EXISTS \\S+\\.${name}\\b`).test(st));
  if (!statement) throw new EvolveInputError(`no CREATE ${kind} IF NOT EXISTS ... ${name} in ${SQL_DIR}`);
  return statement;
}

/**
 * The recreate with the base DDL's fan-out table and errors view inserted after its
 * drops: they come back as the base DDL defines them, not copied, so they cannot drift.
 */
function withBaseFanout(recreate: SqlFile, values: TemplateValues, o: KafkaEngineObjects): SqlFile {
  const drops = recreate.statements.findIndex((st) => !/^DROP\b/.test(st));
  const at = drops === -1 ? recreate.statements.length : drops;
  const base = [baseStatement(values, 'TABLE', o.fanout), baseStatement(values, 'MATERIALIZED VIEW', o.errorsView)];
  return { file: recreate.file, statements: [...recreate.statements.slice(0, at), ...base, ...recreate.statements.slice(at)] };
}

export interface EvolveInputs {
  schemaFile: string;
  schema: string;
  added: AddedField[];
  sql: { addColumns: SqlFile; kafkaEngine: SqlFile };
}

/**
 * Reads the schema and renders the templates; refuses DDL that does not add what the
 * schema adds, or that could let the Kafka table be consumed with only some of its views.
 */
export function loadInputs(values: TemplateValues, objects: KafkaEngineObjects, schemaFile = V2_SCHEMA_FILE, dir = EVOLVE_DIR): EvolveInputs {
  const schema = readSchema(schemaFile);
  const added = addedFields(readSchema(SCHEMA_FILE), schema, { old: SCHEMA_FILE, new: schemaFile });
  const files = loadSqlFiles(values, dir);
  const pick = (name: string) => {
    const f = files.find((x) => x.file === name);
    if (!f) throw new EvolveInputError(`${path.join(dir, name)} is missing`);
    return f;
  };
  const sql = { addColumns: pick(ADD_COLUMNS_FILE), kafkaEngine: withBaseFanout(pick(KAFKA_ENGINE_FILE), values, objects) };
  const order = consumptionOrderProblems(sql.kafkaEngine.statements, objects);
  if (order.length > 0) throw new EvolveInputError(`${KAFKA_ENGINE_FILE}: ${order.join('; ')}`);
  for (const field of added) {
    const def = `${field.name} ${field.column}`;
    const adds = sql.addColumns.statements.filter((s) => s.includes(`ADD COLUMN IF NOT EXISTS ${def}`));
    if (adds.length < 2) throw new EvolveInputError(`${ADD_COLUMNS_FILE} must add "${def}" to both target tables (the schema adds ${field.name})`);
    const mentions = (re: RegExp) => sql.kafkaEngine.statements.some((s) => new RegExp(`\\b${field.name}\\b`).test(s) && re.test(s));
    if (!mentions(/ENGINE = Kafka/)) throw new EvolveInputError(`${KAFKA_ENGINE_FILE} must give the Kafka-engine table the column ${field.name}`);
    if (!mentions(new RegExp(`^ALTER TABLE \\S+\\.${objects.fanout} ADD COLUMN IF NOT EXISTS`))) {
      throw new EvolveInputError(`${KAFKA_ENGINE_FILE} must add the column ${field.name} to ${objects.fanout}`);
    }
  }
  return { schemaFile, schema, added, sql };
}
