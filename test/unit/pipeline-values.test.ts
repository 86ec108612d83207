import { describe, expect, it } from 'vitest';
import { decimalToBytes } from '../../src/pipeline/edges.js';
import type { Column } from '../../src/pipeline/mapping.js';
import { avroType, decimalText, defaultLiteral, toColumnValue, unwrap, uuidText, zeroValue, type Problems } from '../../src/pipeline/values.js';
import { recordColumns } from './pipeline-fixtures.js';

const longs = {
  type: 'record',
  name: 'R',
  fields: [
    { name: 'l', type: 'long' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'nl', type: ['null', 'long'] },
    { name: 'al', type: { type: 'array', items: 'long' } },
  ],
};

/** Each column's value of `record`, and the problems named on the way. */
function columnValues(columns: Column[], record: Record<string, unknown>): { values: unknown[]; problems: Problems } {
  const problems: Problems = [];
  return { values: columns.map((c) => toColumnValue(c.avro, c.type, record[c.name], c.name, problems)), problems };
}

describe('avroType', () => {
  const type = avroType(longs);

  it('reads a long beyond 2^53 back as the exact bigint, wherever a long is', () => {
    for (const v of [2n ** 53n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n]) {
      const back = type.fromBuffer(type.toBuffer({ l: v, ts: v, nl: v, al: [v] })) as Record<string, unknown>;
      expect(back).toEqual({ l: v, ts: v, nl: v, al: [v] });
    }
  });

  it('reads a safe long back as a number', () => {
    for (const v of [0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_000_000]) {
      const back = type.fromBuffer(type.toBuffer({ l: v, ts: v, nl: v, al: [v] })) as Record<string, unknown>;
      expect(back).toEqual({ l: v, ts: v, nl: v, al: [v] });
      expect(typeof back.l).toBe('number');
    }
    // A bigint that is safe comes back as a number too.
    expect((type.fromBuffer(type.toBuffer({ l: 5n, ts: 0, nl: null, al: [] })) as { l: unknown }).l).toBe(5);
  });

  it('takes longs as numbers only while they are exact, and bigints within a long', () => {
    expect(type.isValid({ l: 2 ** 53, ts: 0, nl: null, al: [] })).toBe(false);
    expect(type.isValid({ l: 1.5, ts: 0, nl: null, al: [] })).toBe(false);
    expect(type.isValid({ l: 2n ** 63n, ts: 0, nl: null, al: [] })).toBe(false);
    expect(type.isValid({ l: -(2n ** 63n) - 1n, ts: 0, nl: null, al: [] })).toBe(false);
    expect(type.isValid({ l: 2n ** 63n - 1n, ts: -(2n ** 63n), nl: 2n ** 60n, al: [1, 2n ** 62n] })).toBe(true);
  });
});

describe('toColumnValue', () => {
  const columns = recordColumns([
    { name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 } },
    { name: 'fd', type: { type: 'fixed', name: 'FD', size: 8, logicalType: 'decimal', precision: 12, scale: 3 } },
    { name: 'm', type: { type: 'map', values: ['null', 'int'] } },
    { name: 'r', type: { type: 'record', name: 'In', fields: [{ name: 'b', type: 'int' }, { name: 'a', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 1 } }] } },
    { name: 'u', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'nu', type: ['null', { type: 'string', logicalType: 'uuid' }] },
    { name: 'ad', type: { type: 'array', items: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 } } },
    { name: 's', type: 'string' },
  ]);

  it('turns decimal bytes into the unscaled bigint, maps into pairs and records into their fields in order', () => {
    const uuid = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
    const { values, problems } = columnValues(columns, {
      d: decimalToBytes(-1234n),
      fd: decimalToBytes(123456789012n, 8),
      m: { x: 1, y: null },
      r: { b: 7, a: decimalToBytes(15n) },
      u: uuid,
      nu: null,
      ad: [decimalToBytes(5n), decimalToBytes(-9999n)],
      s: 'as is',
    });
    expect(problems).toEqual([]);
    expect(values).toEqual([-1234n, 123456789012n, [['x', 1], ['y', null]], [7, 15n], uuid, null, [5n, -9999n], 'as is']);
  });

  it('names a decimal with more digits than its precision and a string that is no UUID, and loads the zero instead', () => {
    const { values, problems } = columnValues(columns, {
      d: decimalToBytes(10000n),
      fd: decimalToBytes(0n, 8),
      m: {},
      r: { b: 0, a: decimalToBytes(-10000n) },
      u: 'not-a-uuid',
      nu: 'also not',
      ad: [decimalToBytes(1n), decimalToBytes(123456n)],
      s: '',
    });
    expect(problems).toEqual([
      'd: 100.00 has more than the 4 digits of Decimal(4, 2)',
      'r.a: -1000.0 has more than the 4 digits of Decimal(4, 1)',
      'u: "not-a-uuid" is not a UUID',
      'nu: "also not" is not a UUID',
      'ad[1]: 1234.56 has more than the 4 digits of Decimal(4, 2)',
    ]);
    expect(values).toEqual([0n, 0n, [], [0, 0n], '00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000', [1n, 0n], '']);
  });

  it('finds the non-null branch of a union', () => {
    const [nu] = recordColumns([{ name: 'nu', type: ['null', 'string'] }]);
    expect(unwrap(nu!.avro)).toEqual({ kind: 'string' });
    expect(unwrap({ kind: 'int' })).toEqual({ kind: 'int' });
  });
});

