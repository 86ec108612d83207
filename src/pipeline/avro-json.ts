/**
 * A record written as Avro JSON (the Avro spec's JSON encoding, as `produce:avro --from-file`
 * reads it) turned into the avsc value the producer encodes, naming the field and the problem
 * when it does not fit the schema.
 *
 * Beyond the spec, for records written by hand: a union's value may be given bare when one
 * branch takes it; a long beyond 2^53 as a string of digits; a float as "NaN", "Infinity" or
 * "-Infinity"; a decimal as a JSON number (12.34; a string is the spec's bytes); a date as
 * "2026-01-31"; a timestamp as an ISO-8601 string; a time as "13:45:00.250".
 */
import type { AvroNode } from './avro.js';
import { decimalToBytes } from './edges.js';

export class AvroJsonError extends Error {
  override name = 'AvroJsonError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path ? `field ${path}: ` : ''}${problem}`);
  }
}

const show = (v: unknown) => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

function long(v: unknown, path: string): number | bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new AvroJsonError(path, `expected a long (an integer), got ${show(v)}`);
    if (!Number.isSafeInteger(v)) throw new AvroJsonError(path, `${show(v)} is beyond 2^53, where JSON numbers lose digits; write it as a string of digits`);
    return v;
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = BigInt(v);
    if (n < LONG_MIN || n > LONG_MAX) throw new AvroJsonError(path, `${v} is outside a long's range`);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  throw new AvroJsonError(path, `expected a long (an integer, or digits in a string), got ${show(v)}`);
}

/** A decimal given as a JSON number of at most `scale` decimals, as its unscaled value. */
function decimalNumber(v: number, precision: number, scale: number, path: string): bigint {
  const text = String(v);
  if (/e/i.test(text) || text.replace(/^-|\./g, '').replace(/^0+/, '').length > 15) {
    throw new AvroJsonError(path, `${text}: a JSON number holds about 15 digits exactly; write this decimal as the spec's bytes (its two's complement, one character per byte)`);
  }
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new AvroJsonError(path, `expected a decimal such as 12.34, got ${show(v)}`);
  const fraction = m[3] ?? '';
  if (fraction.length > scale) throw new AvroJsonError(path, `${text} has ${fraction.length} decimals; the schema's scale is ${scale}`);
  const unscaled = BigInt(`${m[1]}${m[2]}${fraction.padEnd(scale, '0')}`);
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length;
  if (unscaled !== 0n && digits > precision) throw new AvroJsonError(path, `${text} has ${digits} digits; the schema's precision is ${precision}`);
  return unscaled;
}

/** Avro JSON's bytes: a string whose code points (0..255) are the bytes. */
function jsonBytes(v: unknown, path: string): Buffer {
  if (typeof v !== 'string') throw new AvroJsonError(path, `expected bytes as a string (one character per byte, \\u0000-\\u00ff), got ${show(v)}`);
  for (let i = 0; i < v.length; i++) {
    if (v.charCodeAt(i) > 255) throw new AvroJsonError(path, `bytes are written one character per byte (\\u0000-\\u00ff); character ${i} is ${JSON.stringify(v[i])}`);
  }
  return Buffer.from(v, 'latin1');
}

const UNIT: Record<string, bigint> = {
  'timestamp-millis': 1n,
  'local-timestamp-millis': 1n,
  'timestamp-micros': 1000n,
  'local-timestamp-micros': 1000n,
  'timestamp-nanos': 1_000_000n,
};

