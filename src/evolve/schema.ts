/**
 * What a new version of a pipeline's schema changes for both legs' tables: the fields it adds
 * (each a column, with the field's default as the column's DEFAULT), the fields it drops (the
 * column stays, and must have a default for records written without the field), and what
 * evolve does not roll (a field whose type changed): refused, naming the field.
 */
import { describeType } from '../pipeline/avro.js';
import { renderType, type ChType } from '../pipeline/clickhouse-type.js';
import { bigEndianSigned } from '../pipeline/rowbinary.js';
import type { Column } from '../pipeline/mapping.js';
import { UsageError } from '../errors.js';

export interface SchemaChange {
  /** Columns the new schema adds, in its order, each with the column it follows (or none: first). */
  added: { column: Column; after?: string }[];
  /** Fields the new schema no longer has; their columns stay. */
  dropped: Column[];
  /** Added fields whose default is not the ClickHouse type's zero: the Kafka engine leg stores the zero for older records. */
  defaultsTheKafkaEngineCannotFill: string[];
}

/** `DEFAULT <x>` of a column, as a description. */
export function describeColumn(c: Column): string {
  return `${c.name} ${renderType(c.type)}${c.default ? ` DEFAULT ${JSON.stringify(c.default.value)}` : ''}`;
}

/** Whether an Avro default (JSON) is its ClickHouse type's zero, what the Kafka engine stores for a missing field. */
function isZero(t: ChType, v: unknown): boolean {
  switch (t.t) {
    case 'Nullable':
      return v === null;
    case 'Array':
      return Array.isArray(v) && v.length === 0;
    case 'Map':
      return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
    case 'Enum':
      return t.symbols[0] === v;
    case 'Decimal':
      return bigEndianSigned(Buffer.from(String(v), 'latin1')) === 0n;
    case 'FixedString':
      return /^\u0000*$/.test(String(v));
    case 'UUID':
      return v === '00000000-0000-0000-0000-000000000000' || /^\u0000{16}$/.test(String(v));
    case 'Tuple':
      return typeof v === 'object' && v !== null && t.fields.every((f) => isZero(f.type, (v as Record<string, unknown>)[f.name]));
    default:
      return v === 0 || v === '' || v === false;
  }
}

function isZeroDefault(c: Column): boolean {
  return isZero(c.type, c.default?.value);
}

/** The change from `before` to `after`; what evolve cannot roll is a UsageError naming each field. */
export function schemaChange(before: Column[], after: Column[], source: string): SchemaChange {
  const old = new Map(before.map((c) => [c.name, c]));
  const problems: string[] = [];
  const added: SchemaChange['added'] = [];
  after.forEach((c, i) => {
    const was = old.get(c.name);
    if (!was) {
      if (!c.default) problems.push(`field ${c.name} is new and has no default: records written before could not be read with the new schema; give it a default`);
      added.push({ column: c, ...(i > 0 ? { after: after[i - 1]!.name } : {}) });
    } else if (renderType(was.type) !== renderType(c.type)) {
      problems.push(`field ${c.name} changes type (${describeType(was.avro)} -> ${describeType(c.avro)}, column ${renderType(was.type)} -> ${renderType(c.type)}): evolve adds fields and drops fields with defaults, it does not change a column's type; add a new field instead`);
    }
  });
  const names = new Set(after.map((c) => c.name));
  const dropped = before.filter((c) => !names.has(c.name));
  for (const c of dropped) {
    if (!c.default && c.type.t !== 'Nullable') problems.push(`field ${c.name} is dropped, and its column ${renderType(c.type)} has no default to take for the records written without it; keep the field, or give it a default first`);
  }
  if (problems.length > 0) throw new UsageError(`${source}: evolve cannot roll this change:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { added, dropped, defaultsTheKafkaEngineCannotFill: added.filter((a) => !isZeroDefault(a.column)).map((a) => a.column.name) };
}
