import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { renderType } from '../../src/pipeline/clickhouse-type.js';
import { chTypeOf, describeColumns, MAPPING_TABLE, RESERVED_COLUMNS, UnsupportedTypeError, type Refusal } from '../../src/pipeline/mapping.js';
import { recordColumns, recordSchema, SCHEMAS, schemaFile, thrown } from './pipeline-fixtures.js';

/** The ClickHouse type of one field's Avro type, rendered. */
const mapped = (type: unknown) => renderType(recordColumns([{ name: 'f', type }])[0]!.type);

/** The refusals of a schema of these fields. */
function refusals(fields: unknown[]): Refusal[] {
  const e = thrown(() => recordColumns(fields));
  expect(e).toBeInstanceOf(UnsupportedTypeError);
  return (e as UnsupportedTypeError).refusals;
}

const decimal = (base: 'bytes' | 'fixed', precision: number, scale: number) =>
  base === 'bytes' ? { type: 'bytes', logicalType: 'decimal', precision, scale } : { type: 'fixed', name: 'D', size: 16, logicalType: 'decimal', precision, scale };

describe('the mapping from Avro to ClickHouse', () => {
  it('maps every row of the mapping table as the table says', () => {
    const rows: [string, unknown, string][] = [
      ['boolean', 'boolean', 'Bool'],
      ['int', 'int', 'Int32'],
      ['long', 'long', 'Int64'],
      ['float', 'float', 'Float32'],
      ['double', 'double', 'Float64'],
      ['string', 'string', 'String'],
      ['bytes', 'bytes', 'String'],
      ['fixed(N)', { type: 'fixed', name: 'F', size: 12 }, 'FixedString(12)'],
      ['enum', { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] }, "Enum8('A' = 1, 'B' = 2, 'C' = 3)"],
      ['bytes or fixed (decimal(P, S))', decimal('bytes', 18, 2), 'Decimal(18, 2)'],
      ['string (uuid)', { type: 'string', logicalType: 'uuid' }, 'UUID'],
      ['int (date)', { type: 'int', logicalType: 'date' }, 'Date32'],
      ['int (time-millis)', { type: 'int', logicalType: 'time-millis' }, 'Int32'],
      ['long (time-micros)', { type: 'long', logicalType: 'time-micros' }, 'Int64'],
      ['long (timestamp-millis)', { type: 'long', logicalType: 'timestamp-millis' }, "DateTime64(3, 'UTC')"],
      ['long (timestamp-micros)', { type: 'long', logicalType: 'timestamp-micros' }, "DateTime64(6, 'UTC')"],
      ['long (timestamp-nanos)', { type: 'long', logicalType: 'timestamp-nanos' }, "DateTime64(9, 'UTC')"],
      ['long (local-timestamp-millis)', { type: 'long', logicalType: 'local-timestamp-millis' }, "DateTime64(3, 'UTC')"],
      ['long (local-timestamp-micros)', { type: 'long', logicalType: 'local-timestamp-micros' }, "DateTime64(6, 'UTC')"],
      ['array<T>', { type: 'array', items: 'long' }, 'Array(Int64)'],
      ['map<T>', { type: 'map', values: 'double' }, 'Map(String, Float64)'],
      ['record', { type: 'record', name: 'In', fields: [{ name: 'x', type: 'int' }, { name: 'order', type: 'string' }] }, 'Tuple(`x` Int32, `order` String)'],
      ['["null", T] or [T, "null"]', ['null', 'string'], 'Nullable(String)'],
    ];
    for (const [avro, type, clickhouse] of rows) {
      const row = MAPPING_TABLE.find((r) => r.avro === avro);
      expect(row, avro).toBeDefined();
      expect(mapped(type), avro).toBe(clickhouse);
      // The table's own column: as written, or with N, T, P and S filled in as this row's type has them.
      if (/\b[NTPS]\b|\/|name/.test(row!.clickhouse)) expect(clickhouse.startsWith(row!.clickhouse.split(/[( ]/)[0]!), avro).toBe(true);
      else expect(clickhouse, avro).toBe(row!.clickhouse);
    }
    expect(MAPPING_TABLE.map((r) => r.avro).filter((a) => !rows.some(([x]) => x === a))).toEqual(['a field default']);
  });

  it('maps the variants a row stands for', () => {
    expect(mapped(decimal('fixed', 38, 10))).toBe('Decimal(38, 10)');
    expect(mapped(decimal('bytes', 76, 0))).toBe('Decimal(76, 0)');
    expect(mapped(['string', 'null'])).toBe('Nullable(String)');
    expect(mapped(['null', { type: 'long', logicalType: 'timestamp-micros' }])).toBe("Nullable(DateTime64(6, 'UTC'))");
    expect(mapped({ type: 'array', items: ['null', 'int'] })).toBe('Array(Nullable(Int32))');
    expect(mapped({ type: 'map', values: { type: 'array', items: { type: 'enum', name: 'E', symbols: ['A'] } } })).toBe("Map(String, Array(Enum8('A' = 1)))");
    expect(mapped({ type: 'string', logicalType: 'iso-8601' })).toBe('String');
  });

  it('refuses a union of two types', () => {
    expect(refusals([{ name: 'u', type: ['int', 'string'] }])).toEqual([
      {
        field: 'u',
        type: '[int, string]',
        leg: 'both legs',
        why: "a union of 2 types has no single ClickHouse column type (the connector's converter makes it a struct of branches, the Kafka engine a Variant)",
        fix: 'Split it into one field per type, or carry it as a string.',
      },
    ]);
    expect(refusals([{ name: 'u', type: ['null', 'int', 'string'] }])[0]).toMatchObject({ field: 'u', why: expect.stringMatching(/^a union of 2 types/) });
  });

  it('refuses a nullable record, array or map, naming the default that makes it non-null', () => {
    const r = refusals([
      { name: 'r', type: ['null', { type: 'record', name: 'In', fields: [{ name: 'a', type: 'int' }] }] },
      { name: 'a', type: ['null', { type: 'array', items: 'int' }] },
      { name: 'm', type: ['null', { type: 'map', values: 'int' }] },
    ]);
    expect(r.map((x) => [x.field, x.type, x.leg])).toEqual([
      ['r', '[null, record In]', 'both legs'],
      ['a', '[null, array<int>]', 'both legs'],
      ['m', '[null, map<int>]', 'both legs'],
    ]);
    expect(r[0]!.why).toBe("ClickHouse's Nullable cannot hold a Tuple (a record), so no table could tell null from an empty record");
    expect(r[0]!.fix).toMatch(/a record of nullable fields/);
    expect(r[1]!.fix).toMatch(/default \[\]/);
    expect(r[2]!.fix).toMatch(/default \{\}/);
  });

  it('refuses a decimal of more than 76 digits', () => {
    expect(refusals([{ name: 'd', type: decimal('bytes', 77, 2) }])).toEqual([
      { field: 'd', type: 'bytes (decimal(77, 2))', leg: 'both legs', why: "ClickHouse's Decimal holds at most 76 digits, this one has 77", fix: 'Lower the precision to 76 or less, or carry the value as a string.' },
    ]);
  });

  it('refuses a nullable enum at any depth for the connector leg, which would store every symbol as NULL', () => {
    const size = { type: 'enum', name: 'Size', symbols: ['S', 'M'] };
    const found = refusals([
      { name: 'a', type: ['null', size] },
      { name: 'b', type: { type: 'array', items: ['Size', 'null'] } },
      { name: 'c', type: { type: 'record', name: 'Inner', fields: [{ name: 'd', type: { type: 'map', values: ['null', 'Size'] } }] } },
      { name: 'e', type: 'Size' },
    ]);
    expect(found.map((r) => [r.field, r.leg])).toEqual([
      ['a', 'the connector leg'],
      ['b[]', 'the connector leg'],
      ['c.d{}', 'the connector leg'],
    ]);
    expect(found[0]!.why).toMatch(/without its null marker: every symbol lands as NULL/);
    expect(found[0]!.fix).toMatch(/non-null enum/);
  });

  it('refuses a uuid on fixed(16) for the Kafka-engine leg', () => {
    const [r] = refusals([{ name: 'id', type: { type: 'fixed', name: 'U', size: 16, logicalType: 'uuid' } }]);
    expect(r).toEqual({
      field: 'id',
      type: 'fixed(16) (uuid)',
      leg: 'the Kafka-engine leg',
      why: "ClickHouse's Avro reader (the Kafka engine's) reads a uuid into a UUID column from its 36-character text only, not from fixed(16) bytes",
      fix: 'Write the uuid as a string with logicalType uuid.',
    });
  });

  it('refuses the names the kit and the Kafka engine give their own columns', () => {
    for (const name of ['_offset', '_topic', '_partition', '_kafka_timestamp', '_inserted_at', '_key', '_timestamp', '_timestamp_ms', '_headers', '_raw_message', '_error', '_row', '_row_hash', '_witness_decoded', '_witness_unfit']) {
      expect(RESERVED_COLUMNS.has(name), name).toBe(true);
      const [r] = refusals([{ name, type: 'long' }]);
      expect(r).toEqual({ field: name, type: 'long', leg: 'both legs', why: `${name} is a name the kit uses itself (a lineage column, a column of parity's queries) or a virtual column of the Kafka engine`, fix: 'Rename the field.' });
    }
  });

  it('refuses a field of null, a union of null only and a record without fields', () => {
    expect(refusals([{ name: 'n', type: 'null' }])[0]!.why).toBe('a field that is always null holds nothing');
    expect(refusals([{ name: 'n', type: ['null'] }])[0]!.why).toBe('a union of null only holds nothing');
    expect(refusals([{ name: 'e', type: { type: 'record', name: 'Empty', fields: [] } }])[0]!.why).toMatch(/a record without fields has no ClickHouse type/);
  });

  it('names every refusal at once, nested ones by their path, as bad input', () => {
    const e = thrown(() =>
      recordColumns([
        { name: 'ok', type: 'int' },
        { name: 'u', type: ['int', 'string'] },
        { name: 'deep', type: { type: 'record', name: 'In', fields: [{ name: 'list', type: { type: 'array', items: { type: 'map', values: ['int', 'string'] } } }] } },
      ]),
    ) as UnsupportedTypeError;
    expect(e).toBeInstanceOf(UsageError);
    expect(e.source).toBe('test.avsc');
    expect(e.refusals.map((r) => r.field)).toEqual(['u', 'deep.list[]{}']);
    expect(e.message).toMatch(/^test\.avsc: 2 fields have types the pipeline cannot carry:\n {2}field u \(\[int, string\]\): both legs: a union of 2 types/);
    expect(e.message).toMatch(/\n {2}field deep\.list\[\]\{\} \(\[int, string\]\): both legs: /);
    expect(thrown(() => recordColumns([{ name: 'u', type: ['int', 'string'] }])).message).toMatch(/^test\.avsc: a field has a type the pipeline cannot carry:/);
  });

  it('gives chTypeOf a path for every refusal under a node', () => {
    const node = recordSchema([{ name: 'x', type: { type: 'array', items: ['int', 'long'] } }]).root.fields[0]!.type;
    const found: Refusal[] = [];
    chTypeOf(node, 'x', found);
    expect(found.map((r) => r.field)).toEqual(['x[]']);
  });
});

