/**
 * The kit's own DDL in `sql/` (its database, parity's watermarks), rendered from the kit's
 * config, and applying DDL statement by statement, idempotently (IF NOT EXISTS). Each
 * pipeline's tables are derived from its schema (src/pipeline/ddl.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KitConfig } from '../config.js';
import { projectRoot } from '../paths.js';
import { UsageError } from '../errors.js';

export const SQL_DIR = path.join(projectRoot, 'sql');

/** A `{{name}}` in sql/ that the configuration gives no value for: bad input (exit 2). */
export class TemplateError extends UsageError {
  override name = 'TemplateError';
}

export type TemplateValues = Record<string, string>;

export function templateValues(config: KitConfig): TemplateValues {
  return { database: config.clickhouse.database };
}

/** Fills {{name}} placeholders; an unknown name or a value that would break a quoted literal is an error. */
export function renderSql(text: string, values: TemplateValues, source = 'sql'): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new TemplateError(`${source}: unknown placeholder {{${name}}}; known: ${Object.keys(values).join(', ')}`);
    }
    if (/['\\\n;]/.test(value)) {
      throw new TemplateError(`${source}: the value for {{${name}}} contains a quote, backslash, newline or semicolon: ${JSON.stringify(value)}`);
    }
    return value;
  });
}

/** Splits a file into statements at semicolons that end a line, dropping comment-only chunks. */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--[^\n]*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

export interface SqlFile {
  file: string;
  statements: string[];
}

export function loadSqlFiles(values: TemplateValues, dir = SQL_DIR): SqlFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => ({ file, statements: splitStatements(renderSql(readFileSync(path.join(dir, file), 'utf8'), values, file)) }));
}

export interface AppliedStatement {
  file: string;
  statement: string;
  ms: number;
}

export async function applySql(
  client: ClickHouseClient,
  files: SqlFile[],
  onStatement: (s: AppliedStatement) => void = () => {},
): Promise<AppliedStatement[]> {
  const applied: AppliedStatement[] = [];
  for (const { file, statements } of files) {
    for (const statement of statements) {
      const started = Date.now();
      try {
        await client.command({ query: statement });
      } catch (e) {
        // The cause keeps ClickHouse's code (auth, unreachable) for the exit code.
        throw new Error(`${file}: ${(e as Error).message}\nin statement:\n${statement}`, { cause: e });
      }
      const entry = { file, statement, ms: Date.now() - started };
      applied.push(entry);
      onStatement(entry);
    }
  }
  return applied;
}
