import { describe, expect, it } from 'vitest';
import type { ChType } from '../../src/pipeline/clickhouse-type.js';
import { bigEndianSigned, decimalBytes, RowBinaryWriter, uuidRowBinary, writeValue } from '../../src/pipeline/rowbinary.js';

/** The bytes of one value of type `t`. */
function bytes(t: ChType, v: unknown): number[] {
  const w = new RowBinaryWriter(1);
  writeValue(w, t, v);
  return [...w.take()];
}

describe('RowBinary, byte by byte', () => {
  it('writes a String as its LEB128 length and UTF-8 bytes', () => {
    const w = new RowBinaryWriter(4);
    w.string('é'); // 2 bytes in UTF-8
    w.string('x'.repeat(200)); // length 200 = 0xc8 0x01
    const b = w.take();
    expect([...b.subarray(0, 3)]).toEqual([2, 0xc3, 0xa9]);
    expect([...b.subarray(3, 5)]).toEqual([0xc8, 0x01]);
    expect(b.length).toBe(3 + 2 + 200);
  });

  it('writes Int32 and Int64 little-endian, DateTime64(3) as Int64 milliseconds, Nullable with its flag byte', () => {
    const w = new RowBinaryWriter(1);
    w.int32(-2);
    w.int64(258n);
    w.dateTime64ms(1000);
    w.nullableString(null);
    w.nullableString('a');
    expect([...w.take()]).toEqual([0xfe, 0xff, 0xff, 0xff, 2, 1, 0, 0, 0, 0, 0, 0, 0xe8, 0x03, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x61]);
  });

  it('writes an Int64 from a number as from the bigint, negative ones too', () => {
    for (const n of [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const a = new RowBinaryWriter(1);
      a.long(n);
      const b = new RowBinaryWriter(1);
      b.int64(BigInt(n));
      expect([...a.take()], String(n)).toEqual([...b.take()]);
    }
  });

  it('starts over after take()', () => {
    const w = new RowBinaryWriter(1);
    w.uint8(7);
    expect([...w.take()]).toEqual([7]);
    expect(w.size).toBe(0);
    w.uint8(8);
    expect([...w.take()]).toEqual([8]);
  });
});

describe('writeValue', () => {
  it('writes scalars as ClickHouse reads them', () => {
    expect(bytes({ t: 'Bool' }, true)).toEqual([1]);
    expect(bytes({ t: 'Date32' }, -1)).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(bytes({ t: 'DateTime64', precision: 6 }, 2n ** 60n)).toEqual([0, 0, 0, 0, 0, 0, 0, 0x10]);
    expect(bytes({ t: 'Float32' }, 1)).toEqual([0, 0, 0x80, 0x3f]);
    expect(bytes({ t: 'Float64' }, -2)).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0]);
    expect(bytes({ t: 'String' }, Buffer.from([0xff, 0]))).toEqual([2, 0xff, 0]);
    expect(bytes({ t: 'FixedString', n: 3 }, Buffer.from('abc'))).toEqual([0x61, 0x62, 0x63]);
  });

  it('writes a UUID as its two halves, each little-endian', () => {
    expect(bytes({ t: 'UUID' }, '00112233-4455-6677-8899-aabbccddeeff')).toEqual([0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88]);
    expect([...uuidRowBinary('00000000-0000-0000-0000-000000000001')]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('writes a Decimal as its unscaled value in the width of its precision', () => {
    expect([9, 18, 38, 76].map(decimalBytes)).toEqual([4, 8, 16, 32]);
    expect([10, 19, 39].map(decimalBytes)).toEqual([8, 16, 32]);
    expect(bytes({ t: 'Decimal', precision: 9, scale: 2 }, -1n)).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(bytes({ t: 'Decimal', precision: 18, scale: 2 }, 258n)).toEqual([2, 1, 0, 0, 0, 0, 0, 0]);
    expect(bytes({ t: 'Decimal', precision: 38, scale: 2 }, -2n)).toEqual([0xfe, ...Array(15).fill(0xff)]);
    expect(bytes({ t: 'Decimal', precision: 76, scale: 0 }, 1n)).toEqual([1, ...Array(31).fill(0)]);
  });

  it('writes an enum symbol as its value 1..n, in 8 or 16 bits', () => {
    expect(bytes({ t: 'Enum', symbols: ['A', 'B', 'C'] }, 'C')).toEqual([3]);
    const many = Array.from({ length: 300 }, (_, i) => `S${i}`);
    expect(bytes({ t: 'Enum', symbols: many }, 'S299')).toEqual([0x2c, 0x01]);
  });

  it('writes Nullable, Array, Map and Tuple around their elements', () => {
    const t: ChType = { t: 'Tuple', fields: [{ name: 'a', type: { t: 'Nullable', of: { t: 'Int32' } } }, { name: 'b', type: { t: 'Array', of: { t: 'String' } } }, { name: 'c', type: { t: 'Map', value: { t: 'Bool' } } }] };
    expect(bytes(t, [null, ['x', ''], [['k', true]]])).toEqual([1, 2, 1, 0x78, 0, 1, 1, 0x6b, 1]);
    expect(bytes(t, [5, [], []])).toEqual([0, 5, 0, 0, 0, 0, 0]);
  });
});

describe('bigEndianSigned', () => {
  it("reads Avro's decimal bytes: big-endian two's complement of any width", () => {
    expect(bigEndianSigned(Buffer.alloc(0))).toBe(0n);
    expect(bigEndianSigned(Buffer.from([0x80]))).toBe(-128n);
    expect(bigEndianSigned(Buffer.from([0x00, 0x80]))).toBe(128n);
    expect(bigEndianSigned(Buffer.from([0x04, 0xd2]))).toBe(1234n);
    expect(bigEndianSigned(Buffer.alloc(16, 0xff))).toBe(-1n);
  });
});
