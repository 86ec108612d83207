/**
 * The producer's fast path against the libraries it replaces on the hot path: the
 * Confluent framing written straight into lane buffers is byte-for-byte what
 * @kafkajs/confluent-schema-registry's `encode` returns (the real client, its schema
 * cache primed with the demo pipeline's schema, so no registry is involved), and the
 * memoized partitioner is kafkajs's DefaultPartitioner.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { RecordGenerator } from '../../src/pipeline/generate.js';
import { avroType } from '../../src/pipeline/values.js';
import { DEFAULT_LANES, laneCount, laneOf } from '../../src/produce/lanes.js';
import { keyedPartitioner } from '../../src/produce/partitioner.js';
import { poisonSlots, poisonValue } from '../../src/produce/producer.js';
import { CONFLUENT_HEADER_BYTES, LaneBatchWriter, NO_KEY, writeConfluent, type AvroWriter } from '../../src/produce/wire.js';
import { SCHEMAS, schemaFile } from './pipeline-fixtures.js';

const SCHEMA_ID = 4242;
const parsed = schemaFile(SCHEMAS.userEvents).parsed;
const schema = parsed.text;
/** The demo pipeline's records, as the producer generates them. */
const events = (seed: number, n: number) => new RecordGenerator(parsed.root, seed).take(n) as { user_id: string }[];
let client: SchemaRegistry;

beforeAll(() => {
  client = new SchemaRegistry({ host: 'http://127.0.0.1:1' });
  // What the client caches after fetching GET /schemas/ids/{id}: the parsed avsc Type.
  client.cache.setSchema(SCHEMA_ID, SchemaType.AVRO, avro.Type.forSchema(JSON.parse(schema)) as never);
});

/** The type the producer encodes with: the registry client's cached avsc Type for the id. */
async function registryType(): Promise<AvroWriter> {
  return (await client.getSchema(SCHEMA_ID)) as unknown as AvroWriter;
}

const partitionMetadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));

describe('Confluent framing', () => {
  it('writeConfluent writes exactly what SchemaRegistry.encode returns', async () => {
    const type = await registryType();
    const buf = Buffer.alloc(4096);
    for (const event of events(3, 500)) {
      const end = writeConfluent(type, SCHEMA_ID, event, buf, 7);
      expect(end).toBeGreaterThan(7 + CONFLUENT_HEADER_BYTES);
      expect(buf.subarray(7, end).equals(await client.encode(SCHEMA_ID, event))).toBe(true);
    }
  });

  it('says how many bytes are missing instead of writing past the buffer', async () => {
    const type = await registryType();
    const [event] = events(1, 1);
    expect(writeConfluent(type, SCHEMA_ID, event, Buffer.alloc(20), 0)).toBeLessThan(0);
    expect(writeConfluent(type, SCHEMA_ID, event, Buffer.alloc(20), 18)).toBeLessThan(0);
  });

  it('encodes with the registry\'s schema the same as the Type the producer encodes with (avroType)', async () => {
    const local = avroType(parsed.json);
    const type = await registryType();
    for (const event of events(9, 200)) {
      const a = Buffer.alloc(256);
      const b = Buffer.alloc(256);
      const end = writeConfluent(type, SCHEMA_ID, event, a, 0);
      expect(writeConfluent(local as unknown as AvroWriter, SCHEMA_ID, event, b, 0)).toBe(end);
      expect(a.subarray(0, end).equals(b.subarray(0, end))).toBe(true);
    }
  });
});

