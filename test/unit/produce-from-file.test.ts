import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { readRecordsFile } from '../../src/produce/from-file.js';
import { tempDir } from '../temp-dir.js';
import { SCHEMAS, schemaFile, thrown } from './pipeline-fixtures.js';

const schema = schemaFile(SCHEMAS.userEvents).parsed;
const good = { id: 'a', user_id: 'u', action: 'view', event_time: '2026-01-31T12:00:00Z', version: 1, referrer: { string: 'ads' } };

function file(lines: string[]): string {
  const f = path.join(tempDir('kit-records-'), 'records.jsonl');
  writeFileSync(f, lines.join('\n'));
  return f;
}

describe('readRecordsFile', () => {
  it('reads one Avro JSON record per line, skipping blank lines', () => {
    const { records, bad } = readRecordsFile(file([JSON.stringify(good), '', JSON.stringify({ ...good, id: 'b', referrer: null, event_time: 5 }), '']), schema, false);
    expect(bad).toEqual([]);
    expect(records).toEqual([
      { id: 'a', user_id: 'u', action: 'view', event_time: Date.UTC(2026, 0, 31, 12), version: 1, referrer: 'ads' },
      { id: 'b', user_id: 'u', action: 'view', event_time: 5, version: 1, referrer: null },
    ]);
  });

  it('names every bad line, its field and why, and sends nothing', () => {
    const f = file([JSON.stringify(good), '{not json', JSON.stringify({ ...good, version: 'one' }), JSON.stringify({ ...good, extra: 1 })]);
    const e = thrown(() => readRecordsFile(f, schema, false));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(new RegExp(`^--from-file ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 3 of 4 line\\(s\\) are not records of the schema \\(dev\\.kit\\.events\\.UserEvent\\); nothing was sent:`));
    expect(e.message).toMatch(/\n {2}line 2: not JSON: /);
    expect(e.message).toMatch(/\n {2}line 3: field version: expected an int/);
    expect(e.message).toMatch(/\n {2}line 4: field extra: not a field of dev\.kit\.events\.UserEvent/);
    expect(e.message).toMatch(/Fix them, or send the good lines with --skip-bad\.$/);
  });

  it('sends the good lines with skipBad, keeping the bad ones for the report', () => {
    const { records, bad } = readRecordsFile(file([JSON.stringify(good), '{not json']), schema, true);
    expect(records).toHaveLength(1);
    expect(bad.map((b) => b.line)).toEqual([2]);
  });

  it('refuses a file without a record, and one that cannot be read', () => {
    expect(thrown(() => readRecordsFile(file(['', '  ']), schema, false)).message).toMatch(/holds no record$/);
    expect(thrown(() => readRecordsFile('/nope/records.jsonl', schema, false))).toBeInstanceOf(UsageError);
  });
});
