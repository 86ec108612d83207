/**
 * The Avro types the type conformance suite sends through both legs: one case per type the
 * mapping table names (every primitive, each logical type, fixed, enum, arrays, maps, nested
 * records, nullable forms, defaults), each a field `v` of its own record schema; the records
 * carry the type's edge values (edges.ts). A case whose type the mapping refuses is listed
 * with its refusal instead of being sent.
 */

export interface TypeCase {
  /** A short name: the pipeline and the table row are named after it. */
  name: string;
  /** The field's Avro type, as a schema writes it. */
  type: unknown;
  /** What the README calls it. */
  title: string;
  /**
   * A default case: the field has this default, and its record is written by a producer on
   * the schema before the field was added (the field absent): the legs must store the default.
   */
  default?: { value: unknown };
}

const decimal = (precision: number, scale: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });

export const TYPE_CASES: TypeCase[] = [
  { name: 'boolean', title: 'boolean', type: 'boolean' },
  { name: 'int', title: 'int', type: 'int' },
  { name: 'long', title: 'long', type: 'long' },
  { name: 'float', title: 'float', type: 'float' },
  { name: 'double', title: 'double', type: 'double' },
  { name: 'string', title: 'string', type: 'string' },
  { name: 'bytes', title: 'bytes', type: 'bytes' },
  { name: 'fixed', title: 'fixed(4)', type: { type: 'fixed', name: 'F4', size: 4 } },
  { name: 'enum', title: 'enum', type: { type: 'enum', name: 'Colour', symbols: ['RED', 'GREEN', 'BLUE'] } },
  { name: 'decimal_bytes', title: 'decimal(9, 2) on bytes', type: decimal(9, 2) },
  { name: 'decimal_wide', title: 'decimal(38, 10) on bytes', type: decimal(38, 10) },
  { name: 'decimal_76', title: 'decimal(76, 20) on bytes', type: decimal(76, 20) },
  { name: 'decimal_fixed', title: 'decimal(12, 4) on fixed(8)', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 12, scale: 4 } },
  { name: 'uuid', title: 'string (uuid)', type: { type: 'string', logicalType: 'uuid' } },
  { name: 'uuid_fixed', title: 'fixed(16) (uuid)', type: { type: 'fixed', name: 'U16', size: 16, logicalType: 'uuid' } },
  { name: 'date', title: 'int (date)', type: { type: 'int', logicalType: 'date' } },
  { name: 'time_millis', title: 'int (time-millis)', type: { type: 'int', logicalType: 'time-millis' } },
  { name: 'time_micros', title: 'long (time-micros)', type: { type: 'long', logicalType: 'time-micros' } },
  { name: 'ts_millis', title: 'long (timestamp-millis)', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'ts_micros', title: 'long (timestamp-micros)', type: { type: 'long', logicalType: 'timestamp-micros' } },
  { name: 'ts_nanos', title: 'long (timestamp-nanos)', type: { type: 'long', logicalType: 'timestamp-nanos' } },
  { name: 'local_ts_millis', title: 'long (local-timestamp-millis)', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
  { name: 'local_ts_micros', title: 'long (local-timestamp-micros)', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
  { name: 'nullable_string', title: '["null", string]', type: ['null', 'string'] },
  { name: 'nullable_long', title: '["null", long]', type: ['null', 'long'] },
  { name: 'nullable_decimal', title: '["null", decimal(18, 6)]', type: ['null', decimal(18, 6)] },
  { name: 'nullable_ts_micros', title: '["null", timestamp-micros]', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
  { name: 'nullable_enum', title: '["null", enum]', type: ['null', { type: 'enum', name: 'Size', symbols: ['S', 'M', 'L'] }] },
  { name: 'string_or_null', title: '[string, "null"]', type: ['string', 'null'] },
  { name: 'array_string', title: 'array<string>', type: { type: 'array', items: 'string' } },
  { name: 'array_nullable_int', title: 'array<["null", int]>', type: { type: 'array', items: ['null', 'int'] } },
  { name: 'array_double', title: 'array<double>', type: { type: 'array', items: 'double' } },
  { name: 'map_string', title: 'map<string>', type: { type: 'map', values: 'string' } },
  { name: 'map_nullable_long', title: 'map<["null", long]>', type: { type: 'map', values: ['null', 'long'] } },
  {
    name: 'record',
    title: 'record (nested, with nested nulls)',
    type: {
      type: 'record',
      name: 'Inner',
      fields: [
        { name: 'a', type: ['null', 'int'] },
        { name: 'b', type: 'string' },
        { name: 'c', type: { type: 'record', name: 'Deep', fields: [{ name: 'd', type: ['null', 'double'] }] } },
      ],
    },
  },
  { name: 'array_record', title: 'array<record>', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
  // A field added with a default, read from a record written without it (schema evolution).
  { name: 'default_int', title: 'int, default 7, record written without it', type: 'int', default: { value: 7 } },
  { name: 'default_string', title: 'string, default "none", record written without it', type: 'string', default: { value: 'none' } },
  { name: 'default_enum', title: 'enum, default its 2nd symbol, record written without it', type: { type: 'enum', name: 'Level', symbols: ['LOW', 'MID', 'HIGH'] }, default: { value: 'MID' } },
  { name: 'default_nullable', title: '["null", string], default null, record written without it', type: ['null', 'string'], default: { value: null } },
  { name: 'default_array', title: 'array<int>, default [], record written without it', type: { type: 'array', items: 'int' }, default: { value: [] } },
  // Refused by the mapping: listed with the refusal, never sent.
  { name: 'union_2', title: '["null", string, long]', type: ['null', 'string', 'long'] },
  { name: 'nullable_record', title: '["null", record]', type: ['null', { type: 'record', name: 'Opt', fields: [{ name: 'x', type: 'int' }] }] },
  { name: 'nullable_array', title: '["null", array<int>]', type: ['null', { type: 'array', items: 'int' }] },
  { name: 'decimal_80', title: 'decimal(80, 0) on bytes', type: decimal(80, 0) },
];

/** The record schema of a case: one field `v` of its type (after a field `k` for a default case, its default given). */
export function caseSchema(c: TypeCase): Record<string, unknown> {
  const v = { name: 'v', type: c.type, ...(c.default ? { default: c.default.value } : {}) };
  return { type: 'record', name: `Conformance_${c.name}`, namespace: 'dev.kit.conformance', fields: c.default ? [{ name: 'k', type: 'int' }, v] : [v] };
}

/** A default case's records are written with the schema before `v` was added. */
export function writerSchema(c: TypeCase): Record<string, unknown> | undefined {
  return c.default ? { type: 'record', name: `Conformance_${c.name}`, namespace: 'dev.kit.conformance', fields: [{ name: 'k', type: 'int' }] } : undefined;
}
