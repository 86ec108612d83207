import { describe, expect, it } from 'vitest';
import { OffsetSample } from '../../src/parity/witness/sample.js';
import { WireDecoder } from '../../src/parity/witness/topic-reader.js';
import { columnDiffers, legDiffExamplesQuery, legDiffSummaryQuery, topicTableDdl } from '../../src/parity/witness/queries.js';
import { contentOf } from '../../src/pipeline/content.js';
import { RecordGenerator } from '../../src/pipeline/generate.js';
import { avroType } from '../../src/pipeline/values.js';
import type { Registry } from '../../src/registry/registry.js';
import { recordText, SCHEMAS, schemaFile } from './pipeline-fixtures.js';

describe('OffsetSample', () => {
  it('takes every offset at 100%', () => {
    const s = new OffsetSample(100);
    for (let o = 0n; o < 1000n; o++) expect(s.has(0, o)).toBe(true);
  });

  it('takes close to the percentage, the same offsets every time, and a larger sample holds a smaller one', () => {
    const one = new OffsetSample(1);
    const again = new OffsetSample(1);
    const ten = new OffsetSample(10);
    let inOne = 0;
    let inTen = 0;
    // Counted, then asserted once: 300,000 expect() calls take seconds on a loaded machine.
    let unstable = 0;
    let notNested = 0;
    for (let p = 0; p < 3; p++) {
      for (let o = 0n; o < 100_000n; o++) {
        const a = one.has(p, o);
        if (again.has(p, o) !== a) unstable++;
        const b = ten.has(p, o);
        if (a && !b) notNested++;
        inOne += Number(a);
        inTen += Number(b);
      }
    }
    expect(unstable).toBe(0);
    expect(notNested).toBe(0);
    expect(inOne / 300_000).toBeGreaterThan(0.009);
    expect(inOne / 300_000).toBeLessThan(0.011);
    expect(inTen / 300_000).toBeGreaterThan(0.098);
    expect(inTen / 300_000).toBeLessThan(0.102);
  });

  it('samples differently per partition', () => {
    const s = new OffsetSample(50);
    let same = 0;
    for (let o = 0n; o < 10_000n; o++) same += Number(s.has(0, o) === s.has(1, o));
    expect(same).toBeGreaterThan(4500);
    expect(same).toBeLessThan(5500);
  });

  it('refuses a percentage outside (0, 100]', () => {
    expect(() => new OffsetSample(0)).toThrow(/\(0, 100\]/);
    expect(() => new OffsetSample(101)).toThrow(/\(0, 100\]/);
    expect(() => new OffsetSample(Number.NaN)).toThrow(/\(0, 100\]/);
  });
});

describe('WireDecoder', () => {
  const v1 = schemaFile(SCHEMAS.userEvents).parsed;
  const v2 = schemaFile(SCHEMAS.userEventsV2).parsed;
  /** Writer schemas by id, as the registry holds them: 1 the pipeline's, 2 a later one with session_id, 3 one without referrer, 4 another record altogether. */
  const writers: Record<number, string> = {
    1: v1.text,
    2: v2.text,
    3: recordText(
      [
        { name: 'id', type: 'string' },
        { name: 'user_id', type: 'string' },
        { name: 'action', type: 'string' },
        { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'version', type: 'int' },
      ],
      { namespace: 'dev.kit.events', name: 'UserEvent' },
    ),
    4: recordText([{ name: 'id', type: 'int' }], { namespace: 'dev.kit.events', name: 'UserEvent' }),
  };
  const lookups: number[] = [];
  const registry = {
    schemaById: async (id: number) => {
      lookups.push(id);
      if (!writers[id]) throw new Error(`Schema ${id} not found`);
      return writers[id]!;
    },
  } as unknown as Registry;
  /** A value in the Confluent wire format: magic byte 0, the schema id, the Avro body. */
  const wire = (id: number, value: unknown) => {
    const body = avroType(JSON.parse(writers[id]!)).toBuffer(value);
    const head = Buffer.alloc(5);
    head.writeInt32BE(id, 1);
    return Buffer.concat([head, body]);
  };
  const event = { id: 'a', user_id: 'u', action: 'view', event_time: 1_700_000_000_123, version: 1, referrer: null };

  it('takes the event columns and ignores fields a later schema adds', async () => {
    const decoder = new WireDecoder(registry, v1);
    const values = [wire(2, { ...event, session_id: 's' }), wire(2, { ...event, referrer: 'ads', session_id: null }), wire(1, event)];
    await decoder.prepare(values);
    expect(decoder.decode(values[0]!)).toEqual(event);
    expect((decoder.decode(values[1]!) as Record<string, unknown>).referrer).toBe('ads');
    expect(decoder.decode(values[2]!)).toEqual(event);
  });

  it('reads an absent optional referrer as NULL', async () => {
    const decoder = new WireDecoder(registry, v1);
    const { referrer: _r, ...noReferrer } = event;
    const value = wire(3, noReferrer);
    await decoder.prepare([value]);
    expect(decoder.decode(value)).toEqual({ ...noReferrer, referrer: null });
  });

  it('says why a value is not a record of the pipeline', async () => {
    const decoder = new WireDecoder(registry, v1);
    const other = wire(4, { id: 3 });
    const unknown = Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), Buffer.from('x')]);
    const truncated = wire(1, event).subarray(0, 8);
    await decoder.prepare([other, unknown, truncated, null, Buffer.from('poison-0: not Avro, no schema id')]);
    expect(decoder.decode(other)).toMatch(/^schema id 4 cannot be read as the pipeline's schema: /);
    expect(decoder.decode(unknown)).toBe('schema id 9: Schema 9 not found');
    expect(decoder.decode(truncated)).toMatch(/^schema id 1: /);
    expect(decoder.decode(Buffer.from('poison-0: not Avro, no schema id'))).toBe('not in the Confluent wire format (no magic byte 0)');
    expect(decoder.decode(null)).toBe('not in the Confluent wire format (no magic byte 0)');
    expect(() => decoder.decode(wire(2, { ...event, session_id: null }))).toThrow(/schema id 2 was not prepared/);
  });

  it('asks the registry once per schema id', async () => {
    lookups.length = 0;
    const decoder = new WireDecoder(registry, v1);
    await decoder.prepare([wire(1, event), wire(1, event), wire(2, { ...event, session_id: null })]);
    await decoder.prepare([wire(1, event)]);
    expect(lookups).toEqual([1, 2]);
  });

  it('reads longs beyond 2^53 exactly', async () => {
    const orders = schemaFile(SCHEMAS.orders).parsed;
    writers[5] = orders.text;
    const decoder = new WireDecoder(registry, orders);
    const [generated] = new RecordGenerator(orders.root, 1).take(1);
    const record = { ...generated, customer_id: 2n ** 60n + 1n };
    const value = wire(5, record);
    await decoder.prepare([value]);
    expect(decoder.decode(value)).toEqual(record);
  });
});