describe('decimalText and uuidText', () => {
  it('writes an unscaled decimal at its scale', () => {
    expect(decimalText(12345n, 2)).toBe('123.45');
    expect(decimalText(-12345n, 2)).toBe('-123.45');
    expect(decimalText(-5n, 3)).toBe('-0.005');
    expect(decimalText(7n, 0)).toBe('7');
    expect(decimalText(0n, 2)).toBe('0.00');
    expect(decimalText(10n ** 40n, 38)).toBe('100.00000000000000000000000000000000000000');
  });

  it('writes 16 bytes as a UUID', () => {
    expect(uuidText(Buffer.from('3f2504e04f8911d39a0c0305e82c3301', 'hex'))).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
  });
});

describe('defaultLiteral', () => {
  const fields = [
    { name: 'b', type: 'boolean', default: true },
    { name: 'i', type: 'int', default: -3 },
    { name: 'l', type: 'long', default: 42 },
    { name: 'f', type: 'float', default: 1.5 },
    { name: 'd', type: 'double', default: -0.25 },
    { name: 's', type: 'string', default: "it's" },
    { name: 'by', type: 'bytes', default: '\u0000\u00ff' },
    { name: 'fx', type: { type: 'fixed', name: 'F', size: 2 }, default: 'ab' },
    { name: 'en', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] }, default: 'B' },
    { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 }, default: '\u0004\u00d2' },
    { name: 'uu', type: { type: 'string', logicalType: 'uuid' }, default: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' },
    { name: 'dt', type: { type: 'int', logicalType: 'date' }, default: 19000 },
    { name: 'tm', type: { type: 'int', logicalType: 'time-millis' }, default: 1000 },
    { name: 'tsm', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 5 },
    { name: 'tsu', type: { type: 'long', logicalType: 'timestamp-micros' }, default: 1700000000000000 },
    { name: 'tsn', type: { type: 'long', logicalType: 'timestamp-nanos' }, default: 7 },
    { name: 'n', type: ['null', 'string'], default: null },
    { name: 'n2', type: ['int', 'null'], default: 4 },
    { name: 'ar', type: { type: 'array', items: 'int' }, default: [1, 2] },
    { name: 'mp', type: { type: 'map', values: 'string' }, default: { k: 'v' } },
    { name: 'rc', type: { type: 'record', name: 'In', fields: [{ name: 'x', type: 'int' }, { name: 'y', type: 'string', default: 'dflt' }] }, default: { x: 1 } },
  ];

  it("writes each kind of field default as a literal of the column's type", () => {
    const literals = Object.fromEntries(recordColumns(fields).map((c) => [c.name, defaultLiteral(c.avro, c.type, c.default!.value)]));
    expect(literals).toEqual({
      b: 'CAST(true AS Bool)',
      i: 'CAST(-3 AS Int32)',
      l: 'CAST(42 AS Int64)',
      f: 'CAST(1.5 AS Float32)',
      d: 'CAST(-0.25 AS Float64)',
      s: "CAST('it\\'s' AS String)",
      by: "CAST('\\x00\\xff' AS String)",
      fx: "CAST('\\x61\\x62' AS FixedString(2))",
      en: "CAST('B' AS Enum8('A' = 1, 'B' = 2))",
      dec: "CAST('12.34' AS Decimal(6, 2))",
      uu: "CAST('3f2504e0-4f89-11d3-9a0c-0305e82c3301' AS UUID)",
      dt: "CAST(addDays(toDate32('1970-01-01'), 19000) AS Date32)",
      tm: 'CAST(1000 AS Int32)',
      tsm: "CAST(fromUnixTimestamp64Milli(toInt64(5), 'UTC') AS DateTime64(3, 'UTC'))",
      tsu: "CAST(fromUnixTimestamp64Micro(toInt64(1700000000000000), 'UTC') AS DateTime64(6, 'UTC'))",
      tsn: "CAST(fromUnixTimestamp64Nano(toInt64(7), 'UTC') AS DateTime64(9, 'UTC'))",
      n: 'NULL',
      n2: 'CAST(CAST(4 AS Int32) AS Nullable(Int32))',
      ar: 'CAST([CAST(1 AS Int32), CAST(2 AS Int32)] AS Array(Int32))',
      mp: "CAST(map('k', CAST('v' AS String)) AS Map(String, String))",
      // A nested field the default leaves out takes its own default.
      rc: "CAST(tuple(CAST(1 AS Int32), CAST('dflt' AS String)) AS Tuple(`x` Int32, `y` String))",
    });
  });
});

describe('zeroValue', () => {
  it('is the column value of an empty row of each type', () => {
    const zero = (type: unknown) => zeroValue(recordColumns([{ name: 'f', type }])[0]!.type);
    expect(zero('boolean')).toBe(false);
    expect(zero('long')).toBe(0);
    expect(zero('string')).toBe('');
    expect(zero({ type: 'fixed', name: 'F', size: 3 })).toEqual(Buffer.alloc(3));
    expect(zero({ type: 'string', logicalType: 'uuid' })).toBe('00000000-0000-0000-0000-000000000000');
    expect(zero({ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 })).toBe(0n);
    expect(zero({ type: 'enum', name: 'E', symbols: ['FIRST', 'SECOND'] })).toBe('FIRST');
    expect(zero(['null', 'int'])).toBeNull();
    expect(zero({ type: 'map', values: 'int' })).toEqual([]);
    expect(zero({ type: 'record', name: 'In', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: { type: 'array', items: 'int' } }] })).toEqual([0, []]);
  });
});
