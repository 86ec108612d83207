/**
 * Valid random records of any schema, deterministic: the same schema and seed give the same
 * records, run after run. Compiled once per schema into closures (the producer calls it per
 * record). With `edgeEvery` set, every n-th record carries one edge value (edges.ts) in one
 * field, cycling through every field's edge values.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { AvroNode } from './avro.js';
import { decimalToBytes, edgeValues, type EdgeValue } from './edges.js';

type Rng = { next(): number };
type Gen = (r: Rng) => unknown;

/** Records start at this instant and advance a few milliseconds each, so times are reproducible too. */
const EPOCH_MS = Date.UTC(2026, 0, 1);
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/**
 * Strings are cut from this fixed run of random letters and digits at a random offset: two
 * draws a string instead of one a character (the producer generates millions a second).
 */
const POOL = (() => {
  const r = xoroshiro128plus(0x5eed);
  let s = '';
  for (let i = 0; i < 8192; i++) s += ALNUM[Math.floor(((r.next() >>> 0) / 2 ** 32) * ALNUM.length)];
  return s;
})();

const u32 = (r: Rng) => r.next() >>> 0;
/** 0 <= n < max, for max up to 2^32. */
const below = (r: Rng, max: number) => Math.floor((u32(r) / 2 ** 32) * max);
const unit = (r: Rng) => u32(r) / 2 ** 32;

function text(r: Rng, min: number, max: number): string {
  const n = min + below(r, max - min + 1);
  const at = below(r, POOL.length - n);
  return POOL.slice(at, at + n);
}

const hex16 = (w: number) => HEX[(w >>> 8) & 0xff]! + HEX[w & 0xff]!;

function uuid(r: Rng): string {
  const [a, b, c, d] = [u32(r), u32(r), u32(r), u32(r)];
  // Version 4 (the 13th digit), variant 10xx (the 17th).
  return `${hex16(a >>> 16)}${hex16(a)}-${hex16(b >>> 16)}-${hex16(((b & 0x0fff) | 0x4000) >>> 0)}-${hex16(((c >>> 16) & 0x3fff) | 0x8000)}-${hex16(c)}${hex16(d >>> 16)}${hex16(d)}`;
}

