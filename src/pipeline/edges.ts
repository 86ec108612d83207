/**
 * The edge values of each Avro type, as avsc values (what the producer encodes): the values
 * the type conformance suite sends through both legs, and `produce:avro --edge` mixes in.
 * Each has a label for the conformance table.
 */
import type { AvroNode } from './avro.js';
import { unwrap } from './values.js';

export interface EdgeValue {
  label: string;
  value: unknown;
}

const DAY_MS = 86_400_000;
/** Milliseconds since the epoch of a UTC date. */
const at = (iso: string) => Date.parse(`${iso}Z`);

/**
 * An unscaled decimal as Avro's big-endian two's complement: `size` bytes (fixed), or the
 * fewest that hold it (bytes). A number (exact below 2^53, as the generator draws them) takes
 * no BigInt arithmetic.
 */
export function decimalToBytes(unscaled: bigint | number, size?: number): Buffer {
  if (typeof unscaled === 'number') return smallDecimalToBytes(unscaled, size);
  let n = size ?? 1;
  if (size === undefined) while (unscaled >= 1n << BigInt(8 * n - 1) || unscaled < -(1n << BigInt(8 * n - 1))) n++;
  let v = BigInt.asUintN(8 * n, unscaled);
  const out = Buffer.alloc(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function smallDecimalToBytes(unscaled: number, size?: number): Buffer {
  let n = size ?? 1;
  if (size === undefined) while (unscaled >= 2 ** (8 * n - 1) || unscaled < -(2 ** (8 * n - 1))) n++;
  const out = Buffer.allocUnsafe(n);
  let v = Math.abs(unscaled);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  if (unscaled < 0) {
    // Two's complement: every byte inverted, then one added.
    let carry = 1;
    for (let i = n - 1; i >= 0; i--) {
      const x = (~out[i]! & 0xff) + carry;
      out[i] = x & 0xff;
      carry = x >> 8;
    }
  }
  return out;
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Timestamps in a unit: the epoch, one unit before it, before 1900, before 1582, after 2262 and 2299, as the long. */
function timestamps(unit: bigint): EdgeValue[] {
  const ms = (iso: string) => BigInt(at(iso)) * unit;
  const v = (n: bigint) => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
  return [
    { label: '1970-01-01 (0)', value: 0 },
    { label: 'one unit before the epoch', value: -1 },
    { label: '1899-12-31 23:59:59.999 (before 1900)', value: v(ms('1899-12-31T23:59:59.999')) },
    { label: '1500-01-01 (before 1582)', value: v(ms('1500-01-01T00:00:00')) },
    { label: '2262-04-12 (after 2262)', value: v(ms('2262-04-12T00:00:00')) },
    { label: '2300-01-01 (after 2299)', value: v(ms('2300-01-01T00:00:00')) },
  ];
}

/** The edge values of a type; a nullable type adds null, a union's other branch gives the rest. */
export function edgeValues(node: AvroNode): EdgeValue[] {
  switch (node.kind) {
    case 'null':
      return [{ label: 'null', value: null }];
    case 'boolean':
      return [
        { label: 'false', value: false },
        { label: 'true', value: true },
      ];
    case 'int':
      if (node.logical?.type === 'date') {
        const days = (iso: string) => at(`${iso}T00:00:00`) / DAY_MS;
        return [
          { label: '1970-01-01 (0)', value: 0 },
          { label: '1969-12-31 (-1)', value: -1 },
          { label: '1899-12-31 (before 1900)', value: days('1899-12-31') },
          { label: '2299-12-31', value: days('2299-12-31') },
          { label: '2300-01-01 (after 2299)', value: days('2300-01-01') },
          { label: '9999-12-31', value: days('9999-12-31') },
        ];
      }
      if (node.logical?.type === 'time-millis') {
        return [
          { label: '00:00:00.000', value: 0 },
          { label: '23:59:59.999', value: DAY_MS - 1 },
        ];
      }
      return [
        { label: '0', value: 0 },
        { label: '-1', value: -1 },
        { label: 'min int (-2^31)', value: -2147483648 },
        { label: 'max int (2^31-1)', value: 2147483647 },
      ];
    case 'long':
      switch (node.logical?.type) {
        case 'time-micros':
          return [
            { label: '00:00:00.000000', value: 0 },
            { label: '23:59:59.999999', value: DAY_MS * 1000 - 1 },
          ];
        case 'timestamp-millis':
        case 'local-timestamp-millis':
          return timestamps(1n);
        case 'timestamp-micros':
        case 'local-timestamp-micros':
          return timestamps(1000n);
        case 'timestamp-nanos':
          return [...timestamps(1_000_000n).slice(0, 3), { label: 'max long (2262-04-11 23:47:16.854775807)', value: LONG_MAX }, { label: 'min long (1677-09-21)', value: LONG_MIN }];
        default:
          return [
            { label: '0', value: 0 },
            { label: '-1', value: -1 },
            { label: '2^53+1 (beyond a double)', value: 2n ** 53n + 1n },
            { label: 'min long (-2^63)', value: LONG_MIN },
            { label: 'max long (2^63-1)', value: LONG_MAX },
          ];
      }
    case 'float':
      return [
        { label: '0', value: 0 },
        { label: '-0.0', value: -0 },
        { label: 'NaN', value: NaN },
        { label: '+Inf', value: Infinity },
        { label: '-Inf', value: -Infinity },
        { label: '0.1 (as near as a float gets)', value: Math.fround(0.1) },
        { label: 'max float', value: 3.4028234663852886e38 },
        { label: 'min subnormal float', value: 1.401298464324817e-45 },
      ];
    case 'double':
      return [
        { label: '0', value: 0 },
        { label: '-0.0', value: -0 },
        { label: 'NaN', value: NaN },
        { label: '+Inf', value: Infinity },
        { label: '-Inf', value: -Infinity },
        { label: '0.1 (no float holds it)', value: 0.1 },
        { label: 'max double', value: Number.MAX_VALUE },
        { label: 'min subnormal double', value: Number.MIN_VALUE },
      ];
    case 'string':
      if (node.logical?.type === 'uuid') {
        return [
          { label: 'nil UUID', value: '00000000-0000-0000-0000-000000000000' },
          { label: 'max UUID', value: 'ffffffff-ffff-ffff-ffff-ffffffffffff' },
          { label: 'upper-case UUID', value: '3F2504E0-4F89-11D3-9A0C-0305E82C3301' },
        ];
      }
      return [
        { label: 'empty', value: '' },
        { label: 'unicode (é, 中文, emoji, NUL)', value: 'é—中文😀\u0000end' },
        { label: '64 KiB', value: 'x'.repeat(65_536) },
      ];
    case 'bytes':
    case 'fixed': {
      const l = node.logical;
      if (l?.type === 'decimal') {
        const size = node.kind === 'fixed' ? node.size : undefined;
        const max = 10n ** BigInt(l.precision) - 1n;
        const one = 1n;
        const text = (n: bigint) => {
          const neg = n < 0n;
          const d = (neg ? -n : n).toString().padStart(l.scale + 1, '0');
          return `${neg ? '-' : ''}${l.scale ? `${d.slice(0, -l.scale)}.${d.slice(-l.scale)}` : d}`;
        };
        return [
          { label: '0', value: decimalToBytes(0n, size) },
          { label: `smallest unit (${text(one)})`, value: decimalToBytes(one, size) },
          { label: `-${text(one)}`, value: decimalToBytes(-one, size) },
          { label: `max at full precision (${text(max)})`, value: decimalToBytes(max, size) },
          { label: `min at full precision (${text(-max)})`, value: decimalToBytes(-max, size) },
        ];
      }
      if (node.kind === 'fixed') {
        if (l?.type === 'uuid') return [{ label: 'nil UUID', value: Buffer.alloc(16) }, { label: 'max UUID', value: Buffer.alloc(16, 0xff) }];
        return [
          { label: 'all zero bytes', value: Buffer.alloc(node.size) },
          { label: 'all 0xff bytes', value: Buffer.alloc(node.size, 0xff) },
        ];
      }
      return [
        { label: 'empty', value: Buffer.alloc(0) },
        { label: 'every byte value 0..255', value: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
        { label: '64 KiB', value: Buffer.alloc(65_536, 0xab) },
      ];
    }
    case 'enum':
      return [
        { label: `first symbol (${node.symbols[0]})`, value: node.symbols[0] },
        { label: `last symbol (${node.symbols.at(-1)})`, value: node.symbols.at(-1) },
      ];
    case 'array': {
      const inner = edgeValues(node.items);
      return [
        { label: 'empty array', value: [] },
        { label: 'every edge value of its items', value: inner.map((e) => e.value) },
      ];
    }
    case 'map': {
      const inner = edgeValues(node.values);
      return [
        { label: 'empty map', value: {} },
        { label: 'every edge value of its values (keys: empty, unicode, ...)', value: Object.fromEntries(inner.map((e, i) => [i === 0 ? '' : i === 1 ? 'ключ-😀' : `k${i}`, e.value])) },
      ];
    }
    case 'record':
      // One edge value of a field at a time, the other fields at their first edge value.
      return node.fields.flatMap((f, i) =>
        edgeValues(f.type).map((e) => ({
          label: `${f.name}: ${e.label}`,
          value: Object.fromEntries(node.fields.map((g, j) => [g.name, j === i ? e.value : firstEdge(g.type)])),
        })),
      );
    case 'union': {
      const inner = unwrap(node);
      const values = inner === node ? [] : edgeValues(inner);
      return node.branches.some((b) => b.kind === 'null') ? [{ label: 'null', value: null }, ...values] : values;
    }
  }
}

/** A plain value of the type: its first edge value that is not null (a neighbour's value in the conformance records). */
export function firstEdge(node: AvroNode): unknown {
  const values = edgeValues(node);
  return (values.find((e) => e.value !== null) ?? values[0])?.value ?? null;
}
