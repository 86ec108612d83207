/**
 * The one mapping from Avro to ClickHouse types, used by both legs' tables, by parity's
 * content hash and by the topic witness. A type a leg cannot carry is refused here, before
 * anything is created, with the field, its type, the leg, why, and what the user can do.
 */
import { UsageError } from '../errors.js';
import { describeType, type AvroField, type AvroNode, type ParsedSchema } from './avro.js';
import { renderType, type ChType } from './clickhouse-type.js';

/** One row of the mapping table (README's, checked against this by the static tests). */
export interface MappingRow {
  avro: string;
  clickhouse: string;
  note: string;
}

export const MAPPING_TABLE: MappingRow[] = [
  { avro: 'boolean', clickhouse: 'Bool', note: '' },
  { avro: 'int', clickhouse: 'Int32', note: '' },
  { avro: 'long', clickhouse: 'Int64', note: '' },
  { avro: 'float', clickhouse: 'Float32', note: '' },
  { avro: 'double', clickhouse: 'Float64', note: '' },
  { avro: 'string', clickhouse: 'String', note: '' },
  { avro: 'bytes', clickhouse: 'String', note: 'the bytes as they are' },
  { avro: 'fixed(N)', clickhouse: 'FixedString(N)', note: 'the connector dead-letters bytes that are not UTF-8 (type conformance)' },
  { avro: 'enum', clickhouse: 'Enum8 / Enum16', note: "the schema's symbols, in order, valued 1..n" },
  { avro: 'bytes or fixed (decimal(P, S))', clickhouse: 'Decimal(P, S)', note: "P up to 76; on fixed, the connector's Avro converter dead-letters every record (type conformance)" },
  { avro: 'string (uuid)', clickhouse: 'UUID', note: 'uuid on fixed(16) is refused: the Kafka engine reads a UUID from its text only' },
  { avro: 'int (date)', clickhouse: 'Date32', note: 'days since 1970-01-01; Date cannot hold dates before 1970' },
  { avro: 'int (time-millis)', clickhouse: 'Int32', note: 'milliseconds after midnight, as the record holds them' },
  { avro: 'long (time-micros)', clickhouse: 'Int64', note: 'microseconds after midnight, as the record holds them' },
  { avro: 'long (timestamp-millis)', clickhouse: "DateTime64(3, 'UTC')", note: '' },
  { avro: 'long (timestamp-micros)', clickhouse: "DateTime64(6, 'UTC')", note: '' },
  { avro: 'long (timestamp-nanos)', clickhouse: "DateTime64(9, 'UTC')", note: '' },
  { avro: 'long (local-timestamp-millis)', clickhouse: "DateTime64(3, 'UTC')", note: 'the local time as written, read as UTC' },
  { avro: 'long (local-timestamp-micros)', clickhouse: "DateTime64(6, 'UTC')", note: 'the local time as written, read as UTC' },
  { avro: 'array<T>', clickhouse: 'Array(T)', note: '' },
  { avro: 'map<T>', clickhouse: 'Map(String, T)', note: 'parity compares maps sorted by key' },
  { avro: 'record', clickhouse: 'Tuple(name T, ...)', note: 'a nested record is a named tuple' },
  { avro: '["null", T] or [T, "null"]', clickhouse: 'Nullable(T)', note: 'T a scalar type other than enum (the connector writes Nullable(Enum) without its null marker: refused)' },
  { avro: 'a field default', clickhouse: 'DEFAULT <the default>', note: "what a record written without the field reads (schema evolution); the Kafka engine stores the type's zero instead (type conformance)" },
];

/** The mapping table as Markdown, as the README holds it. */
export function mappingTableMarkdown(): string {
  const cell = (x: string) => x.replace(/\|/g, '\\|');
  return ['| Avro | ClickHouse | note |', '|---|---|---|', ...MAPPING_TABLE.map((r) => `| ${cell(r.avro)} | \`${cell(r.clickhouse)}\` | ${cell(r.note)} |`)].join('\n');
}

/** A type a leg cannot carry: refused before anything is created. */
export interface Refusal {
  field: string;
  type: string;
  leg: 'both legs' | 'the connector leg' | 'the Kafka-engine leg';
  why: string;
  fix: string;
}

export class UnsupportedTypeError extends UsageError {
  override name = 'UnsupportedTypeError';
  constructor(
    readonly source: string,
    readonly refusals: Refusal[],
  ) {
    super(
      `${source}: ${refusals.length === 1 ? 'a field has a type' : `${refusals.length} fields have types`} the pipeline cannot carry:\n` +
        refusals.map((r) => `  field ${r.field} (${r.type}): ${r.leg}: ${r.why}. ${r.fix}`).join('\n'),
    );
  }
}

/** A column of both legs' tables: an Avro field and the ClickHouse type it maps to. */
export interface Column {
  name: string;
  avro: AvroNode;
  type: ChType;
  /** The field's Avro default, when it has one (the column's DEFAULT). */
  default?: { value: unknown };
}

const isNull = (n: AvroNode) => n.kind === 'null';

