import { describe, expect, it } from 'vitest';
import { junitReport } from '../../src/parity/junit.js';
import { legReport as leg, parityReport as report, partitionReport as partition } from './parity-fixtures.js';

const count = (xml: string, re: RegExp) => (xml.match(re) ?? []).length;

describe('junitReport', () => {
  it('has one passing test case per leg and partition when parity is exact', () => {
    const xml = junitReport(report([leg('connector', [partition(0), partition(1)]), leg('kafka_engine', [partition(0), partition(1)])]));
    expect(count(xml, /<testcase /g)).toBe(4);
    expect(count(xml, /<failure/g)).toBe(0);
    expect(xml).toContain('classname="parity.connector" name="user-events partition 1"');
    expect(xml).toMatch(/<testsuites name="verify:parity" tests="4" failures="0"/);
  });

  it('fails exactly the partitions with a difference, with the difference as the message', () => {
    const connector = leg('connector', [partition(0, { missing: 3, distinctOffsets: 97, rows: 97, missingRanges: [{ from: '10', to: '12' }] }), partition(1)]);
    const engine = leg('kafka_engine', [partition(0), partition(1, { duplicates: 2, rows: 102, duplicateRanges: [{ from: '5', to: '6', copies: 2 }] })]);
    const xml = junitReport(report([connector, engine], {
      witness: {
        compared: true, sample: { percent: 100, sampled: 200, read: 200, note: '' }, legs: [], examples: [], undecodable: [], phasesMs: { read: 1, compare: 1 }, elapsedMs: 2,
        partitions: [{ partition: 1, events: 100, undecodable: 0, checksum: '1', legs: [{ leg: 'connector', rows: 100, checksum: '2', equal: false, differing: 1, notEvents: 0, columns: { referrer: 1, id: 0 } }] }],
      },
    }));
    expect(count(xml, /<testcase /g)).toBe(4);
    expect(count(xml, /<failure /g)).toBe(3);
    expect(xml).toContain('3 offsets missing: [10, 12]');
    expect(xml).toContain('2 duplicate rows: [5, 6]');
    expect(xml).toContain('differs from the topic at 1 offsets (referrer 1)');
  });

  it('fails an absent leg only when the run required it', () => {
    const absent = leg('connector', [], { present: false, absentReason: 'table kit.x does not exist' });
    const required = junitReport(report([absent, leg('kafka_engine', [partition(0)])], { require: 'both', reasons: ['connector: absent (table kit.x does not exist)'] }));
    expect(required).toMatch(/name="user-events: leg present"[^>]*>\s*<failure message="absent: table kit.x does not exist"/);
    for (const require of ['any', undefined] as const) {
      const optional = junitReport(report([absent, leg('kafka_engine', [partition(0)])], require ? { require } : {}));
      expect(optional).toContain('<skipped/>');
      expect(count(optional, /<failure/g)).toBe(0);
    }
  });

  it('names each pipeline in its class names when it holds several reports', () => {
    const xml = junitReport([
      report([leg('connector', [partition(0)])], { pipeline: 'user_events', topic: 'user_events' }),
      report([leg('kafka_engine', [partition(0, { missing: 1, distinctOffsets: 99, rows: 99, missingRanges: [{ from: '4', to: '4' }] })])], { pipeline: 'orders', topic: 'orders' }),
    ]);
    expect(xml).toContain('classname="parity.user_events.connector" name="user_events partition 0"');
    expect(xml).toContain('classname="parity.orders.kafka_engine" name="orders partition 0"');
    expect(xml).toMatch(/<testsuites name="verify:parity" tests="2" failures="1"/);
    expect(xml).toContain('1 offsets missing: 4');
    // One report reads as before: classes without the pipeline.
    expect(junitReport([report([leg('connector', [partition(0)])], { pipeline: 'user_events' })])).toContain('classname="parity.connector"');
  });
});
