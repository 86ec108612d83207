/**
 * The ClickHouse column types the kit derives from Avro, as a tree: rendered into DDL, and
 * walked for the canonical form parity hashes (canonical.ts) and for RowBinary (rowbinary.ts).
 */
export type ChType =
  | { t: 'Bool' | 'Int32' | 'Int64' | 'Float32' | 'Float64' | 'String' | 'UUID' | 'Date32' }
  | { t: 'FixedString'; n: number }
  | { t: 'DateTime64'; precision: 3 | 6 | 9 }
  | { t: 'Decimal'; precision: number; scale: number }
  | { t: 'Enum'; symbols: string[] }
  | { t: 'Nullable'; of: ChType }
  | { t: 'Array'; of: ChType }
  | { t: 'Map'; value: ChType }
  | { t: 'Tuple'; fields: { name: string; type: ChType }[] };

/** A string literal in ClickHouse SQL. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An identifier in backquotes (field names may be keywords). */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** Enum8 holds up to 127 symbols here (values 1..n), Enum16 the rest. */
export function enumWidth(symbols: string[]): 'Enum8' | 'Enum16' {
  return symbols.length <= 127 ? 'Enum8' : 'Enum16';
}

export function renderType(t: ChType): string {
  switch (t.t) {
    case 'FixedString':
      return `FixedString(${t.n})`;
    case 'DateTime64':
      return `DateTime64(${t.precision}, 'UTC')`;
    case 'Decimal':
      return `Decimal(${t.precision}, ${t.scale})`;
    case 'Enum':
      return `${enumWidth(t.symbols)}(${t.symbols.map((s, i) => `${sqlString(s)} = ${i + 1}`).join(', ')})`;
    case 'Nullable':
      return `Nullable(${renderType(t.of)})`;
    case 'Array':
      return `Array(${renderType(t.of)})`;
    case 'Map':
      return `Map(String, ${renderType(t.value)})`;
    case 'Tuple':
      return `Tuple(${t.fields.map((f) => `${quoteIdent(f.name)} ${renderType(f.type)}`).join(', ')})`;
    default:
      return t.t;
  }
}

/** A type whose canonical form differs from the value itself (floats: one NaN; maps: sorted by key). */
function needsCanon(t: ChType): boolean {
  switch (t.t) {
    case 'Float32':
    case 'Float64':
    case 'Map':
      return true;
    case 'Nullable':
    case 'Array':
      return needsCanon(t.of);
    case 'Tuple':
      return t.fields.some((f) => needsCanon(f.type));
    default:
      return false;
  }
}

let lambdaDepth = 0;

/** `body` given the depth of a lambda nested in the expression being built, so its parameter names (x0, k1, ...) never shadow an enclosing one. */
function nested(body: (depth: number) => string): string {
  const depth = lambdaDepth++;
  try {
    return body(depth);
  } finally {
    lambdaDepth--;
  }
}

/**
 * The canonical form of a value of type `t` as a ClickHouse expression, the same on both legs
 * and the topic's table, so that one hash means one value:
 * - NaN: every NaN is one NaN (its payload bits are not the value); -0.0 stays apart from 0.0
 *   (a leg that stores 0 for -0 stores another value);
 * - Map: sorted by key (Avro maps have no order; each leg keeps its own);
 * - Array and Tuple: element by element, in order; Nullable: NULL, or the canonical value;
 * - Decimal: its value at the column's scale (the type fixes the scale); the rest as stored.
 */
export function canonical(expr: string, t: ChType): string {
  if (!needsCanon(t)) return expr;
  switch (t.t) {
    case 'Float32':
    case 'Float64':
      return `if(isNaN(${expr}), CAST(nan AS ${t.t}), ${expr})`;
    case 'Nullable':
      return canonical(expr, t.of);
    case 'Array':
      return nested((d) => `arrayMap(x${d} -> ${canonical(`x${d}`, t.of)}, ${expr})`);
    case 'Map':
      if (!needsCanon(t.value)) return `mapSort(${expr})`;
      return nested((d) => `mapSort(mapApply((k${d}, v${d}) -> (k${d}, ${canonical(`v${d}`, t.value)}), ${expr}))`);
    case 'Tuple':
      return `tuple(${t.fields.map((f, i) => canonical(`tupleElement(${expr}, ${i + 1})`, f.type)).join(', ')})`;
    default:
      return expr;
  }
}

/**
 * One argument of cityHash64 for a column: its canonical form; a top-level Nullable is
 * wrapped in a tuple, where NULL hashes apart from every value (cityHash64 of a bare NULL is NULL).
 */
export function hashArgument(expr: string, t: ChType): string {
  const c = canonical(expr, t);
  return t.t === 'Nullable' ? `tuple(${c})` : c;
}

function hasEnum(t: ChType): boolean {
  switch (t.t) {
    case 'Enum':
      return true;
    case 'Nullable':
    case 'Array':
      return hasEnum(t.of);
    case 'Map':
      return hasEnum(t.value);
    case 'Tuple':
      return t.fields.some((f) => hasEnum(f.type));
    default:
      return false;
  }
}

/**
 * A value of type `t` as an expression ClickHouse can always print. An enum column can hold a
 * number that is none of its symbols (the Kafka engine inserts 0 for an enum field the record
 * lacks; ClickHouse then refuses to print the row): such a value prints as `<not a symbol: 0>`,
 * every symbol as itself.
 */
export function display(expr: string, t: ChType): string {
  if (!hasEnum(t)) return expr;
  switch (t.t) {
    case 'Enum': {
      const n = `CAST(${expr}, 'Int16')`;
      const values = t.symbols.map((_, i) => i + 1).join(', ');
      return `transform(${n}, [${values}], [${t.symbols.map(sqlString).join(', ')}], concat('<not a symbol: ', toString(${n}), '>'))`;
    }
    case 'Nullable':
      return `if(isNull(${expr}), NULL, ${display(`assumeNotNull(${expr})`, t.of)})`;
    case 'Array':
      return nested((d) => `arrayMap(x${d} -> ${display(`x${d}`, t.of)}, ${expr})`);
    case 'Map':
      return nested((d) => `mapApply((k${d}, v${d}) -> (k${d}, ${display(`v${d}`, t.value)}), ${expr})`);
    case 'Tuple':
      return `CAST(tuple(${t.fields.map((f, i) => display(`tupleElement(${expr}, ${i + 1})`, f.type)).join(', ')}), ${sqlString(`Tuple(${t.fields.map((f) => `${quoteIdent(f.name)} ${renderType(displayType(f.type))}`).join(', ')})`)})`;
    default:
      return expr;
  }
}

/** The type of `display(expr, t)`: every enum a String. */
function displayType(t: ChType): ChType {
  switch (t.t) {
    case 'Enum':
      return { t: 'String' };
    case 'Nullable':
    case 'Array':
      return { t: t.t, of: displayType(t.of) };
    case 'Map':
      return { t: 'Map', value: displayType(t.value) };
    case 'Tuple':
      return { t: 'Tuple', fields: t.fields.map((f) => ({ name: f.name, type: displayType(f.type) })) };
    default:
      return t;
  }
}
