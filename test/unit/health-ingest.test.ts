import { describe, expect, it } from 'vitest';
import { ingestQuery, legIngestFromRow } from '../../src/health/ingest.js';

describe("each leg's ingest over the last minute", () => {
  it('reads the window from the rows themselves: write time minus Kafka timestamp, in ms, rows without a Kafka timestamp left out', () => {
    const q = ingestQuery('kit.events_connect', 'user_events', 60);
    expect(q.params).toEqual({ topic: 'user_events', window: 60 });
    expect(q.query).toMatch(/toUnixTimestamp64Milli\(_inserted_at\) - toUnixTimestamp64Milli\(_kafka_timestamp\)/);
    expect(q.query).toMatch(/_inserted_at >= now64\(3\) - toIntervalSecond\(\{window:UInt32\}\)/);
    expect(q.query).toMatch(/_kafka_timestamp > toDateTime64\(0, 3, 'UTC'\)/);
    expect(q.query).toMatch(/FROM kit\.events_connect/);
  });

  it('gives rows per second and the quantiles, or no freshness without rows', () => {
    const base = { leg: 'connector', table: 'kit.events_connect', windowSec: 60 };
    expect(legIngestFromRow(base, { rows: '300000', q: ['412', '1850'], max_ms: '2400' })).toEqual({
      ...base,
      exists: true,
      rows: 300000,
      rowsPerSec: 5000,
      freshnessMs: { p50: 412, p99: 1850, max: 2400 },
    });
    expect(legIngestFromRow(base, { rows: '0', q: ['0', '0'], max_ms: '0' })).toEqual({ ...base, exists: true, rows: 0, rowsPerSec: 0 });
  });
});
