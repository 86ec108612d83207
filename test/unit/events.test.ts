import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { ACTIONS, EventGenerator, readSchema } from '../../src/produce/events.js';
import { poisonSlots, poisonValue } from '../../src/produce/producer.js';

describe('event generator', () => {
  it('gives the same events for the same seed and different ones for another', () => {
    const a = new EventGenerator(42).take(100);
    const b = new EventGenerator(42).take(100);
    const c = new EventGenerator(43).take(100);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps the events a seed has always made (runs stay comparable across kit versions)', () => {
    const events = new EventGenerator(42).take(1000);
    expect(events.slice(0, 2)).toEqual([
      { id: 'ff80dcaf-d154-43f4-a828-23923eeed0e4', user_id: 'user-00852', action: 'purchase', event_time: 1767225600006, version: 1, referrer: 'social' },
      { id: '162a1179-b460-44e5-ad65-f699d7f2daba', user_id: 'user-02880', action: 'view', event_time: 1767225600040, version: 1, referrer: 'ads' },
    ]);
    expect(events[999]).toEqual({ id: '0cbab0ec-848f-4f42-8eb8-388ecd10e1c8', user_id: 'user-07858', action: 'logout', event_time: 1767225624862, version: 1, referrer: 'search' });
  });

  it('makes events the Avro schema accepts, with unique UUIDs and increasing times', () => {
    const type = avro.Type.forSchema(JSON.parse(readSchema()));
    const events = new EventGenerator(7).take(2000);
    for (const e of events) expect(type.isValid(e)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events) expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (let i = 1; i < events.length; i++) expect(events[i]!.event_time).toBeGreaterThan(events[i - 1]!.event_time);
    expect(new Set(events.map((e) => e.action))).toEqual(new Set(ACTIONS));
    expect(events.some((e) => e.referrer === null)).toBe(true);
    expect(events.some((e) => e.referrer !== null)).toBe(true);
  });
});

describe('poison messages', () => {
  it('spreads them evenly over the run', () => {
    expect([...poisonSlots(100, 3)]).toEqual([25, 50, 75]);
    expect(poisonSlots(10, 0).size).toBe(0);
  });

  it('are not in the Confluent wire format', () => {
    expect(poisonValue(0)[0]).not.toBe(0);
  });
});
