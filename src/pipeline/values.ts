/**
 * Values of a pipeline's records: the avsc Type the kit encodes and decodes them with (longs
 * beyond 2^53 kept exact), the column value each Avro value becomes (what RowBinary writes),
 * whether the column's type can hold it at all, and a field default as a ClickHouse literal.
 */
import avro from 'avsc';
import type { AvroNode } from './avro.js';
import { renderType, sqlString, type ChType } from './clickhouse-type.js';
import { bigEndianSigned, UUID_TEXT } from './rowbinary.js';

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

/** An Avro long as the kit holds it: a number when it is a safe integer, a bigint beyond. */
export type Long = number | bigint;

const SafeOrBigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): Long => {
    const n = buf.readBigInt64LE();
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  },
  toBuffer: (n: Long): Buffer => {
    const buf = Buffer.allocUnsafe(8);
    if (typeof n === 'bigint') buf.writeBigInt64LE(n);
    else {
      // A safe integer as its two 32-bit halves: no BigInt per value (the producer writes millions).
      buf.writeUInt32LE((n % 0x1_0000_0000) >>> 0, 0);
      buf.writeInt32LE(Math.floor(n / 0x1_0000_0000), 4);
    }
    return buf;
  },
  fromJSON: (x: unknown): Long => (typeof x === 'bigint' ? x : typeof x === 'string' ? BigInt(x) : (x as number)),
  toJSON: (n: Long): number | string => (typeof n === 'bigint' ? n.toString() : n),
  isValid: (n: unknown): boolean =>
    (typeof n === 'number' && Number.isSafeInteger(n)) || (typeof n === 'bigint' && n >= MIN_LONG && n <= MAX_LONG),
  compare: (a: Long, b: Long): number => (a < b ? -1 : a > b ? 1 : 0),
});

/** The avsc Type of a schema, with every long (a logical type's too) read and written exactly. */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    typeHook: (s: unknown) => (s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long') ? (SafeOrBigLong as unknown as avro.Type) : undefined),
  });
}

/** What a column cannot hold of a record: `path: why`. */
export type Problems = string[];

/**
 * The column value of an avsc-decoded Avro value (the form `writeValue` writes): decimals as
 * their unscaled bigint, maps as [key, value] pairs, records as their fields in order, UUIDs on
 * fixed as text; the rest as avsc gives them. A value the type cannot hold (a decimal with more
 * digits than its precision, a uuid that is not one) is named in `problems` and replaced by the
 * type's zero, so the row still loads.
 */
export function toColumnValue(node: AvroNode, t: ChType, v: unknown, path: string, problems: Problems): unknown {
  switch (t.t) {
    case 'Nullable': {
      if (v === null) return null;
      const inner = node.kind === 'union' ? node.branches.find((b) => b.kind !== 'null')! : node;
      return toColumnValue(inner, t.of, v, path, problems);
    }
    case 'Array': {
      const items = (node as { items: AvroNode }).items;
      return (v as unknown[]).map((x, i) => toColumnValue(items, t.of, x, `${path}[${i}]`, problems));
    }
    case 'Map': {
      const values = (node as { values: AvroNode }).values;
      return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toColumnValue(values, t.value, x, `${path}{${k}}`, problems)]);
    }
    case 'Tuple': {
      const fields = (unwrap(node) as { fields: { name: string; type: AvroNode }[] }).fields;
      const r = v as Record<string, unknown>;
      return fields.map((f, i) => toColumnValue(f.type, t.fields[i]!.type, r[f.name], `${path}.${f.name}`, problems));
    }
    case 'Decimal': {
      const n = bigEndianSigned(v as Buffer);
      const limit = 10n ** BigInt(t.precision);
      if (n >= limit || n <= -limit) {
        problems.push(`${path}: ${decimalText(n, t.scale)} has more than the ${t.precision} digits of ${renderType(t)}`);
        return 0n;
      }
      return n;
    }
    case 'UUID': {
      const text = Buffer.isBuffer(v) ? uuidText(v) : (v as string);
      if (!UUID_TEXT.test(text)) {
        problems.push(`${path}: ${JSON.stringify(text)} is not a UUID`);
        return '00000000-0000-0000-0000-000000000000';
      }
      return text;
    }
    default:
      return v;
  }
}

