/** Shared by the integration tests: a config isolated per test file, and polling. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KitConfig } from '../../src/config.js';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from '../../src/clickhouse/ddl.js';
import { ensureTopic } from '../../src/kafka.js';
import type { ProduceOptions } from '../../src/produce/producer.js';
import { isolatedKitConfig } from '../../src/stack/clickhouse/isolated-users.js';

/**
 * The kit's config with a database, topic and consumer group of its own, and the test
 * run's ClickHouse users for such databases (src/stack/clickhouse/isolated-users.ts).
 */
export function isolatedConfig(prefix: string): KitConfig {
  const tag = `${prefix}_${randomBytes(4).toString('hex')}`;
  return isolatedKitConfig({ database: `it_${tag}`, topic: `it_${tag}`, group: `it_${tag}_ch`, connector: `it-it_${tag}` });
}

/** The environment that makes the kit's CLIs act on a test's own kit. */
export function cliEnv(config: KitConfig, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLICKHOUSE_DATABASE: config.clickhouse.database,
    KIT_TOPIC: config.topic,
    KIT_KAFKA_ENGINE_GROUP: config.clickhouseKafka.consumerGroup,
    KIT_CONNECTOR_NAME: config.connector.name,
    CLICKHOUSE_CONNECTOR_USER: config.clickhouse.connector.user,
    CLICKHOUSE_READER_USER: config.clickhouse.reader.user,
    CLICKHOUSE_PARITY_USER: config.clickhouse.parity.user,
    ...extra,
  };
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
  throw new Error(`${what}: not reached in ${timeoutMs / 1000} s; last value ${JSON.stringify(last)}`);
}

/** produce:avro options for a test's config: 3 partitions, as fast as possible, no poison unless asked. */
export function produceOptions(config: KitConfig, options: Partial<ProduceOptions> & { count: number; seed: number }): ProduceOptions {
  return {
    brokers: config.kafka.brokers,
    registryUrl: config.registry.url,
    topic: config.topic,
    partitions: 3,
    rate: 0,
    batchSize: 500,
    poison: 0,
    compression: 'none',
    ...options,
  };
}

/**
 * A test's own kit: its topic first (so the Kafka engine's consumer finds it), then
 * the kit's SQL; returns an admin ClickHouse client for the test.
 */
export async function setUpKit(config: KitConfig): Promise<ClickHouseClient> {
  const ch = clickhouseClient(config, 'admin');
  await ensureTopic(config.kafka.brokers, config.topic, 3);
  await applySql(ch, loadSqlFiles(templateValues(config)));
  return ch;
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
