/**
 * The generic record generator (src/pipeline/generate.ts, which replaced the demo's
 * EventGenerator) and the edge values of each type (src/pipeline/edges.ts), on both shipped
 * schemas: every value they make is one the schema's avsc Type accepts.
 */
import { describe, expect, it } from 'vitest';
import { decimalToBytes, edgeValues, firstEdge } from '../../src/pipeline/edges.js';
import { fieldEdges, RecordGenerator, ValueGenerator } from '../../src/pipeline/generate.js';
import { bigEndianSigned } from '../../src/pipeline/rowbinary.js';
import { avroType } from '../../src/pipeline/values.js';
import { recordSchema, SCHEMAS, schemaFile } from './pipeline-fixtures.js';

const shipped = { user_events: schemaFile(SCHEMAS.userEvents).parsed, orders: schemaFile(SCHEMAS.orders).parsed };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('RecordGenerator', () => {
  it('gives the same records for the same seed and different ones for another', () => {
    for (const schema of Object.values(shipped)) {
      const a = new RecordGenerator(schema.root, 42).take(100);
      expect(new RecordGenerator(schema.root, 42).take(100)).toEqual(a);
      expect(new RecordGenerator(schema.root, 43).take(100)).not.toEqual(a);
    }
  });

  it('keeps the records a seed has always made (runs stay comparable across kit versions)', () => {
    const records = new RecordGenerator(shipped.user_events.root, 42).take(1000);
    expect(records.slice(0, 2)).toEqual([
      { id: 'oJw097KHED960I', user_id: 'SaHpaGZQ7Ajsu4', action: 'C5Ot', event_time: 1767225600050, version: 42040, referrer: 'i3pYpuLFMqY' },
      { id: 'nLN', user_id: 'UWqTxdm', action: 'wZVKiX', event_time: 1767225600086, version: 4192, referrer: '0hs1FvDjgLieV7' },
    ]);
    expect(records[999]).toEqual({ id: 'DVvTC', user_id: '9JleXtj', action: 'JDZ7NtamhkBvgA', event_time: 1767225625600, version: 97584, referrer: 'kWb' });
    const [order] = new RecordGenerator(shipped.orders.root, 42).take(1);
    expect(order).toMatchObject({ order_id: 'd5d4fae9-ff80-4caf-9154-33f428282392', customer_id: 245831, status: 'SHIPPED', placed_at: 1767225600050289, total: Buffer.from('038be4eb97f6', 'hex') });
  });

  it("makes records the schema's avsc Type accepts, for both shipped schemas", () => {
    for (const [name, schema] of Object.entries(shipped)) {
      const type = avroType(schema.json);
      const invalid = new RecordGenerator(schema.root, 7).take(2000).filter((r) => !type.isValid(r));
      expect(invalid, name).toEqual([]);
    }
  });

  it('makes user events with increasing times and a referrer that is sometimes null', () => {
    const events = new RecordGenerator(shipped.user_events.root, 7).take(2000);
    for (let i = 1; i < events.length; i++) expect(events[i]!.event_time as number).toBeGreaterThan(events[i - 1]!.event_time as number);
    expect(events.some((e) => e.referrer === null)).toBe(true);
    expect(events.some((e) => e.referrer !== null)).toBe(true);
  });

  it('makes unique version-4 UUIDs, every enum symbol, and decimals within their precision for orders', () => {
    const orders = new RecordGenerator(shipped.orders.root, 7).take(2000);
    for (const o of orders) expect(o.order_id).toMatch(UUID_V4);
    expect(new Set(orders.map((o) => o.order_id)).size).toBe(orders.length);
    expect(new Set(orders.map((o) => o.status))).toEqual(new Set(['PLACED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED']));
    for (const o of orders) {
      const total = bigEndianSigned(o.total as Buffer);
      expect(total < 10n ** 18n && total > -(10n ** 18n)).toBe(true);
      for (const p of o.item_prices as Buffer[]) expect(bigEndianSigned(p) < 10n ** 10n && bigEndianSigned(p) > -(10n ** 10n)).toBe(true);
    }
    expect(orders.some((o) => o.paid_at === null)).toBe(true);
    expect(orders.some((o) => o.paid_at !== null)).toBe(true);
  });

  it('puts the n-th edge value in its field every edgeEvery-th record, leaving the rest as without edges', () => {
    const root = shipped.orders.root;
    const edges = fieldEdges(root);
    const plain = new RecordGenerator(root, 42).take(12);
    const edged = new RecordGenerator(root, 42, 3).take(12);
    for (let i = 0; i < 12; i++) {
      if ((i + 1) % 3 !== 0) {
        expect(edged[i]).toEqual(plain[i]);
        continue;
      }
      const { field, edge } = edges[(i + 1) / 3 - 1]!;
      expect(edged[i]![field], `record ${i + 1}: ${field} ${edge.label}`).toEqual(edge.value);
      expect({ ...edged[i], [field]: undefined }).toEqual({ ...plain[i], [field]: undefined });
    }
    expect(edges.slice(0, 4).map((e) => `${e.field}: ${e.edge.label}`)).toEqual(['order_id: nil UUID', 'order_id: max UUID', 'order_id: upper-case UUID', 'customer_id: 0']);
  });

  it('cycles through every edge value of every field', () => {
    const root = shipped.user_events.root;
    const edges = fieldEdges(root);
    const records = new RecordGenerator(root, 1, 1).take(edges.length + 1);
    records.forEach((r, i) => expect(r[edges[i % edges.length]!.field]).toEqual(edges[i % edges.length]!.edge.value));
  });
});

