/**
 * ClickHouse's RowBinary format: what the sink connector sends its inserts in, what the topic
 * witness loads the topic's records with, and bench:pipeline's ceiling. Per column, in order:
 * String = LEB128 length + bytes; FixedString(N) = N bytes; integers, floats, Date32 and
 * DateTime64 (Int64 ticks) little-endian; Decimal = its unscaled value as Int32/64/128/256;
 * UUID = its two 64-bit halves, each little-endian; Enum8/16 = the symbol's value; Bool = one
 * byte; Nullable(T) = one byte (1 = NULL) then T; Array = LEB128 length then elements; Map =
 * length then key, value pairs; Tuple = its elements in order.
 */
import { enumWidth, type ChType } from './clickhouse-type.js';

/** A growing buffer with RowBinary's primitive writers. */
export class RowBinaryWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uleb128(n: number): void {
    this.room(10);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  string(s: string): void {
    const bytes = Buffer.byteLength(s, 'utf8');
    this.uleb128(bytes);
    this.room(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A String column holding raw bytes. */
  bytes(b: Uint8Array): void {
    this.uleb128(b.length);
    this.raw(b);
  }

  /** Bytes as they are (FixedString, UUID halves). */
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  nullableString(s: string | null): void {
    this.uint8(s === null ? 1 : 0);
    if (s !== null) this.string(s);
  }

  /** Bytes written since the last take(). */
  get size(): number {
    return this.pos;
  }

  uint8(n: number): void {
    this.room(1);
    this.buf[this.pos++] = n;
  }

  int8(n: number): void {
    this.room(1);
    this.pos = this.buf.writeInt8(n, this.pos);
  }

  int16(n: number): void {
    this.room(2);
    this.pos = this.buf.writeInt16LE(n, this.pos);
  }

  int32(n: number): void {
    this.room(4);
    this.pos = this.buf.writeInt32LE(n, this.pos);
  }

  int64(n: bigint): void {
    this.room(8);
    this.pos = this.buf.writeBigInt64LE(n, this.pos);
  }

  /** Int64 from a safe integer (no BigInt per value): the low 32 bits, then the high 32, two's complement. */
  int64Number(n: number): void {
    this.room(8);
    const hi = Math.floor(n / 2 ** 32);
    this.buf.writeUInt32LE(n - hi * 2 ** 32, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  /** Int64 from either representation of an Avro long. */
  long(n: number | bigint): void {
    if (typeof n === 'bigint') this.int64(n);
    else this.int64Number(n);
  }

  /** A signed integer of `bytes` bytes (16 or 32: Int128, Int256), little-endian two's complement. */
  wideInt(n: bigint, bytes: number): void {
    this.room(bytes);
    let v = BigInt.asUintN(bytes * 8, n);
    for (let i = 0; i < bytes; i++) {
      this.buf[this.pos++] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  float32(n: number): void {
    this.room(4);
    this.pos = this.buf.writeFloatLE(n, this.pos);
  }

  float64(n: number): void {
    this.room(8);
    this.pos = this.buf.writeDoubleLE(n, this.pos);
  }

  /** DateTime64(3): milliseconds since the epoch. */
  dateTime64ms(ms: number): void {
    this.int64Number(ms);
  }

  /** The bytes written so far; the writer starts over. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/** A signed big-endian two's-complement integer (Avro's decimal bytes) as a bigint. */
export function bigEndianSigned(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return BigInt.asIntN(b.length * 8, v);
}

/** The bytes of a UUID's text in RowBinary order: each 64-bit half little-endian. */
export function uuidRowBinary(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([b.subarray(0, 8).reverse(), b.subarray(8, 16).reverse()]);
}

export const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Bytes of a Decimal's unscaled value by its precision. */
export function decimalBytes(precision: number): 4 | 8 | 16 | 32 {
  return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
}

/**
 * A value in its column's canonical in-memory form (see values.ts, `toColumnValue`) written
 * as RowBinary of its ClickHouse type.
 */
export function writeValue(w: RowBinaryWriter, t: ChType, v: unknown): void {
  switch (t.t) {
    case 'Bool':
      return w.uint8(v ? 1 : 0);
    case 'Int32':
    case 'Date32':
      return w.int32(v as number);
    case 'Int64':
    case 'DateTime64':
      return w.long(v as number | bigint);
    case 'Float32':
      return w.float32(v as number);
    case 'Float64':
      return w.float64(v as number);
    case 'String':
      return typeof v === 'string' ? w.string(v) : w.bytes(v as Uint8Array);
    case 'FixedString':
      return w.raw(v as Uint8Array);
    case 'UUID':
      return w.raw(uuidRowBinary(v as string));
    case 'Decimal': {
      const size = decimalBytes(t.precision);
      const n = v as bigint;
      if (size === 4) return w.int32(Number(n));
      if (size === 8) return w.int64(n);
      return w.wideInt(n, size);
    }
    case 'Enum': {
      const i = t.symbols.indexOf(v as string) + 1;
      return enumWidth(t.symbols) === 'Enum8' ? w.int8(i) : w.int16(i);
    }
    case 'Nullable':
      w.uint8(v === null ? 1 : 0);
      if (v !== null) writeValue(w, t.of, v);
      return;
    case 'Array': {
      const a = v as unknown[];
      w.uleb128(a.length);
      for (const x of a) writeValue(w, t.of, x);
      return;
    }
    case 'Map': {
      const entries = v as [string, unknown][];
      w.uleb128(entries.length);
      for (const [k, x] of entries) {
        w.string(k);
        writeValue(w, t.value, x);
      }
      return;
    }
    case 'Tuple': {
      const a = v as unknown[];
      t.fields.forEach((f, i) => writeValue(w, f.type, a[i]));
      return;
    }
  }
}
