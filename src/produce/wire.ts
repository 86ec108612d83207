/**
 * The Confluent wire format, written straight into shared buffers: what
 * `SchemaRegistry.encode(schemaId, value)` returns, without a Promise or an
 * allocation per message.
 */
/** The Confluent wire format: magic byte 0, the schema id as a big-endian int32, then the Avro body. */
export const CONFLUENT_HEADER_BYTES = 5;

/** The part of an avsc Type the producer needs (the registry client caches one per schema id). */
export interface AvroWriter {
  /** avsc: the position after the value, or minus the number of bytes missing in `buf`. */
  encode(value: unknown, buf: Buffer, pos?: number): number;
}

/**
 * Writes `value` at `pos` in the Confluent wire format, what
 * `SchemaRegistry.encode(schemaId, value)` returns: the end position, or minus the
 * number of bytes missing when `buf` is too short.
 */
export function writeConfluent(type: AvroWriter, schemaId: number, value: unknown, buf: Buffer, pos: number): number {
  if (buf.length - pos < CONFLUENT_HEADER_BYTES) return buf.length - pos - CONFLUENT_HEADER_BYTES - 64;
  const end = type.encode(value, buf, pos + CONFLUENT_HEADER_BYTES);
  if (end < 0) return end;
  buf[pos] = 0;
  buf.writeInt32BE(schemaId, pos + 1);
  return end;
}

/**
 * One lane's messages of one batch, in send order, packed for a worker thread: keys
 * and values back to back in one buffer, `bounds` holding key start, value start and
 * value end per message (key start NO_KEY: a null key), `partitions` the partition per
 * message. Its three buffers are transferred to the worker, not copied.
 */
/** The key start of a message without a key (Kafka's null key). */
export const NO_KEY = 0xffffffff;

export class LaneBatchWriter {
  buf: Buffer;
  pos = 0;
  count = 0;
  bounds: Uint32Array;
  partitions: Uint16Array;

  constructor(capacityBytes: number, capacityMessages: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(capacityBytes, 256));
    this.bounds = new Uint32Array(Math.max(capacityMessages, 4) * 3);
    this.partitions = new Uint16Array(Math.max(capacityMessages, 4));
  }

  private grow(bytes: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private begin(partition: number, key: Buffer | null): number {
    if (this.count === this.partitions.length) {
      const partitions = new Uint16Array(this.partitions.length * 2);
      partitions.set(this.partitions);
      this.partitions = partitions;
      const bounds = new Uint32Array(this.bounds.length * 2);
      bounds.set(this.bounds);
      this.bounds = bounds;
    }
    this.partitions[this.count] = partition;
    if (key === null) {
      this.bounds[this.count * 3] = NO_KEY;
      return this.pos;
    }
    if (this.buf.length - this.pos < key.length) this.grow(key.length);
    this.bounds[this.count * 3] = this.pos;
    this.pos += key.copy(this.buf, this.pos);
    return this.pos;
  }

  private end(valueStart: number, valueEnd: number): number {
    this.bounds[this.count * 3 + 1] = valueStart;
    this.bounds[this.count * 3 + 2] = valueEnd;
    this.pos = valueEnd;
    this.count++;
    return valueEnd - valueStart;
  }

  /** Appends a message with raw value bytes; returns the value's length. */
  add(partition: number, key: Buffer, value: Buffer): number {
    const start = this.begin(partition, key);
    if (this.buf.length - start < value.length) this.grow(value.length);
    return this.end(start, start + value.copy(this.buf, start));
  }

  /** Appends a message whose value is `value` in the Confluent wire format; returns the value's length. */
  addAvro(partition: number, key: Buffer | null, type: AvroWriter, schemaId: number, value: unknown): number {
    const start = this.begin(partition, key);
    for (;;) {
      const end = writeConfluent(type, schemaId, value, this.buf, start);
      if (end >= 0) return this.end(start, end);
      this.grow(-end + 256);
    }
  }

  key(i: number): Buffer | null {
    return this.bounds[i * 3] === NO_KEY ? null : this.buf.subarray(this.bounds[i * 3]!, this.bounds[i * 3 + 1]!);
  }

  value(i: number): Buffer {
    return this.buf.subarray(this.bounds[i * 3 + 1]!, this.bounds[i * 3 + 2]!);
  }
}
