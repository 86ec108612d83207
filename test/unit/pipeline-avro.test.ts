import { describe, expect, it } from 'vitest';
import { AvroSchemaError, describeType, parseKeySchema, parseSchema, type AvroNode } from '../../src/pipeline/avro.js';
import { recordSchema, recordText, SCHEMAS, schemaFile, thrown } from './pipeline-fixtures.js';

const problem = (fields: unknown[]) => thrown(() => recordSchema(fields)).message;
const decimal = (more: Record<string, unknown>) => ({ type: 'bytes', logicalType: 'decimal', ...more });

describe('parseSchema', () => {
  it('names the file, the line and the column of a JSON syntax error', () => {
    const text = '{\n  "type": "record",\n  "name": "R",\n  "fields": [\n    { "name": "a", "type": "int" }\n    { "name": "b", "type": "int" }\n  ]\n}\n';
    const e = thrown(() => parseSchema(text, 'schemas/x.avsc'));
    expect(e).toBeInstanceOf(AvroSchemaError);
    // The problem is in Node's words (they vary by version); the place is the kit's.
    expect(e.message).toMatch(/^schemas\/x\.avsc:6:5: not valid JSON: \S/);
    expect(e.message).not.toMatch(/position/);
    expect(thrown(() => parseSchema('{\n  "type": "record",\n  "name" "R"\n}', 'y.avsc')).message).toMatch(/^y\.avsc:3:10: not valid JSON: \S/);
  });

  // Suspected src bug (see the report): for JSON.parse's "Unexpected token" and "Unexpected end"
  // messages Node gives no position, so no line is named. Remove `.fails` once it is.
  it('names the line of a trailing comma too', () => {
    const text = '{\n  "type": "record",\n  "name": "R",\n  "fields": [\n    { "name": "a", "type": "int" },\n  ]\n}\n';
    expect(thrown(() => parseSchema(text, 'x.avsc')).message).toMatch(/^x\.avsc:6:\d+: not valid JSON/);
  });

  it('names the line of an unknown type', () => {
    const e = thrown(() => recordSchema([{ name: 'a', type: 'int' }, { name: 'b', type: 'Nope' }]));
    expect(e).toBeInstanceOf(AvroSchemaError);
    expect(e.message).toBe('test.avsc:6: not a valid Avro schema: undefined type name: Nope');
  });

  it('wants a record at the top', () => {
    expect(thrown(() => parseSchema('"string"', 'v.avsc')).message).toBe("v.avsc: the top-level schema must be a record (the topic's values are rows)");
    expect(thrown(() => parseSchema('{"type": "array", "items": "int"}', 'v.avsc')).message).toMatch(/top-level schema must be a record/);
  });

  it("checks a decimal's precision and scale, and that it fits its fixed", () => {
    expect(problem([{ name: 'a', type: 'int' }, { name: 'd', type: decimal({ precision: 0 }) }])).toBe('test.avsc:6: field d: decimal needs an integer precision >= 1, got 0');
    expect(problem([{ name: 'd', type: decimal({ precision: 2.5 }) }])).toMatch(/field d: decimal needs an integer precision >= 1, got 2\.5/);
    expect(problem([{ name: 'd', type: decimal({ scale: 2 }) }])).toMatch(/field d: decimal needs an integer precision >= 1, got undefined/);
    expect(problem([{ name: 'a', type: 'int' }, { name: 'd', type: decimal({ precision: 4, scale: 5 }) }])).toBe('test.avsc:6: field d: decimal scale must be an integer from 0 to its precision (4), got 5');
    expect(problem([{ name: 'd', type: decimal({ precision: 4, scale: -1 }) }])).toMatch(/decimal scale must be an integer from 0 to its precision \(4\), got -1/);
    expect(problem([{ name: 'd', type: { type: 'fixed', name: 'F', size: 4, logicalType: 'decimal', precision: 10, scale: 2 } }])).toMatch(/field d: decimal precision 10 does not fit fixed size 4 \(at most 9 digits\)/);
    const ok = recordSchema([{ name: 'd', type: decimal({ precision: 10 }) }, { name: 'f', type: { type: 'fixed', name: 'F', size: 4, logicalType: 'decimal', precision: 9, scale: 9 } }]);
    expect(ok.root.fields.map((f) => f.type)).toEqual([
      { kind: 'bytes', logical: { type: 'decimal', precision: 10, scale: 0 } },
      { kind: 'fixed', name: 'F', size: 4, logical: { type: 'decimal', precision: 9, scale: 9 } },
    ]);
  });

  it('wants each logical type on the type it applies to, and a uuid on fixed of 16 bytes', () => {
    expect(problem([{ name: 'd', type: { type: 'long', logicalType: 'date' } }])).toMatch(/field d: logicalType date applies to int, not long/);
    expect(problem([{ name: 'u', type: { type: 'fixed', name: 'U', size: 8, logicalType: 'uuid' } }])).toMatch(/field u: logicalType uuid on fixed needs size 16, not 8/);
    // A logical type the kit does not know reads as its underlying type.
    expect(recordSchema([{ name: 'x', type: { type: 'string', logicalType: 'iso-8601' } }]).root.fields[0]!.type).toEqual({ kind: 'string' });
  });

  it('refuses a record that contains itself', () => {
    const e = thrown(() => recordSchema([{ name: 'a', type: 'int' }, { name: 'next', type: ['null', 'R'] }]));
    expect(e).toBeInstanceOf(AvroSchemaError);
    expect(e.message).toBe('test.avsc:6: field next: the record R contains itself; a recursive type has no ClickHouse column type');
    expect(problem([{ name: 'children', type: { type: 'array', items: 'R' } }])).toMatch(/field children\[\]: the record R contains itself/);
  });

  it('resolves named types by short and full name, in the namespace they are defined in', () => {
    const s = recordSchema(
      [
        { name: 'a', type: { type: 'enum', name: 'E', symbols: ['X', 'Y'] } },
        { name: 'b', type: 'E' },
        { name: 'c', type: 'n.E' },
        { name: 'in', type: { type: 'record', name: 'In', namespace: 'm', fields: [{ name: 'f', type: { type: 'fixed', name: 'F', size: 2 } }, { name: 'g', type: 'F' }] } },
        { name: 'h', type: 'm.F' },
      ],
      { namespace: 'n' },
    );
    expect(s.fullName).toBe('n.R');
    const [a, b, c, inner, h] = s.root.fields.map((f) => f.type);
    expect(a).toEqual({ kind: 'enum', name: 'n.E', symbols: ['X', 'Y'] });
    expect(b).toBe(a);
    expect(c).toBe(a);
    const fields = (inner as AvroNode & { kind: 'record' }).fields;
    expect(fields[1]!.type).toBe(fields[0]!.type);
    expect(h).toBe(fields[0]!.type);
    expect(h).toEqual({ kind: 'fixed', name: 'm.F', size: 2 });
  });

  it('names a field inside records, arrays and maps by its path', () => {
    const date = { type: 'string', logicalType: 'date' };
    expect(problem([{ name: 'a', type: { type: 'record', name: 'In', fields: [{ name: 'b', type: date }] } }])).toMatch(/field a\.b: logicalType date applies to int, not string/);
    expect(problem([{ name: 'a', type: { type: 'array', items: date } }])).toMatch(/field a\[\]: logicalType date/);
    expect(problem([{ name: 'a', type: { type: 'map', values: date } }])).toMatch(/field a\{\}: logicalType date/);
    expect(problem([{ name: 'a', type: { type: 'map', values: { type: 'array', items: { type: 'record', name: 'In', fields: [{ name: 'b', type: ['null', date] }] } } } }])).toMatch(/field a\{\}\[\]\.b: logicalType date/);
  });

  it('keeps defaults and docs as written, and the text and JSON as given', () => {
    const text = recordText([{ name: 'a', type: 'int', default: 3, doc: 'three' }, { name: 'b', type: ['null', 'string'], default: null }]);
    const s = parseSchema(text, 'x');
    expect(s.text).toBe(text);
    expect(s.json).toEqual(JSON.parse(text));
    expect(s.root.fields).toEqual([
      { name: 'a', type: { kind: 'int' }, default: { value: 3 }, doc: 'three' },
      { name: 'b', type: { kind: 'union', branches: [{ kind: 'null' }, { kind: 'string' }] }, default: { value: null } },
    ]);
  });

  it('reads both shipped schemas', () => {
    expect(schemaFile(SCHEMAS.userEvents).parsed.root.fields.map((f) => f.name)).toEqual(['id', 'user_id', 'action', 'event_time', 'version', 'referrer']);
    expect(schemaFile(SCHEMAS.orders).parsed.root.fields).toHaveLength(28);
  });
});

