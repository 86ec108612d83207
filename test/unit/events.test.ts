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
