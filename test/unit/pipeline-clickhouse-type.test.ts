import { describe, expect, it } from 'vitest';
import { canonical, display, enumWidth, hashArgument, quoteIdent, renderType, sqlString, type ChType } from '../../src/pipeline/clickhouse-type.js';
import { columnHash, columnList, contentHash, contentOf, rowTuple } from '../../src/pipeline/content.js';
import { recordColumns } from './pipeline-fixtures.js';

const symbols = (n: number) => Array.from({ length: n }, (_, i) => `S${i}`);
const f32: ChType = { t: 'Float32' };
const f64: ChType = { t: 'Float64' };
const i32: ChType = { t: 'Int32' };

describe('renderType', () => {
  it('writes an enum of up to 127 symbols as Enum8, a larger one as Enum16, valued 1..n', () => {
    expect(enumWidth(symbols(127))).toBe('Enum8');
    expect(enumWidth(symbols(128))).toBe('Enum16');
    expect(renderType({ t: 'Enum', symbols: symbols(127) })).toMatch(/^Enum8\('S0' = 1, 'S1' = 2, .*'S126' = 127\)$/);
    expect(renderType({ t: 'Enum', symbols: symbols(128) })).toMatch(/^Enum16\('S0' = 1, .*'S127' = 128\)$/);
    expect(renderType({ t: 'Enum', symbols: ['it_s', 'o'] })).toBe("Enum8('it_s' = 1, 'o' = 2)");
  });

  it('writes a tuple with its field names quoted', () => {
    expect(renderType({ t: 'Tuple', fields: [{ name: 'order', type: i32 }, { name: 'we`ird', type: { t: 'Nullable', of: { t: 'String' } } }] })).toBe('Tuple(`order` Int32, `we\\`ird` Nullable(String))');
  });

  it('writes every other type as ClickHouse spells it', () => {
    expect(renderType({ t: 'FixedString', n: 16 })).toBe('FixedString(16)');
    expect(renderType({ t: 'DateTime64', precision: 9 })).toBe("DateTime64(9, 'UTC')");
    expect(renderType({ t: 'Decimal', precision: 38, scale: 4 })).toBe('Decimal(38, 4)');
    expect(renderType({ t: 'Map', value: { t: 'Array', of: { t: 'Nullable', of: { t: 'UUID' } } } })).toBe('Map(String, Array(Nullable(UUID)))');
    for (const t of ['Bool', 'Int32', 'Int64', 'Float32', 'Float64', 'String', 'UUID', 'Date32'] as const) expect(renderType({ t })).toBe(t);
  });

  it('quotes strings and identifiers so nothing breaks out', () => {
    expect(sqlString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
    expect(quoteIdent('a`b\\c')).toBe('`a\\`b\\\\c`');
  });
});

describe('canonical', () => {
  it('makes every NaN one NaN of the float type', () => {
    expect(canonical('x', f32)).toBe('if(isNaN(x), CAST(nan AS Float32), x)');
    expect(canonical('x', f64)).toBe('if(isNaN(x), CAST(nan AS Float64), x)');
    expect(canonical('x', { t: 'Nullable', of: f32 })).toBe('if(isNaN(x), CAST(nan AS Float32), x)');
  });

  it('sorts maps by key, mapping their values only where the values need it', () => {
    expect(canonical('m', { t: 'Map', value: i32 })).toBe('mapSort(m)');
    expect(canonical('m', { t: 'Map', value: { t: 'Nullable', of: { t: 'Int64' } } })).toBe('mapSort(m)');
    expect(canonical('m', { t: 'Map', value: f64 })).toBe('mapSort(mapApply((k0, v0) -> (k0, if(isNaN(v0), CAST(nan AS Float64), v0)), m))');
    expect(canonical('m', { t: 'Map', value: { t: 'Map', value: f32 } })).toBe(
      'mapSort(mapApply((k0, v0) -> (k0, mapSort(mapApply((k1, v1) -> (k1, if(isNaN(v1), CAST(nan AS Float32), v1)), v0))), m))',
    );
    expect(canonical('m', { t: 'Map', value: { t: 'Map', value: i32 } })).toBe('mapSort(mapApply((k0, v0) -> (k0, mapSort(v0)), m))');
  });

  it('maps arrays element by element only where the elements need it, with a lambda variable per depth', () => {
    expect(canonical('a', { t: 'Array', of: i32 })).toBe('a');
    expect(canonical('a', { t: 'Array', of: f32 })).toBe('arrayMap(x0 -> if(isNaN(x0), CAST(nan AS Float32), x0), a)');
    expect(canonical('a', { t: 'Array', of: { t: 'Array', of: f64 } })).toBe('arrayMap(x0 -> arrayMap(x1 -> if(isNaN(x1), CAST(nan AS Float64), x1), x0), a)');
    expect(canonical('a', { t: 'Array', of: { t: 'Map', value: i32 } })).toBe('arrayMap(x0 -> mapSort(x0), a)');
    // The depth counter starts over: a second expression uses x0 again.
    expect(canonical('b', { t: 'Array', of: f32 })).toMatch(/^arrayMap\(x0 -> /);
  });

  it('rebuilds a tuple only where a field needs it, and leaves the other types as stored', () => {
    expect(canonical('t', { t: 'Tuple', fields: [{ name: 'a', type: i32 }, { name: 'b', type: { t: 'String' } }] })).toBe('t');
    expect(canonical('t', { t: 'Tuple', fields: [{ name: 'a', type: i32 }, { name: 'b', type: f64 }] })).toBe(
      'tuple(tupleElement(t, 1), if(isNaN(tupleElement(t, 2)), CAST(nan AS Float64), tupleElement(t, 2)))',
    );
    for (const t of [{ t: 'Decimal', precision: 9, scale: 2 }, { t: 'UUID' }, { t: 'Enum', symbols: ['A'] }, { t: 'DateTime64', precision: 3 }, { t: 'FixedString', n: 2 }] as ChType[]) {
      expect(canonical('v', t)).toBe('v');
    }
  });
});

describe('hashArgument', () => {
  it('wraps a top-level Nullable in a tuple, so NULL hashes apart from every value, and nothing else', () => {
    expect(hashArgument('c', { t: 'Nullable', of: { t: 'String' } })).toBe('tuple(c)');
    expect(hashArgument('c', { t: 'Nullable', of: f32 })).toBe('tuple(if(isNaN(c), CAST(nan AS Float32), c))');
    expect(hashArgument('c', { t: 'String' })).toBe('c');
    expect(hashArgument('c', { t: 'Array', of: { t: 'Nullable', of: i32 } })).toBe('c');
    expect(hashArgument('c', { t: 'Map', value: f32 })).toBe(canonical('c', { t: 'Map', value: f32 }));
  });
});

describe("a row's content", () => {
  const columns = recordColumns([
    { name: 'id', type: 'string' },
    { name: 'score', type: ['null', 'double'] },
    { name: 'tags', type: { type: 'map', values: 'int' } },
  ]);

  it('lists the columns quoted, in schema order, and hashes each canonical form', () => {
    expect(columnList(columns)).toBe('`id`, `score`, `tags`');
    expect(columnList(columns, 'l.')).toBe('l.`id`, l.`score`, l.`tags`');
    expect(contentHash(columns)).toBe('cityHash64(`id`, tuple(if(isNaN(`score`), CAST(nan AS Float64), `score`)), mapSort(`tags`))');
    expect(columnHash(columns[1]!, 't.')).toBe('cityHash64(tuple(if(isNaN(t.`score`), CAST(nan AS Float64), t.`score`)))');
    const content = contentOf(columns);
    expect({ ...content, row: undefined }).toEqual({ columns, list: columnList(columns), hash: contentHash(columns), row: undefined });
    expect(content.row('l.')).toBe('tuple(l.`id`, l.`score`, l.`tags`)');
  });

  it('prints an enum at any depth through its symbols, so a number none of them prints too', () => {
    const level = { type: 'enum', name: 'Level', symbols: ['LOW', 'MID'] };
    const [e, a] = recordColumns([
      { name: 'e', type: level },
      { name: 'a', type: { type: 'array', items: 'Level' } },
    ]);
    expect(rowTuple([e!])).toBe("tuple(transform(CAST(`e`, 'Int16'), [1, 2], ['LOW', 'MID'], concat('<not a symbol: ', toString(CAST(`e`, 'Int16')), '>')))");
    expect(rowTuple([a!], 't.')).toBe("tuple(arrayMap(x0 -> transform(CAST(x0, 'Int16'), [1, 2], ['LOW', 'MID'], concat('<not a symbol: ', toString(CAST(x0, 'Int16')), '>')), t.`a`))");
    expect(display('n', { t: 'Nullable', of: { t: 'Enum', symbols: ['A'] } })).toBe("if(isNull(n), NULL, transform(CAST(assumeNotNull(n), 'Int16'), [1], ['A'], concat('<not a symbol: ', toString(CAST(assumeNotNull(n), 'Int16')), '>')))");
    expect(display('n', { t: 'Map', value: { t: 'Int32' } })).toBe('n');
  });
});