describe('parseKeySchema', () => {
  it('takes a schema of any type', () => {
    expect(parseKeySchema('"string"', 'k.avsc').root).toEqual({ kind: 'string' });
    expect(parseKeySchema('{"type": "long", "logicalType": "timestamp-millis"}', 'k.avsc').root).toEqual({ kind: 'long', logical: { type: 'timestamp-millis' } });
    expect(thrown(() => parseKeySchema('"nope"', 'k.avsc')).message).toMatch(/^k\.avsc:1: not a valid Avro schema/);
  });
});

describe('describeType', () => {
  it('writes a type short, as a message names it', () => {
    const s = recordSchema([
      { name: 'a', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
      { name: 'b', type: { type: 'array', items: { type: 'map', values: 'int' } } },
      { name: 'c', type: { type: 'fixed', name: 'F', size: 8, logicalType: 'decimal', precision: 10, scale: 2 } },
      { name: 'd', type: { type: 'enum', name: 'E', symbols: ['X'] } },
      { name: 'e', type: { type: 'record', name: 'In', fields: [{ name: 'x', type: 'int' }] } },
      { name: 'f', type: { type: 'string', logicalType: 'uuid' } },
    ]);
    expect(s.root.fields.map((f) => describeType(f.type))).toEqual(['[null, long (timestamp-micros)]', 'array<map<int>>', 'fixed(8) (decimal(10, 2))', 'enum E', 'record In', 'string (uuid)']);
  });
});
