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

const u32 = (r: Rng) => r.next() >>> 0;
/** 0 <= n < max, for max up to 2^32. */
const below = (r: Rng, max: number) => Math.floor((u32(r) / 2 ** 32) * max);
const unit = (r: Rng) => u32(r) / 2 ** 32;

function text(r: Rng, min: number, max: number): string {
  const n = min + below(r, max - min + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[below(r, ALNUM.length)];
  return s;
}

function uuid(r: Rng): string {
  const b = [u32(r), u32(r), u32(r), u32(r)];
  const h = b.map((w) => HEX[w >>> 24]! + HEX[(w >>> 16) & 0xff]! + HEX[(w >>> 8) & 0xff]! + HEX[w & 0xff]!).join('');
  // Version 4, variant 10xx.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function bytes(r: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = below(r, 256);
  return b;
}

/** A random unscaled decimal with 1 to `precision` digits (at most 18, to stay cheap). */
function decimal(r: Rng, precision: number): bigint {
  const digits = 1 + below(r, Math.min(precision, 18));
  let s = '';
  for (let i = 0; i < digits; i++) s += below(r, 10);
  const n = BigInt(s);
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
      return (r) => Array.from({ length: below(r, 5) }, () => item(r));
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
      const branches = node.branches.map((b) => compile(b, clock));
      const nullAt = node.branches.findIndex((b) => b.kind === 'null');
      return (r) => {
        // A nullable field is null about one time in five.
        if (nullAt >= 0 && below(r, 5) === 0) return null;
        const others = branches.filter((_, i) => i !== nullAt);
        return others[below(r, others.length)]!(r);
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
