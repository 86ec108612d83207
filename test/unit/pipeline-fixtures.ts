/** The shipped pipelines and schemas, and small schemas built in a test, for the unit tests. */
import path from 'node:path';
import { parseSchema, type ParsedSchema } from '../../src/pipeline/avro.js';
import { loadPipelines, type Pipeline } from '../../src/pipeline/definition.js';
import { readSchemaFile } from '../../src/pipeline/load.js';
import { columnsOf, type Column } from '../../src/pipeline/mapping.js';
import { projectRoot } from '../../src/paths.js';

/** The four ClickHouse passwords the configuration requires, as dummies. */
export const PASSWORDS = {
  CLICKHOUSE_ADMIN_PASSWORD: 'admin-pw',
  CLICKHOUSE_CONNECTOR_PASSWORD: 'connector-pw',
  CLICKHOUSE_READER_PASSWORD: 'reader-pw',
  CLICKHOUSE_PARITY_PASSWORD: 'parity-pw',
};

export const PIPELINES_DIR = path.join(projectRoot, 'pipelines');
export const SCHEMAS = {
  userEvents: path.join(PIPELINES_DIR, 'schemas', 'user_events.avsc'),
  userEventsV2: path.join(PIPELINES_DIR, 'schemas', 'user_events.v2.avsc'),
  orders: path.join(PIPELINES_DIR, 'schemas', 'orders.avsc'),
};

/** The pipelines in pipelines/, for the kit's default database. */
export function shippedPipelines(database = 'kit'): Pipeline[] {
  return loadPipelines(PIPELINES_DIR, { database });
}

export function shippedPipeline(name: 'user_events' | 'orders', database = 'kit'): Pipeline {
  const p = shippedPipelines(database).find((x) => x.name === name);
  if (!p) throw new Error(`no shipped pipeline ${name}`);
  return p;
}

/** A schema file read and mapped to its columns. */
export function schemaFile(file: string): { parsed: ParsedSchema; columns: Column[] } {
  const { parsed } = readSchemaFile(file);
  return { parsed, columns: columnsOf(parsed, file) };
}

/** A record schema (named R unless `extra` names it) of these fields, written as a file would be: one field per line, so errors have lines. */
export function recordText(fields: unknown[], extra: Record<string, unknown> = {}): string {
  return `{\n  "type": "record",\n${Object.entries({ name: 'R', ...extra })
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`)
    .join('')}  "fields": [\n${fields.map((f) => `    ${JSON.stringify(f)}`).join(',\n')}\n  ]\n}\n`;
}

export function recordSchema(fields: unknown[], extra: Record<string, unknown> = {}): ParsedSchema {
  return parseSchema(recordText(fields, extra), 'test.avsc');
}

export function recordColumns(fields: unknown[]): Column[] {
  return columnsOf(recordSchema(fields), 'test.avsc');
}

/** The message of what `fn` throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}
