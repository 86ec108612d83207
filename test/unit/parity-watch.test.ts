import { describe, expect, it } from 'vitest';
import { checkLine, checkRecord, parseInterval, renderWatchSummary, watchParity, type CheckRecord } from '../../src/parity/watch.js';
import { legReport, parityReport, partitionReport } from './parity-fixtures.js';

function report(exact: boolean) {
  const p = partitionReport(0, { expected: 10, missing: exact ? 0 : 2 });
  return parityReport([legReport('kafka_engine', [p], { exact })], { exact, exitCode: exact ? 0 : 1, reasons: exact ? [] : ['kafka_engine: 2 offsets missing'], elapsedMs: 1200 });
}

describe('parseInterval', () => {
  it('reads durations with units, plain numbers as seconds', () => {
    expect(parseInterval('60s')).toBe(60_000);
    expect(parseInterval('2m')).toBe(120_000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('1.5')).toBe(1500);
  });

  it('refuses what is not a duration of at least 100 ms, naming the flag', () => {
    for (const bad of ['', 'soon', '10x', '50ms', '-1s']) expect(() => parseInterval(bad)).toThrow(/--interval takes a duration/);
  });
});

describe('watchParity', () => {
  it('checks until stopped and exits 0 when every check was exact', async () => {
    const stop = new AbortController();
    const seen: CheckRecord[] = [];
    const { checks, exitCode } = await watchParity(async () => [report(true)], {
      intervalMs: 1,
      failFast: false,
      signal: stop.signal,
      onCheck: (c) => {
        seen.push(c);
        if (seen.length === 3) stop.abort();
      },
    });
    expect(checks).toHaveLength(3);
    expect(exitCode).toBe(0);
    expect(checkLine(checks[0]!)).toMatch(/^\S+Z {2}EXACT {4}offsets checked: kafka_engine 10 {2}\(1\.2 s\)$/);
  });

  it('with failFast stops at the first difference, exit 1', async () => {
    const results = [true, true, false, true];
    let i = 0;
    const { checks, exitCode } = await watchParity(async () => [report(results[i++]!)], { intervalMs: 1, failFast: true, signal: new AbortController().signal, onCheck: () => undefined });
    expect(checks.map((c) => c.exact)).toEqual([true, true, false]);
    expect(exitCode).toBe(1);
    expect(checkLine(checks[2]!)).toContain('DIFFERS  offsets checked: kafka_engine 10  (1.2 s)  kafka_engine: 2 offsets missing');
    const summary = renderWatchSummary(checks);
    expect(summary).toMatch(/│ checks +│ 3 /);
    expect(summary).toMatch(/│ differing +│ 1 /);
    expect(summary).toContain('kafka_engine: 2 offsets missing');
  });

  it('wakes from its wait when stopped', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const done = watchParity(async () => [report(true)], { intervalMs: 3_600_000, failFast: false, signal: stop.signal, onCheck: () => stop.abort() });
    expect((await done).checks).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('goes on after a check that throws, and counts it', async () => {
    let i = 0;
    const stop = new AbortController();
    const { checks, exitCode } = await watchParity(
      async () => {
        if (i++ === 0) throw new Error('ECONNREFUSED');
        return [report(true)];
      },
      { intervalMs: 1, failFast: false, signal: stop.signal, onCheck: (_c) => { if (i === 2) stop.abort(); } },
    );
    expect(checks.map((c) => c.error)).toEqual(['ECONNREFUSED', undefined]);
    expect(checkLine(checks[0]!)).toMatch(/ERROR +ECONNREFUSED/);
    expect(exitCode).toBe(1);
  });
});

describe('checkRecord', () => {
  it('takes one report as it is', () => {
    const c = checkRecord(report(false), new Date('2026-01-01T00:00:00Z'));
    expect(c).toEqual({ at: '2026-01-01T00:00:00.000Z', exact: false, elapsedMs: 1200, covered: { kafka_engine: 10 }, reasons: ['kafka_engine: 2 offsets missing'] });
  });

  it('names each pipeline in its legs and reasons when one check covers several', () => {
    const c = checkRecord([{ ...report(true), pipeline: 'user_events' }, { ...report(false), pipeline: 'orders' }]);
    expect(c.exact).toBe(false);
    expect(c.elapsedMs).toBe(2400);
    expect(c.covered).toEqual({ 'user_events/kafka_engine': 10, 'orders/kafka_engine': 10 });
    expect(c.reasons).toEqual(['orders/kafka_engine: 2 offsets missing']);
  });
});