function isoTimestamp(v: string, logical: string, path: string): number | bigint {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(v.trim());
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[4] ?? 'Z'}`) : NaN;
  // Date.parse rolls an impossible date or time over: in UTC, it must read back as given.
  const rolled = m && !m[4]?.match(/^[+-]/) && !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) !== `${m[1]}T${m[2]}`;
  if (!m || Number.isNaN(ms) || rolled) throw new AvroJsonError(path, `expected a ${logical} as a number or an ISO-8601 time such as 2026-01-31T12:00:00.123Z, got ${show(v)}`);
  const fraction = (m[3] ?? '').padEnd(9, '0');
  const n = BigInt(ms) * UNIT[logical]! + (BigInt(fraction) * UNIT[logical]!) / 1_000_000n;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Whether a bare value could be of this branch (for a union written without its wrapper). */
function fits(node: AvroNode, v: unknown): boolean {
  try {
    fromAvroJson(node, v, '');
    return true;
  } catch {
    return false;
  }
}

function branchName(node: AvroNode): string {
  if (node.kind === 'record' || node.kind === 'enum' || node.kind === 'fixed') return node.name;
  return node.kind;
}

export function fromAvroJson(node: AvroNode, v: unknown, path: string): unknown {
  switch (node.kind) {
    case 'null':
      if (v !== null) throw new AvroJsonError(path, `expected null, got ${show(v)}`);
      return null;
    case 'boolean':
      if (typeof v !== 'boolean') throw new AvroJsonError(path, `expected true or false, got ${show(v)}`);
      return v;
    case 'int': {
      if (node.logical?.type === 'date' && typeof v === 'string') {
        const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
        // Date.parse rolls an impossible day over (02-30 is 03-02): the date must read back as given.
        if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v) throw new AvroJsonError(path, `expected a date as days since 1970-01-01 or as 2026-01-31, got ${show(v)}`);
        return ms / 86_400_000;
      }
      if (node.logical?.type === 'time-millis' && typeof v === 'string') {
        const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(v);
        if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) throw new AvroJsonError(path, `expected a time as milliseconds after midnight or as 13:45:00.250, got ${show(v)}`);
        return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number((m[4] ?? '').padEnd(3, '0'));
      }
      if (typeof v !== 'number' || !Number.isInteger(v) || v < INT_MIN || v > INT_MAX) throw new AvroJsonError(path, `expected an int (an integer from -2^31 to 2^31-1), got ${show(v)}`);
      return v;
    }
    case 'long': {
      const logical = node.logical?.type;
      if (logical && logical in UNIT && typeof v === 'string' && !/^-?\d+$/.test(v)) return isoTimestamp(v, logical, path);
      return long(v, path);
    }
    case 'float':
    case 'double':
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (typeof v !== 'number') throw new AvroJsonError(path, `expected a number (or "NaN", "Infinity", "-Infinity"), got ${show(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new AvroJsonError(path, `expected a string, got ${show(v)}`);
      return v;
    case 'bytes':
    case 'fixed': {
      const l = node.logical;
      const size = node.kind === 'fixed' ? node.size : undefined;
      if (l?.type === 'decimal' && typeof v === 'number') return decimalToBytes(decimalNumber(v, l.precision, l.scale, path), size);
      if (l?.type === 'uuid' && typeof v === 'string' && /^[0-9a-fA-F-]{36}$/.test(v)) return Buffer.from(v.replace(/-/g, ''), 'hex');
      const b = jsonBytes(v, path);
      if (size !== undefined && b.length !== size) throw new AvroJsonError(path, `a fixed of ${size} bytes, got ${b.length}`);
      return b;
    }
    case 'enum':
      if (typeof v !== 'string' || !node.symbols.includes(v)) throw new AvroJsonError(path, `expected one of ${node.symbols.join(', ')}, got ${show(v)}`);
      return v;
    case 'array':
      if (!Array.isArray(v)) throw new AvroJsonError(path, `expected an array, got ${show(v)}`);
      return v.map((x, i) => fromAvroJson(node.items, x, `${path}[${i}]`));
    case 'map': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AvroJsonError(path, `expected a map (a JSON object), got ${show(v)}`);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = fromAvroJson(node.values, x, `${path}{${k}}`);
      return out;
    }
    case 'record': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AvroJsonError(path, `expected a record (a JSON object), got ${show(v)}`);
      const given = v as Record<string, unknown>;
      const known = new Set(node.fields.map((f) => f.name));
      const unknown = Object.keys(given).filter((k) => !known.has(k));
      if (unknown.length > 0) throw new AvroJsonError(path ? `${path}.${unknown[0]}` : unknown[0]!, `not a field of ${node.name}; its fields: ${node.fields.map((f) => f.name).join(', ')}`);
      const out: Record<string, unknown> = {};
      for (const f of node.fields) {
        const at = path ? `${path}.${f.name}` : f.name;
        if (f.name in given) out[f.name] = fromAvroJson(f.type, given[f.name], at);
        else if (f.default) out[f.name] = fromAvroJson(f.type.kind === 'union' ? f.type.branches[0]! : f.type, f.default.value, at);
        else throw new AvroJsonError(at, 'missing, and the schema gives it no default');
      }
      return out;
    }
    case 'union': {
      if (v === null) {
        if (node.branches.some((b) => b.kind === 'null')) return null;
        throw new AvroJsonError(path, `null is not one of ${node.branches.map(branchName).join(', ')}`);
      }
      // The spec's form: {"<branch name>": value}.
      if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 1) {
        const [name, inner] = Object.entries(v as Record<string, unknown>)[0]!;
        const branch = node.branches.find((b) => branchName(b) === name || (b.kind !== 'null' && 'name' in b && b.name.endsWith(`.${name}`)));
        if (branch) return fromAvroJson(branch, inner, path);
      }
      const candidates = node.branches.filter((b) => b.kind !== 'null' && fits(b, v));
      if (candidates.length === 0) {
        const only = node.branches.filter((b) => b.kind !== 'null');
        if (only.length === 1) return fromAvroJson(only[0]!, v, path);
        throw new AvroJsonError(path, `${show(v)} is none of ${node.branches.map(branchName).join(', ')}`);
      }
      return fromAvroJson(candidates[0]!, v, path);
    }
  }
}
