import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { describeColumn, schemaChange } from '../../src/evolve/schema.js';
import { recordColumns, SCHEMAS, schemaFile, thrown } from './pipeline-fixtures.js';

const before = recordColumns([
  { name: 'a', type: 'int' },
  { name: 'b', type: 'string' },
]);
const change = (fields: unknown[], from = before) => schemaChange(from, recordColumns(fields), 'new.avsc');

describe('schemaChange', () => {
  it("adds the shipped user_events v2's session_id after referrer, dropping nothing", () => {
    const v1 = schemaFile(SCHEMAS.userEvents).columns;
    const v2 = schemaFile(SCHEMAS.userEventsV2).columns;
    const c = schemaChange(v1, v2, 'user_events.v2.avsc');
    expect(c.added.map((a) => [a.column.name, a.after])).toEqual([['session_id', 'referrer']]);
    expect(describeColumn(c.added[0]!.column)).toBe('session_id Nullable(String) DEFAULT null');
    expect(c.dropped).toEqual([]);
    expect(c.defaultsTheKafkaEngineCannotFill).toEqual([]);
    // Going back drops it: its column stays, NULL for the records written without it.
    expect(schemaChange(v2, v1, 'user_events.avsc').dropped.map((d) => d.name)).toEqual(['session_id']);
  });

  it('places each added field after the field before it, or first', () => {
    const c = change([
      { name: 'z', type: 'int', default: 0 },
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
      { name: 'c', type: ['null', 'string'], default: null },
      { name: 'd', type: 'string', default: '' },
    ]);
    expect(c.added.map((a) => [a.column.name, a.after ?? '(first)'])).toEqual([
      ['z', '(first)'],
      ['c', 'b'],
      ['d', 'c'],
    ]);
  });

  it('drops a field that has a default or is nullable, keeping its column', () => {
    const from = recordColumns([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string', default: 'x' },
      { name: 'c', type: ['null', 'int'] },
    ]);
    expect(change([{ name: 'a', type: 'int' }], from).dropped.map((d) => d.name)).toEqual(['b', 'c']);
  });

  it('refuses a field whose type changes, naming the field and both types', () => {
    const e = thrown(() => change([{ name: 'a', type: 'long' }, { name: 'b', type: 'string' }]));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe(
      "new.avsc: evolve cannot roll this change:\n  field a changes type (int -> long, column Int32 -> Int64): evolve adds fields and drops fields with defaults, it does not change a column's type; add a new field instead",
    );
    expect(thrown(() => change([{ name: 'a', type: { type: 'int', logicalType: 'date' } }, { name: 'b', type: 'string' }])).message).toMatch(/field a changes type \(int -> int \(date\), column Int32 -> Date32\)/);
  });

  it('refuses a new field without a default, and a dropped field whose column has none', () => {
    expect(thrown(() => change([{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }, { name: 'c', type: 'int' }])).message).toMatch(
      /field c is new and has no default: records written before could not be read with the new schema; give it a default/,
    );
    expect(thrown(() => change([{ name: 'a', type: 'int' }])).message).toMatch(/field b is dropped, and its column String has no default to take for the records written without it/);
  });

  it('names every problem at once', () => {
    const e = thrown(() => change([{ name: 'a', type: 'long' }, { name: 'c', type: 'int' }]));
    expect(e.message.split('\n').slice(1).map((l) => /field (\w+)/.exec(l)?.[1])).toEqual(['a', 'c', 'b']);
  });

  it('names the added fields whose default is not their type\'s zero, which the Kafka engine stores instead', () => {
    const c = change([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
      { name: 'zero', type: 'int', default: 0 },
      { name: 'seven', type: 'int', default: 7 },
      { name: 'empty', type: 'string', default: '' },
      { name: 'text', type: 'string', default: 'n/a' },
      { name: 'no', type: 'boolean', default: false },
      { name: 'yes', type: 'boolean', default: true },
      { name: 'first', type: { type: 'enum', name: 'E', symbols: ['X', 'Y'] }, default: 'X' },
      { name: 'second', type: { type: 'enum', name: 'E2', symbols: ['X', 'Y'] }, default: 'Y' },
      { name: 'none', type: { type: 'array', items: 'int' }, default: [] },
      { name: 'some', type: { type: 'array', items: 'int' }, default: [1] },
      { name: 'nomap', type: { type: 'map', values: 'int' }, default: {} },
      { name: 'null', type: ['null', 'string'], default: null },
      { name: 'notnull', type: ['string', 'null'], default: 'x' },
      { name: 'epoch', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0 },
      { name: 'later', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 1000 },
    ]);
    expect(c.defaultsTheKafkaEngineCannotFill).toEqual(['seven', 'text', 'yes', 'second', 'some', 'notnull', 'later']);
  });

  // Suspected src bug (see the report): isZeroDefault compares the Avro JSON default with 0, ''
  // and false, so a zero written as bytes (a decimal "\u0000", a fixed of zero bytes) or the
  // nil UUID is named although it is the column type's zero. Remove `.fails` once it is not.
  it('does not name a default that is its type\'s zero written as bytes or as the nil UUID', () => {
    const c = change([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
      { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 }, default: '\u0000' },
      { name: 'fx', type: { type: 'fixed', name: 'F', size: 2 }, default: '\u0000\u0000' },
      { name: 'uuid', type: { type: 'string', logicalType: 'uuid' }, default: '00000000-0000-0000-0000-000000000000' },
    ]);
    expect(c.defaultsTheKafkaEngineCannotFill).toEqual([]);
  });
});
