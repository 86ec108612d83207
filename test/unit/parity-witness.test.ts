import { describe, expect, it } from 'vitest';
import { OffsetSample } from '../../src/parity/witness/sample.js';
import { toEvent, type TopicEvent } from '../../src/parity/witness/topic-reader.js';
import { columnDiffers, legDiffSummaryQuery } from '../../src/parity/witness/queries.js';

describe('OffsetSample', () => {
  it('takes every offset at 100%', () => {
    const s = new OffsetSample(100);
    for (let o = 0n; o < 1000n; o++) expect(s.has(0, o)).toBe(true);
  });

  it('takes close to the percentage, the same offsets every time, and a larger sample holds a smaller one', () => {
    const one = new OffsetSample(1);
    const again = new OffsetSample(1);
    const ten = new OffsetSample(10);
    let inOne = 0;
    let inTen = 0;
    // Counted, then asserted once: 300,000 expect() calls take seconds on a loaded machine.
    let unstable = 0;
    let notNested = 0;
    for (let p = 0; p < 3; p++) {
      for (let o = 0n; o < 100_000n; o++) {
        const a = one.has(p, o);
        if (again.has(p, o) !== a) unstable++;
        const b = ten.has(p, o);
        if (a && !b) notNested++;
        inOne += Number(a);
        inTen += Number(b);
      }
    }
    expect(unstable).toBe(0);
    expect(notNested).toBe(0);
    expect(inOne / 300_000).toBeGreaterThan(0.009);
    expect(inOne / 300_000).toBeLessThan(0.011);
    expect(inTen / 300_000).toBeGreaterThan(0.098);
    expect(inTen / 300_000).toBeLessThan(0.102);
  });

  it('samples differently per partition', () => {
    const s = new OffsetSample(50);
    let same = 0;
    for (let o = 0n; o < 10_000n; o++) same += Number(s.has(0, o) === s.has(1, o));
    expect(same).toBeGreaterThan(4500);
    expect(same).toBeLessThan(5500);
  });

  it('refuses a percentage outside (0, 100]', () => {
    expect(() => new OffsetSample(0)).toThrow(/\(0, 100\]/);
    expect(() => new OffsetSample(101)).toThrow(/\(0, 100\]/);
    expect(() => new OffsetSample(Number.NaN)).toThrow(/\(0, 100\]/);
  });
});

describe('toEvent', () => {
  const event = { id: 'a', user_id: 'u', action: 'view', event_time: 1_700_000_000_123, version: 1, referrer: null };

  it('takes the event columns and ignores fields a later schema adds', () => {
    expect(toEvent({ ...event, session_id: 's' })).toMatchObject(event);
    expect((toEvent({ ...event, referrer: 'ads' }) as TopicEvent).referrer).toBe('ads');
  });

  it('reads an absent optional referrer as NULL', () => {
    const { referrer: _r, ...noReferrer } = event;
    expect((toEvent(noReferrer) as TopicEvent).referrer).toBeNull();
  });

  it('names the columns a record lacks', () => {
    expect(toEvent({ id: 'a', user_id: 3, referrer: 5 })).toBe('not an event: user_id, action, event_time, version, referrer missing or of another type');
  });
});

describe('the witness SQL', () => {
  it('tells NULL from the empty string', () => {
    expect(columnDiffers('referrer')).toContain('isNull(l.referrer) != isNull(t.referrer)');
    expect(columnDiffers('event_time')).toBe('l.event_time != t.event_time');
    expect(() => columnDiffers('_offset')).toThrow(/not an event column/);
  });

  it('counts differences per column, by bound parameters only', () => {
    const q = legDiffSummaryQuery('kit.events_connect', 'user-events', [{ partition: 1, from: 5n, to: 9n }]);
    for (const c of ['id', 'user_id', 'action', 'event_time', 'version', 'referrer']) expect(q.query).toContain(`AS diff_${c}`);
    expect(q.query).not.toContain('user-events');
    expect(q.params).toMatchObject({ topic: 'user-events', p0: 1, lo0: '5', hi0: '9' });
  });
});
