import { describe, expect, it } from 'vitest';
import { RowBinaryWriter } from '../../src/clickhouse/rowbinary.js';

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
});