function bytes(r: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = below(r, 256);
  return b;
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** A random unscaled decimal with 1 to `precision` digits (at most 15: exact as a double, so no BigInt is needed). */
function decimal(r: Rng, precision: number): number {
  const digits = 1 + below(r, Math.min(precision, 15));
  const n = Math.floor(unit(r) * POW10[digits]!);
  return below(r, 4) === 0 ? -n : n;
}

function compile(node: AvroNode, clock: { ms: number }): Gen {
  switch (node.kind) {
    case 'null':
      return () => null;
    case 'boolean':
      return (r) => (u32(r) & 1) === 1;
    case 'int':
      switch (node.logical?.type) {
        case 'date':
          return () => Math.floor(clock.ms / 86_400_000) + 30;
        case 'time-millis':
          return (r) => below(r, 86_400_000);
        default:
          return (r) => below(r, 100_000) - (below(r, 8) === 0 ? 50_000 : 0);
      }
    case 'long':
      switch (node.logical?.type) {
        case 'time-micros':
          return (r) => below(r, 86_400_000) * 1000 + below(r, 1000);
        case 'timestamp-millis':
        case 'local-timestamp-millis':
          return () => clock.ms;
        case 'timestamp-micros':
        case 'local-timestamp-micros':
          return (r) => clock.ms * 1000 + below(r, 1000);
        case 'timestamp-nanos':
          return (r) => BigInt(clock.ms) * 1_000_000n + BigInt(below(r, 1_000_000));
        default:
          return (r) => below(r, 1_000_000) + (below(r, 16) === 0 ? 2 ** 40 : 0);
      }
    case 'float':
      return (r) => Math.fround(unit(r) * 1000);
    case 'double':
      return (r) => (unit(r) - 0.5) * 1e6;
    case 'string':
      if (node.logical?.type === 'uuid') return uuid;
      return (r) => text(r, 1, 16);
    case 'bytes':
    case 'fixed': {
      const l = node.logical;
      const size = node.kind === 'fixed' ? node.size : undefined;
      if (l?.type === 'decimal') return (r) => decimalToBytes(decimal(r, l.precision), size);
      if (l?.type === 'uuid') return (r) => Buffer.from(uuid(r).replace(/-/g, ''), 'hex');
      return size === undefined ? (r) => bytes(r, below(r, 17)) : (r) => bytes(r, size);
    }
    case 'enum': {
      const symbols = node.symbols;
      return (r) => symbols[below(r, symbols.length)];
    }
    case 'array': {
      const item = compile(node.items, clock);
      return (r) => {
        const n = below(r, 5);
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = item(r);
        return out;
      };
    }
    case 'map': {
      const value = compile(node.values, clock);
      return (r) => {
        const out: Record<string, unknown> = {};
        const n = below(r, 4);
        for (let i = 0; i < n; i++) out[`k${below(r, 10)}`] = value(r);
        return out;
      };
    }
    case 'record': {
      const fields = node.fields.map((f) => [f.name, compile(f.type, clock)] as const);
      return (r) => {
        const out: Record<string, unknown> = {};
        for (const [name, gen] of fields) out[name] = gen(r);
        return out;
      };
    }
    case 'union': {
      const nullable = node.branches.some((b) => b.kind === 'null');
      const others = node.branches.filter((b) => b.kind !== 'null').map((b) => compile(b, clock));
      return (r) => {
        // A nullable field is null about one time in five.
        if (nullable && below(r, 5) === 0) return null;
        return others.length === 1 ? others[0]!(r) : others[below(r, others.length)]!(r);
      };
    }
  }
}

/** Every (field, edge value) of a record type, in field order. */
export function fieldEdges(root: AvroNode & { kind: 'record' }): { field: string; edge: EdgeValue }[] {
  return root.fields.flatMap((f) => edgeValues(f.type).map((edge) => ({ field: f.name, edge })));
}

/** Random values of any type (a key schema may be a primitive), from a seed. */
export class ValueGenerator {
  private readonly rng: Rng;
  private readonly gen: Gen;
  private readonly clock = { ms: EPOCH_MS };

  constructor(node: AvroNode, seed: number) {
    this.rng = xoroshiro128plus(seed);
    this.gen = compile(node, this.clock);
  }

  next(): unknown {
    this.clock.ms += 1 + below(this.rng, 50);
    return this.gen(this.rng);
  }
}

/** Records of a schema, as an endless iterator; see the module comment for edge values. */
export class RecordGenerator implements Iterator<Record<string, unknown>> {
  private readonly rng: Rng;
  private readonly gen: Gen;
  private readonly clock = { ms: EPOCH_MS };
  private readonly edges: { field: string; edge: EdgeValue }[];
  private index = 0;
  private edgeIndex = 0;

  /** `edgeEvery`: every n-th record (n >= 1) carries the next edge value in one of its fields. */
  constructor(
    readonly root: AvroNode & { kind: 'record' },
    readonly seed: number,
    private readonly edgeEvery = 0,
  ) {
    this.rng = xoroshiro128plus(seed);
    this.gen = compile(root, this.clock);
    this.edges = edgeEvery > 0 ? fieldEdges(root) : [];
  }

  record(): Record<string, unknown> {
    this.index++;
    this.clock.ms += 1 + below(this.rng, 50);
    const record = this.gen(this.rng) as Record<string, unknown>;
    if (this.edges.length > 0 && this.index % this.edgeEvery === 0) {
      const { field, edge } = this.edges[this.edgeIndex++ % this.edges.length]!;
      record[field] = edge.value;
    }
    return record;
  }

  next(): IteratorResult<Record<string, unknown>> {
    return { done: false, value: this.record() };
  }

  take(n: number): Record<string, unknown>[] {
    return Array.from({ length: n }, () => this.record());
  }
}
