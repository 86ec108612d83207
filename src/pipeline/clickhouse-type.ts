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
    case 'Array': {
      const x = `x${lambdaDepth++}`;
      try {
        return `arrayMap(${x} -> ${canonical(x, t.of)}, ${expr})`;
      } finally {
        lambdaDepth--;
      }
    }
    case 'Map': {
      if (!needsCanon(t.value)) return `mapSort(${expr})`;
      const [k, v] = [`k${lambdaDepth}`, `v${lambdaDepth++}`];
      try {
        return `mapSort(mapApply((${k}, ${v}) -> (${k}, ${canonical(v, t.value)}), ${expr}))`;
      } finally {
        lambdaDepth--;
      }
    }
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