describe('columnsOf', () => {
  it('maps the shipped orders schema to its 28 columns, in schema order, with their defaults', () => {
    const { columns } = schemaFile(SCHEMAS.orders);
    expect(columns).toHaveLength(28);
    expect(columns.slice(0, 3).map((c) => `${c.name} ${renderType(c.type)}`)).toEqual([
      'order_id UUID',
      'customer_id Int64',
      "status Enum8('PLACED' = 1, 'PAID' = 2, 'SHIPPED' = 3, 'DELIVERED' = 4, 'CANCELLED' = 5, 'REFUNDED' = 6)",
    ]);
    const type = (name: string) => renderType(columns.find((c) => c.name === name)!.type);
    expect(type('total')).toBe('Decimal(18, 2)');
    expect(type('paid_at')).toBe("Nullable(DateTime64(6, 'UTC'))");
    expect(type('delivery_date')).toBe('Nullable(Date32)');
    expect(type('item_prices')).toBe('Array(Decimal(10, 2))');
    expect(type('item_ratings')).toBe('Array(Nullable(Int32))');
    expect(type('counters')).toBe('Map(String, Nullable(Int64))');
    expect(type('shipping')).toBe('Tuple(`country` String, `city` String, `postcode` Nullable(String), `geo` Tuple(`lat` Float64, `lon` Float64))');
    expect(type('session')).toBe('Nullable(UUID)');
    expect(columns.find((c) => c.name === 'schema_version')!.default).toEqual({ value: 1 });
    expect(columns.find((c) => c.name === 'tags')!.default).toEqual({ value: [] });
    expect(columns.find((c) => c.name === 'total')!.default).toBeUndefined();
  });

  it('maps the shipped user_events schema to its six columns', () => {
    expect(describeColumns(schemaFile(SCHEMAS.userEvents).columns)).toEqual([
      'id String  <- string',
      'user_id String  <- string',
      'action String  <- string',
      "event_time DateTime64(3, 'UTC')  <- long (timestamp-millis)",
      'version Int32  <- int',
      'referrer Nullable(String)  <- [null, string]',
    ]);
  });
});
