/** Shared by the integration tests: kits of their own on the embedded stack, and polling. */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { isolatedKit, type IsolatedKit } from '../../src/isolated-kit.js';
import type { PipelineInput } from '../../src/pipeline/isolated.js';
import { projectRoot } from '../../src/paths.js';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import type { ProduceOptions } from '../../src/produce/producer.js';

export { isolatedKit, type IsolatedKit };

/** The demo's schemas, as shipped in pipelines/. */
export const USER_EVENTS_SCHEMA = path.join(projectRoot, 'pipelines', 'schemas', 'user_events.avsc');
export const USER_EVENTS_V2_SCHEMA = path.join(projectRoot, 'pipelines', 'schemas', 'user_events.v2.avsc');
export const ORDERS_SCHEMA = path.join(projectRoot, 'pipelines', 'schemas', 'orders.avsc');

/** A kit whose pipeline is the demo's user_events (its tables named as the shipped pipeline names them), set up unless asked not to. */
export async function userEventsKit(prefix: string, extra: Omit<PipelineInput, 'name' | 'schema'> = {}, setUp = true): Promise<{ kit: IsolatedKit; r: ResolvedPipeline }> {
  const kit = isolatedKit(prefix);
  const r = await kit.pipeline(USER_EVENTS_SCHEMA, {
    key: { field: 'user_id' },
    ...extra,
    clickhouse: { connectorTable: 'events_connect', kafkaTable: 'events_kafka', ...extra.clickhouse },
  });
  if (setUp) await kit.setUp(r);
  return { kit, r };
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const started = Date.now();
  let last: T | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await probe();
    if (done(last)) return last;
    await sleep(500);
  }
  throw new Error(`${what}: not reached in ${timeoutMs / 1000} s; last value ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/** produce:avro options for a kit's pipeline: as fast as possible, no poison unless asked. */
export function produceOptions(kit: IsolatedKit, r: ResolvedPipeline, options: Partial<ProduceOptions> & { count: number; seed: number }): ProduceOptions {
  return {
    brokers: kit.config.kafka.brokers,
    registryUrl: kit.config.registry.url,
    pipeline: r.pipeline,
    schema: r.schema,
    ...(r.keySchema ? { keySchema: r.keySchema } : {}),
    rate: 0,
    batchSize: 500,
    poison: 0,
    compression: 'none',
    ...options,
  };
}

/** A statement that waits for its mutation (ALTER ... UPDATE/DELETE) to finish. */
export async function mutate(ch: ClickHouseClient, query: string): Promise<void> {
  await ch.command({ query, clickhouse_settings: { mutations_sync: '2' } });
}

/**
 * Parity fault tests' reference: `<db>.pristine` holds what the Kafka engine landed; this
 * puts both legs (the connector leg as a copy) back to it.
 */
export async function restoreLegsFromPristine(ch: ClickHouseClient, db: string): Promise<void> {
  await mutate(ch, `CREATE TABLE IF NOT EXISTS ${db}.events_connect AS ${db}.pristine`);
  for (const table of ['events_connect', 'events_kafka']) {
    await mutate(ch, `TRUNCATE TABLE ${db}.${table}`);
    await mutate(ch, `INSERT INTO ${db}.${table} SELECT * FROM ${db}.pristine`);
  }
}
