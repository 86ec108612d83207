/**
 * ClickHouse's RowBinary format for the kit's event rows: what the sink connector sends
 * its inserts in, written here for bench:pipeline's ceiling (the same rows straight over
 * HTTP). Per column, in table order: String = LEB128 length + UTF-8 bytes (LowCardinality
 * is sent as its String), Int32/Int64 little-endian, DateTime64(3) = Int64 milliseconds,
 * Nullable(T) = one byte (1 = NULL) then T when not NULL.
 */
import type { UserEvent } from '../produce/events.js';

/** The columns an encoded row holds, in order (`INSERT INTO t (<these>) FORMAT RowBinary`). */
export const EVENT_ROW_COLUMNS = ['id', 'user_id', 'action', 'event_time', 'version', 'referrer', '_topic', '_partition', '_offset', '_kafka_timestamp'] as const;

export interface EventRow {
  event: UserEvent;
  topic: string;
  partition: number;
  offset: bigint;
  /** Epoch milliseconds. */
  kafkaTimestamp: number;
}

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
    this.room(5);
    let v = n >>> 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  string(s: string): void {
    const bytes = Buffer.byteLength(s, 'utf8');
    this.uleb128(bytes);
    this.room(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  nullableString(s: string | null): void {
    this.room(1);
    this.buf[this.pos++] = s === null ? 1 : 0;
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

  /** DateTime64(3): milliseconds since the epoch. */
  dateTime64ms(ms: number): void {
    this.int64Number(ms);
  }

  eventRow(r: EventRow): void {
    const e = r.event;
    this.string(e.id);
    this.string(e.user_id);
    this.string(e.action);
    this.dateTime64ms(e.event_time);
    this.int32(e.version);
    this.nullableString(e.referrer);
    this.string(r.topic);
    this.int32(r.partition);
    this.int64(r.offset);
    this.dateTime64ms(r.kafkaTimestamp);
  }

  /** The bytes written so far; the writer starts over. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}
