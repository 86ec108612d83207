/**
 * `produce:avro --from-file`: the user's own records, one Avro JSON record per line, each
 * checked against the schema before anything is sent. A bad line is named (line number, field,
 * why); the run sends nothing while a file has one, unless asked to skip them.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { ParsedSchema } from '../pipeline/avro.js';
import { AvroJsonError, fromAvroJson } from '../pipeline/avro-json.js';
import { avroType } from '../pipeline/values.js';

export interface BadLine {
  line: number;
  problem: string;
}

export interface RecordsFile {
  records: Record<string, unknown>[];
  bad: BadLine[];
}

/** How many bad lines an error lists. */
const LISTED = 20;

/** Reads and checks every line; throws a UsageError naming the bad lines unless `skipBad`. */
export function readRecordsFile(file: string, schema: ParsedSchema, skipBad: boolean): RecordsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--from-file ${file}: ${(e as Error).message}`);
  }
  const type = avroType(schema.json);
  const records: Record<string, unknown>[] = [];
  const bad: BadLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      bad.push({ line, problem: `not JSON: ${(e as Error).message}` });
      return;
    }
    try {
      const value = fromAvroJson(schema.root, json, '') as Record<string, unknown>;
      const wrong: string[] = [];
      if (!type.isValid(value, { errorHook: (p: string[]) => wrong.push(p.join('.')) })) {
        bad.push({ line, problem: `does not fit the schema at ${wrong.join(', ') || 'the top level'}` });
        return;
      }
      records.push(value);
    } catch (e) {
      if (e instanceof AvroJsonError) bad.push({ line, problem: e.message });
      else throw e;
    }
  });
  if (bad.length > 0 && !skipBad) {
    const listed = bad.slice(0, LISTED).map((b) => `  line ${b.line}: ${b.problem}`);
    throw new UsageError(
      `--from-file ${file}: ${bad.length} of ${bad.length + records.length} line(s) are not records of the schema (${schema.fullName}); nothing was sent:\n${listed.join('\n')}` +
        `${bad.length > LISTED ? `\n  (+${bad.length - LISTED} more)` : ''}\nFix them, or send the good lines with --skip-bad.`,
    );
  }
  if (records.length === 0) throw new UsageError(`--from-file ${file} holds no record`);
  return { records, bad };
}
