/**
 * produce:avro ends when its work does: once produceAvro() resolves, nothing it
 * started (a lane's worker, a timer) may hold the process open. In a file of its
 * own, so no earlier run's leftovers are in the count.
 */
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { produceAvro } from '../../src/produce/producer.js';
import { produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('produce_exit', {}, false));
});

afterAll(async () => {
  const admin = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [up.pipeline.topic.name] }).catch(() => undefined);
  await admin.disconnect();
  await kit?.drop();
});

describe('produce:avro', () => {
  it('leaves no timer or worker holding the process once it has returned', async () => {
    const held = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'MessagePort').length;
    const before = held();
    const summary = await produceAvro(produceOptions(kit, up, { count: 50, seed: 4, lanes: 3 }));
    expect(summary.events).toBe(50);
    expect(held()).toBeLessThanOrEqual(before);
  });
});
