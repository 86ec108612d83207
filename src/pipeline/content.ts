/**
 * A row's content as parity compares it: the event columns in schema order and one hash of
 * their canonical forms (clickhouse-type.ts: NaN, map order, NULL), the same expression on
 * both legs' tables and on the topic witness's table.
 */
import { display, hashArgument, quoteIdent } from './clickhouse-type.js';
import type { Column } from './mapping.js';

/** The event columns, comma-separated and quoted, in schema order, each with `prefix` (`l.`). */
export function columnList(columns: Column[], prefix = ''): string {
  return columns.map((c) => `${prefix}${quoteIdent(c.name)}`).join(', ');
}

/** A row's content hash: every event column's canonical form. */
export function contentHash(columns: Column[], prefix = ''): string {
  return `cityHash64(${columns.map((c) => hashArgument(`${prefix}${quoteIdent(c.name)}`, c.type)).join(', ')})`;
}

/** One column's hash, for naming the columns that differ. */
export function columnHash(c: Column, prefix = ''): string {
  return `cityHash64(${hashArgument(`${prefix}${quoteIdent(c.name)}`, c.type)})`;
}

/**
 * The settings of every query that names a pipeline's columns beside its own aliases: a field
 * may share an alias's name (`rows`, `partition`, `h`), and the column must win.
 */
export const COLUMNS_BEFORE_ALIASES = { prefer_column_name_to_alias: 1 } as const;

/** What parity needs of a pipeline's columns. */
export interface Content {
  columns: Column[];
  /** The quoted column list. */
  list: string;
  /** The content hash over unprefixed columns. */
  hash: string;
  /** The columns as one tuple ClickHouse can always print (display), each with `prefix`. */
  row(prefix?: string): string;
}

export function contentOf(columns: Column[]): Content {
  return { columns, list: columnList(columns), hash: contentHash(columns), row: (prefix = '') => rowTuple(columns, prefix) };
}

/** The columns as one printable tuple (an enum column may hold a number none of its symbols). */
export function rowTuple(columns: Column[], prefix = ''): string {
  return `tuple(${columns.map((c) => display(`${prefix}${quoteIdent(c.name)}`, c.type)).join(', ')})`;
}