/** The ClickHouse type of an Avro node, or the refusals found under it. */
export function chTypeOf(node: AvroNode, path: string, refusals: Refusal[]): ChType {
  const refuse = (why: string, fix: string, leg: Refusal['leg'] = 'both legs'): ChType => {
    refusals.push({ field: path, type: describeType(node), leg, why, fix });
    return { t: 'String' };
  };
  switch (node.kind) {
    case 'null':
      return refuse('a field that is always null holds nothing', 'Remove the field, or give it a type.');
    case 'boolean':
      return { t: 'Bool' };
    case 'int':
      if (node.logical?.type === 'date') return { t: 'Date32' };
      return { t: 'Int32' };
    case 'long':
      switch (node.logical?.type) {
        case 'timestamp-millis':
        case 'local-timestamp-millis':
          return { t: 'DateTime64', precision: 3 };
        case 'timestamp-micros':
        case 'local-timestamp-micros':
          return { t: 'DateTime64', precision: 6 };
        case 'timestamp-nanos':
          return { t: 'DateTime64', precision: 9 };
        default:
          return { t: 'Int64' };
      }
    case 'float':
      return { t: 'Float32' };
    case 'double':
      return { t: 'Float64' };
    case 'string':
      return node.logical?.type === 'uuid' ? { t: 'UUID' } : { t: 'String' };
    case 'bytes':
    case 'fixed': {
      const l = node.logical;
      if (l?.type === 'decimal') {
        if (l.precision > 76) return refuse(`ClickHouse's Decimal holds at most 76 digits, this one has ${l.precision}`, 'Lower the precision to 76 or less, or carry the value as a string.');
        return { t: 'Decimal', precision: l.precision, scale: l.scale };
      }
      if (l?.type === 'uuid') {
        // Measured on ClickHouse 26.7: "Cannot parse UUID from type Fixed, because it's size (16) is not equal to the size of UUID (36)".
        return refuse("ClickHouse's Avro reader (the Kafka engine's) reads a uuid into a UUID column from its 36-character text only, not from fixed(16) bytes", 'Write the uuid as a string with logicalType uuid.', 'the Kafka-engine leg');
      }
      return node.kind === 'fixed' ? { t: 'FixedString', n: node.size } : { t: 'String' };
    }
    case 'enum':
      if (node.symbols.length > 32_767) return refuse('ClickHouse enums hold at most 32767 symbols', 'Carry the value as a string.');
      return { t: 'Enum', symbols: node.symbols };
    case 'array':
      return { t: 'Array', of: chTypeOf(node.items, `${path}[]`, refusals) };
    case 'map':
      return { t: 'Map', value: chTypeOf(node.values, `${path}{}`, refusals) };
    case 'record':
      if (node.fields.length === 0) return refuse('a record without fields has no ClickHouse type (an empty Tuple cannot be stored)', 'Remove the field, or give the record a field.');
      return { t: 'Tuple', fields: node.fields.map((f) => ({ name: f.name, type: chTypeOf(f.type, `${path}.${f.name}`, refusals) })) };
    case 'union': {
      const others = node.branches.filter((b) => !isNull(b));
      const nullable = others.length < node.branches.length;
      if (others.length !== 1) {
        return refuse(
          others.length === 0 ? 'a union of null only holds nothing' : `a union of ${others.length} types has no single ClickHouse column type (the connector's converter makes it a struct of branches, the Kafka engine a Variant)`,
          'Split it into one field per type, or carry it as a string.',
        );
      }
      const inner = others[0]!;
      const t = chTypeOf(inner, path, refusals);
      if (!nullable) return t;
      if (t.t === 'Array' || t.t === 'Map' || t.t === 'Tuple') {
        return refuse(
          `ClickHouse's Nullable cannot hold ${t.t === 'Tuple' ? 'a Tuple (a record)' : t.t === 'Array' ? 'an Array' : 'a Map'}, so no table could tell null from an empty ${inner.kind}`,
          `Make the field non-null with a default (${inner.kind === 'record' ? 'a record of nullable fields' : inner.kind === 'array' ? 'default []' : 'default {}'}), so "absent" has one representation.`,
        );
      }
      if (t.t === 'Enum') {
        // Measured with connector v1.5.0 (npm run conformance): its Nullable(Enum) writer omits
        // the null marker, so ClickHouse reads every symbol as NULL and a null fails the batch.
        return refuse(
          'the sink connector writes a Nullable(Enum) column without its null marker: every symbol lands as NULL and a null record is dead-lettered',
          'Make the field a non-null enum (a symbol such as UNKNOWN for "absent", as its default), or ["null", "string"].',
          'the connector leg',
        );
      }
      return { t: 'Nullable', of: t };
    }
  }
}

/** The reserved names: the kit's lineage columns, the Kafka engine's virtual columns, the names parity's queries give their own columns. */
export const RESERVED_COLUMNS = new Set(['_topic', '_partition', '_offset', '_kafka_timestamp', '_inserted_at', '_key', '_timestamp', '_timestamp_ms', '_headers', '_raw_message', '_error', '_part', '_row', '_row_hash', '_witness_decoded', '_witness_unfit']);

/** Both legs' event columns, in schema order; refuses (all at once) what cannot be carried. */
export function columnsOf(schema: ParsedSchema, source: string): Column[] {
  const refusals: Refusal[] = [];
  const columns = schema.root.fields.map((f: AvroField) => {
    if (RESERVED_COLUMNS.has(f.name)) {
      refusals.push({ field: f.name, type: describeType(f.type), leg: 'both legs', why: `${f.name} is a name the kit uses itself (a lineage column, a column of parity's queries) or a virtual column of the Kafka engine`, fix: 'Rename the field.' });
    }
    const column: Column = { name: f.name, avro: f.type, type: chTypeOf(f.type, f.name, refusals) };
    if (f.default) column.default = f.default;
    return column;
  });
  if (refusals.length > 0) throw new UnsupportedTypeError(source, refusals);
  return columns;
}

/** `name Type` per column, for messages and `pipeline:new`. */
export function describeColumns(columns: Column[]): string[] {
  return columns.map((c) => `${c.name} ${renderType(c.type)}  <- ${describeType(c.avro)}`);
}
