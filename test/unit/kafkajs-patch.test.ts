/**
 * The kit's patch of kafkajs's produce path (patches/kafkajs+2.2.4.patch, applied by
 * `npm ci`): records encoded in one pass, messages grouped per partition in linear
 * time, CRC32-C by slicing-by-8. The bytes must be what Kafka's protocol says, read
 * back here by kafkajs's own decoders; the integration suite then has the real broker
 * check the batches (it refuses a bad CRC).
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
type Fn = (...args: never[]) => unknown;
const kafkajs = (path: string) => require(`kafkajs/src/${path}`) as Fn;

interface EncoderLike {
  buf: Buffer;
  offset: number;
  buffer: Buffer;
}
interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
  timestamp: string;
}
interface DecoderLike {
  readString(): string | null;
  readInt16(): number;
  readInt32(): number;
}

const Record = kafkajs('protocol/recordBatch/record/v0/index.js') as (r: object) => EncoderLike;
const crc32C = kafkajs('protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const groupMessagesPerPartition = kafkajs('producer/groupMessagesPerPartition.js') as (a: object) => Record<string, { id: number }[]>;
const produceRequest = kafkajs('protocol/requests/produce/v7/request.js') as (a: object) => { encode(): Promise<EncoderLike> };
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => DecoderLike;
const decodeRecordBatch = kafkajs('protocol/recordBatch/v0/decoder.js') as (d: DecoderLike) => Promise<{ records: DecodedRecord[]; firstSequence: number; producerId: string }>;
const Long = require('kafkajs/src/utils/long') as { fromInt(n: number): unknown };

/** CRC32-C by its definition, one bit at a time (reflected polynomial 0x82F63B78). */
function crc32cBitwise(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('kafkajs patch: record encoding', () => {
  it('is applied: a record is encoded into a buffer of exactly its size', () => {
    const encoder = Record({ key: Buffer.from('k'), value: Buffer.from('v'), offsetDelta: 1, headers: { h: Buffer.from('x') } });
    expect(encoder.buf.length).toBe(encoder.offset);
  });

  it('writes the protocol layout: length, attributes, zig-zag varints, key, value, headers', () => {
    // body: attributes 00, timestampDelta 0 → 00, offsetDelta 1 → 02, key "k" → 02 6b, value "v" → 02 76, 0 headers → 00
    // length 8 → zig-zag 16 → 10
    expect(Record({ key: Buffer.from('k'), value: Buffer.from('v'), offsetDelta: 1, timestampDelta: 0 }).buffer.toString('hex')).toBe('1000000202' + '6b' + '0276' + '00');
    // a null key is length -1 → zig-zag 1 → 01; one header "h" = "x" → 02 02 68 02 78
    expect(Record({ key: null, value: Buffer.from('v'), offsetDelta: 0, headers: { h: 'x' } }).buffer.toString('hex')).toBe('16' + '00' + '00' + '00' + '01' + '0276' + '02' + '0268' + '0278');
  });

  it('round-trips keys, values, headers, offsets and timestamps through kafkajs’s produce request and record-batch decoder', async () => {
    const firstTimestamp = 1_767_225_600_000;
    const messages = [
      { key: Buffer.from('user-00001'), value: randomBytes(74), headers: { 'kit-run-id': Buffer.from('run'), 'kit-produced-at': '2026-01-01T00:00:00.000Z' }, timestamp: String(firstTimestamp) },
      { key: null, value: randomBytes(300), headers: { multi: ['a', 'b'] }, timestamp: String(firstTimestamp + 5) },
      { key: 'ü-key', value: 'a string value', timestamp: String(firstTimestamp + 70_000) },
      { key: Buffer.alloc(0), value: randomBytes(20_000), headers: {}, timestamp: String(firstTimestamp + 2 ** 33) },
    ];
    const request = produceRequest({
      acks: -1,
      timeout: 30_000,
      producerId: Long.fromInt(7),
      producerEpoch: 0,
      topicData: [{ topic: 't', partitions: [{ partition: 2, firstSequence: 11, messages }] }],
    });
    const decoder = new Decoder((await request.encode()).buffer);
    expect(decoder.readString()).toBeNull(); // transactional id
    expect(decoder.readInt16()).toBe(-1); // acks
    expect(decoder.readInt32()).toBe(30_000);
    expect(decoder.readInt32()).toBe(1); // topics
    expect(decoder.readString()).toBe('t');
    expect(decoder.readInt32()).toBe(1); // partitions
    expect(decoder.readInt32()).toBe(2);
    decoder.readInt32(); // record set size
    const batch = await decodeRecordBatch(decoder);
    expect(batch.firstSequence).toBe(11);
    expect(batch.producerId).toBe('7');
    expect(batch.records.map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
    expect(batch.records.map((r) => r.timestamp)).toEqual(messages.map((m) => m.timestamp));
    expect(batch.records[0]!.key).toEqual(messages[0]!.key);
    expect(batch.records[0]!.value).toEqual(messages[0]!.value);
    expect(batch.records[0]!.headers).toEqual({ 'kit-run-id': Buffer.from('run'), 'kit-produced-at': Buffer.from('2026-01-01T00:00:00.000Z') });
    expect(batch.records[1]!.key).toBeNull();
    expect(batch.records[1]!.headers).toEqual({ multi: [Buffer.from('a'), Buffer.from('b')] });
    expect(batch.records[2]!.key).toEqual(Buffer.from('ü-key'));
    expect(batch.records[2]!.value).toEqual(Buffer.from('a string value'));
    expect(batch.records[3]!.key).toEqual(Buffer.alloc(0));
    expect(batch.records[3]!.value).toEqual(messages[3]!.value);
  });
});

describe('kafkajs patch: CRC32-C', () => {
  it('gives the standard check value and agrees with the bitwise definition at every length', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    for (let n = 0; n < 300; n++) {
      const buf = randomBytes(n);
      expect(crc32C(buf)).toBe(crc32cBitwise(buf));
    }
  });
});

describe('kafkajs patch: grouping messages per partition', () => {
  it('keeps each partition’s messages in send order', () => {
    const messages = Array.from({ length: 10_000 }, (_, id) => ({ id, partition: (id * 7) % 3 }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }],
      messages,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    });
    for (const p of ['0', '1', '2']) expect(grouped[p]!.map((m) => m.id)).toEqual(messages.filter((m) => String(m.partition) === p).map((m) => m.id));
  });
});