describe('ValueGenerator', () => {
  it('makes values of any type, the same for a seed', () => {
    const key = recordSchema([{ name: 'k', type: { type: 'string', logicalType: 'uuid' } }]).root.fields[0]!.type;
    const a = new ValueGenerator(key, 5);
    const b = new ValueGenerator(key, 5);
    for (let i = 0; i < 50; i++) {
      const v = a.next();
      expect(v).toMatch(UUID_V4);
      expect(b.next()).toBe(v);
    }
  });
});

describe('edge values', () => {
  it("are each valid for the field's type, for every field of both shipped schemas", () => {
    for (const [name, schema] of Object.entries(shipped)) {
      const type = avroType(schema.json);
      const base = new RecordGenerator(schema.root, 1).take(1)[0]!;
      const edges = fieldEdges(schema.root);
      expect(edges.length, name).toBeGreaterThan(schema.root.fields.length);
      const invalid = edges.filter(({ field, edge }) => !type.isValid({ ...base, [field]: edge.value })).map(({ field, edge }) => `${field}: ${edge.label}`);
      expect(invalid, name).toEqual([]);
      // The record's own edge values: one field at its edge, the others at their first.
      const records = edgeValues(schema.root);
      expect(records).toHaveLength(edges.length);
      expect(records.filter((e) => !type.isValid(e.value)).map((e) => e.label), name).toEqual([]);
    }
  });

  it('hold the limits of each type', () => {
    const type = (t: unknown) => recordSchema([{ name: 'f', type: t }]).root.fields[0]!.type;
    const values = (t: unknown) => edgeValues(type(t)).map((e) => e.value);
    expect(values('long')).toEqual([0, -1, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n]);
    expect(values('int')).toEqual([0, -1, -(2 ** 31), 2 ** 31 - 1]);
    expect(values(['null', 'boolean'])).toEqual([null, false, true]);
    expect(values({ type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] })).toEqual(['A', 'C']);
    expect(values({ type: 'int', logicalType: 'date' })).toContain(-1);
    expect(values({ type: 'long', logicalType: 'timestamp-nanos' })).toContain(2n ** 63n - 1n);
    const decimals = values({ type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 }).map((b) => bigEndianSigned(b as Buffer));
    expect(decimals).toEqual([0n, 1n, -1n, 99999n, -99999n]);
    expect(edgeValues(type({ type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 })).map((e) => e.label)).toContain('max at full precision (999.99)');
    const fixedDecimals = values({ type: 'fixed', name: 'F', size: 16, logicalType: 'decimal', precision: 38, scale: 0 });
    for (const b of fixedDecimals) expect((b as Buffer).length).toBe(16);
    expect(firstEdge(type(['null', 'string']))).toBe('');
  });

  it('write a decimal in the fewest bytes of two\'s complement, or the fixed size', () => {
    expect([...decimalToBytes(0n)]).toEqual([0]);
    expect([...decimalToBytes(127n)]).toEqual([0x7f]);
    expect([...decimalToBytes(128n)]).toEqual([0x00, 0x80]);
    expect([...decimalToBytes(-128n)]).toEqual([0x80]);
    expect([...decimalToBytes(-129n)]).toEqual([0xff, 0x7f]);
    expect([...decimalToBytes(1234n)]).toEqual([0x04, 0xd2]);
    expect([...decimalToBytes(-1n, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    for (const n of [0n, 1n, -1n, 10n ** 38n - 1n, -(10n ** 38n) + 1n, 2n ** 100n]) expect(bigEndianSigned(decimalToBytes(n))).toBe(n);
  });

  it('write a decimal given as a number (below 2^53) as the same bytes as the bigint', () => {
    const values = [0, 1, -1, 127, 128, -128, -129, 255, 256, -32768, 2 ** 47, -(2 ** 47), 999_999_999_999_999, -999_999_999_999_999, 2 ** 53 - 1, -(2 ** 53 - 1)];
    for (let i = 1; i < 2000; i++) values.push(((i * 7919) % 1999) * 10 ** (i % 13) * (i % 3 === 0 ? -1 : 1));
    for (const v of values) {
      expect(decimalToBytes(v), String(v)).toEqual(decimalToBytes(BigInt(v)));
      expect(decimalToBytes(v, 8), String(v)).toEqual(decimalToBytes(BigInt(v), 8));
    }
  });
});
