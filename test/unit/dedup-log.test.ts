import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePartName, reconcileDeduplicationLogs, reconcileLog } from '../../src/stack/clickhouse/dedup-log.js';
import { tempDir } from '../temp-dir.js';

const add = (part: string, block: string) => `1\t${part}\t${block}`;

describe('deduplication log reconciliation', () => {
  it('parses part names, with and without a mutation version', () => {
    expect(parsePartName('all_167_262_17')).toEqual({ partition: 'all', min: 167, max: 262 });
    expect(parsePartName('202611_3_3_0_7')).toEqual({ partition: '202611', min: 3, max: 3 });
    expect(parsePartName('detached')).toBeUndefined();
    expect(parsePartName('deduplication_logs')).toBeUndefined();
  });

  it('drops the ADD lines no part covers, keeping covered ones (merged too) and DROP lines', () => {
    const text = [add('all_1_1_0', 'all_1_a'), add('all_2_2_0', 'all_2_b'), add('all_3_3_0', 'all_3_c'), `2\tall_1_1_0\tall_1_a`, add('x_4_4_0', 'x_4_d'), ''].join('\n');
    const parts = [parsePartName('all_1_2_1')!];
    const r = reconcileLog(text, parts);
    expect(r.dropped).toEqual([add('all_3_3_0', 'all_3_c'), add('x_4_4_0', 'x_4_d')]);
    expect(r.text).toBe([add('all_1_1_0', 'all_1_a'), add('all_2_2_0', 'all_2_b'), `2\tall_1_1_0\tall_1_a`, ''].join('\n'));
  });

  it("rewrites a table's log under the data path and leaves a consistent one untouched", () => {
    const data = tempDir('kit-dedup-');
    const table = path.join(data, 'store', 'abc', 'abc-uuid');
    mkdirSync(path.join(table, 'deduplication_logs'), { recursive: true });
    for (const d of ['all_1_5_2', 'tmp_insert_all_6_6_0', 'detached']) mkdirSync(path.join(table, d));
    const log = path.join(table, 'deduplication_logs', 'deduplication_log_1.txt');
    writeFileSync(log, [add('all_5_5_0', 'b5'), add('all_6_6_0', 'b6'), ''].join('\n'));
    const result = reconcileDeduplicationLogs(data);
    expect(result).toEqual([{ file: log, dropped: [add('all_6_6_0', 'b6')] }]);
    expect(readFileSync(log, 'utf8')).toBe(`${add('all_5_5_0', 'b5')}\n`);
    expect(reconcileDeduplicationLogs(data)).toEqual([]);
  });
});