/** A union's one non-null branch (the node itself otherwise). */
export function unwrap(node: AvroNode): AvroNode {
  return node.kind === 'union' ? node.branches.find((b) => b.kind !== 'null') ?? node : node;
}

export function uuidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** An unscaled decimal as text at its scale: 12345, 2 → 123.45. */
export function decimalText(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg ? `-${text}` : text;
}

/** Avro JSON's bytes: a string whose code points are the bytes. */
function jsonBytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

const bytesLiteral = (b: Buffer) => `'${[...b].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('')}'`;

/**
 * A field default (Avro JSON, as the schema writes it) as a ClickHouse literal of the column's
 * type: what a record written without the field reads.
 */
export function defaultLiteral(node: AvroNode, t: ChType, value: unknown): string {
  const inner = (): string => {
    switch (t.t) {
      case 'Nullable':
        // An Avro union's default is a value of its first branch.
        return value === null ? 'NULL' : defaultLiteral(unwrap(node), t.of, value);
      case 'Bool':
        return value ? 'true' : 'false';
      case 'Int32':
      case 'Int64':
      case 'Float32':
      case 'Float64':
        return String(value);
      case 'String':
        return node.kind === 'bytes' ? bytesLiteral(jsonBytes(value as string)) : sqlString(value as string);
      case 'FixedString':
        return bytesLiteral(jsonBytes(value as string));
      case 'UUID':
        return sqlString(node.kind === 'fixed' ? uuidText(jsonBytes(value as string)) : (value as string));
      case 'Enum':
        return sqlString(value as string);
      case 'Date32':
        return `addDays(toDate32('1970-01-01'), ${Number(value)})`;
      case 'DateTime64':
        return `fromUnixTimestamp64${{ 3: 'Milli', 6: 'Micro', 9: 'Nano' }[t.precision]}(toInt64(${String(value)}), 'UTC')`;
      case 'Decimal':
        return sqlString(decimalText(bigEndianSigned(jsonBytes(value as string)), t.scale));
      case 'Array':
        return `[${(value as unknown[]).map((x) => defaultLiteral((node as { items: AvroNode }).items, t.of, x)).join(', ')}]`;
      case 'Map':
        return `map(${Object.entries(value as Record<string, unknown>)
          .map(([k, x]) => `${sqlString(k)}, ${defaultLiteral((node as { values: AvroNode }).values, t.value, x)}`)
          .join(', ')})`;
      case 'Tuple': {
        const fields = (unwrap(node) as { fields: { name: string; type: AvroNode; default?: { value: unknown } }[] }).fields;
        const r = value as Record<string, unknown>;
        return `tuple(${fields.map((f, i) => defaultLiteral(f.type, t.fields[i]!.type, f.name in r ? r[f.name] : f.default?.value)).join(', ')})`;
      }
    }
  };
  const text = inner();
  return text === 'NULL' ? text : `CAST(${text} AS ${renderType(t)})`;
}

/** The zero of a column type, in column-value form (a row where the topic holds no record of the schema). */
export function zeroValue(t: ChType): unknown {
  switch (t.t) {
    case 'Bool':
      return false;
    case 'Int32':
    case 'Int64':
    case 'Float32':
    case 'Float64':
    case 'Date32':
    case 'DateTime64':
      return 0;
    case 'String':
      return '';
    case 'FixedString':
      return Buffer.alloc(t.n);
    case 'UUID':
      return '00000000-0000-0000-0000-000000000000';
    case 'Decimal':
      return 0n;
    case 'Enum':
      return t.symbols[0];
    case 'Nullable':
      return null;
    case 'Array':
    case 'Map':
      return [];
    case 'Tuple':
      return t.fields.map((f) => zeroValue(f.type));
  }
}