describe('LaneBatchWriter', () => {
  it('packs keys, framed values and partitions in order, growing from a tiny start', async () => {
    const type = await registryType();
    const records = events(11, 1000);
    const w = new LaneBatchWriter(16, 1);
    let bytes = 0;
    for (const [i, e] of records.entries()) bytes += w.addAvro(i % 3, Buffer.from(e.user_id), type, SCHEMA_ID, e);
    const poison = Buffer.from('poison-0: not Avro, no schema id');
    w.add(2, Buffer.from('poison-0'), poison);
    expect(w.count).toBe(1001);
    for (const [i, e] of records.entries()) {
      expect(w.key(i)!.toString()).toBe(e.user_id);
      expect(w.value(i).equals(await client.encode(SCHEMA_ID, e))).toBe(true);
      expect(w.partitions[i]).toBe(i % 3);
    }
    expect(w.key(1000)!.toString()).toBe('poison-0');
    expect(w.value(1000).equals(poison)).toBe(true);
    expect(w.partitions[1000]).toBe(2);
    expect(bytes).toBe(records.reduce((n, _, i) => n + w.value(i).length, 0));
    // Keys and values lie back to back: nothing else in the transferred bytes.
    expect(w.pos).toBe(w.bounds[1000 * 3 + 2]);
  });

  it('packs a message without a key (a pipeline without keys) as a null key, taking no bytes', async () => {
    const type = await registryType();
    const records = events(12, 3);
    const w = new LaneBatchWriter(16, 1);
    w.addAvro(0, null, type, SCHEMA_ID, records[0]);
    w.addAvro(1, Buffer.from('k'), type, SCHEMA_ID, records[1]);
    w.addAvro(2, null, type, SCHEMA_ID, records[2]);
    expect([w.key(0), w.key(1)?.toString(), w.key(2)]).toEqual([null, 'k', null]);
    expect(w.bounds[0]).toBe(NO_KEY);
    for (let i = 0; i < 3; i++) expect(w.value(i).equals(await client.encode(SCHEMA_ID, records[i]))).toBe(true);
    expect(w.pos).toBe(1 + records.reduce((n, _, i) => n + w.value(i).length, 0));
  });
});

describe('keyedPartitioner', () => {
  it('agrees with kafkajs DefaultPartitioner, key by key, for any partition count', () => {
    for (const n of [1, 3, 7]) {
      const meta = partitionMetadata(n);
      const ours = keyedPartitioner('t', meta);
      const theirs = Partitioners.DefaultPartitioner();
      for (const e of events(5, 3000)) {
        const { partition, key } = ours(e.user_id);
        expect(partition).toBe(theirs({ topic: 't', partitionMetadata: meta, message: { key: e.user_id, value: null } }));
        expect(key.toString()).toBe(e.user_id);
      }
      expect(ours('poison-1').partition).toBe(theirs({ topic: 't', partitionMetadata: meta, message: { key: 'poison-1', value: null } }));
    }
  });

  it('takes keys as bytes too (an Avro key), as kafkajs does', () => {
    const meta = partitionMetadata(7);
    const ours = keyedPartitioner('t', meta);
    const theirs = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 500; i++) {
      const key = Buffer.from([0, 0, 0, 0, 1, i & 0xff, (i >> 8) & 0xff]);
      const { partition, key: sent } = ours(key);
      expect(partition).toBe(theirs({ topic: 't', partitionMetadata: meta, message: { key, value: null } }));
      expect(sent.equals(key)).toBe(true);
    }
    // The same key as text and as its bytes goes to the same partition.
    expect(ours(Buffer.from('user-1')).partition).toBe(ours('user-1').partition);
  });
});

describe('poison messages', () => {
  it('spreads them evenly over the run', () => {
    expect([...poisonSlots(100, 3)]).toEqual([25, 50, 75]);
    expect(poisonSlots(10, 0).size).toBe(0);
  });

  it('are not in the Confluent wire format', () => {
    expect(poisonValue(0)[0]).not.toBe(0);
  });
});

describe('lanes', () => {
  it('as many lanes as asked, at least one and at most one per partition; every partition has exactly one lane', () => {
    expect(laneCount(3)).toBe(DEFAULT_LANES);
    expect(laneCount(3, 2)).toBe(2);
    expect(laneCount(3, 8)).toBe(3);
    expect(laneCount(1, 0)).toBe(1);
    for (const partitions of [1, 3, 5, 12]) {
      const lanes = laneCount(partitions, 4);
      for (let p = 0; p < partitions; p++) {
        expect(laneOf(p, lanes)).toBeGreaterThanOrEqual(0);
        expect(laneOf(p, lanes)).toBeLessThan(lanes);
      }
    }
  });
});