describe('the witness SQL', () => {
  const content = contentOf(schemaFile(SCHEMAS.userEvents).columns);
  const at = (name: string) => content.columns.findIndex((c) => c.name === name);

  it('tells NULL from the empty string', () => {
    // A nullable column is hashed inside a tuple, where NULL and '' hash apart.
    expect(columnDiffers(content, at('referrer'))).toContain('cityHash64(tuple(l.`referrer`)) != cityHash64(tuple(t.`referrer`))');
    expect(columnDiffers(content, at('event_time'))).toBe("(cityHash64(l.`event_time`) != cityHash64(t.`event_time`) OR arrayExists(u -> startsWith(u, 'event_time:'), t._witness_unfit))");
  });

  it('compares the canonical forms, so a NaN or a map order is no difference', () => {
    const orders = contentOf(schemaFile(SCHEMAS.orders).columns);
    const i = (name: string) => orders.columns.findIndex((c) => c.name === name);
    expect(columnDiffers(orders, i('weight_kg'))).toContain('cityHash64(if(isNaN(l.`weight_kg`), CAST(nan AS Float32), l.`weight_kg`))');
    expect(columnDiffers(orders, i('attributes'))).toContain('cityHash64(mapSort(l.`attributes`)) != cityHash64(mapSort(t.`attributes`))');
  });

  it('counts differences per column, by bound parameters only', () => {
    const q = legDiffSummaryQuery('kit.events_connect', 'user-events', [{ partition: 1, from: 5n, to: 9n }], content);
    content.columns.forEach((c, i) => expect(q.query, c.name).toContain(`AS diff_${i}`));
    expect(q.query).not.toContain('AS diff_6');
    expect(q.query).not.toContain('user-events');
    expect(q.params).toMatchObject({ topic: 'user-events', p0: 1, lo0: '5', hi0: '9' });
  });

  it("loads the topic's records into a table of the pipeline's column types, and names the differing columns of an example", () => {
    expect(topicTableDdl(content)).toBe(
      "CREATE TEMPORARY TABLE parity_topic (_partition Int32, _offset Int64, _witness_decoded UInt8, _witness_unfit Array(String), `id` String, `user_id` String, `action` String, `event_time` DateTime64(3, 'UTC'), `version` Int32, `referrer` Nullable(String)) ENGINE = Memory",
    );
    const q = legDiffExamplesQuery('kit.events_kafka', 'user-events', [{ partition: 0, from: 0n, to: 9n }], 5, content);
    expect(q.query).toContain("if(t._witness_decoded = 0 OR (cityHash64(l.`id`) != cityHash64(t.`id`)");
    expect(q.query).toContain('tuple(t.`id`, t.`user_id`, t.`action`, t.`event_time`, t.`version`, t.`referrer`) AS topic_row');
    expect(q.params).toMatchObject({ topic: 'user-events', limit: 5 });
  });
});
