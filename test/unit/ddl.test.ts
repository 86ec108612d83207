import { describe, expect, it } from 'vitest';
import { loadSqlFiles, renderSql, splitStatements, templateValues, TemplateError } from '../../src/clickhouse/ddl.js';
import { loadConfig } from '../../src/config.js';
import { addColumnStatements, kafkaEngineDropStatements, kafkaEngineSettings, kafkaEngineStatements, pipelineDdl, qualified } from '../../src/pipeline/ddl.js';
import { consumptionOrderProblems } from '../../src/pipeline/ddl-order.js';
import { SCHEMAS, schemaFile, shippedPipeline } from './pipeline-fixtures.js';

const env = {
  CLICKHOUSE_ADMIN_PASSWORD: 'a',
  CLICKHOUSE_CONNECTOR_PASSWORD: 'c',
  CLICKHOUSE_READER_PASSWORD: 'r',
  CLICKHOUSE_PARITY_PASSWORD: 'p',
  CLICKHOUSE_KAFKA_BROKER_LIST: '127.0.0.1:9092',
  CLICKHOUSE_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
};
const config = loadConfig(env);
const endpoints = { brokerList: config.clickhouseKafka.brokerList, registryUrl: config.clickhouseKafka.registryUrl };
const userEvents = shippedPipeline('user_events');
const orders = shippedPipeline('orders');

describe('sql templates', () => {
  it('fills placeholders and refuses unknown ones', () => {
    expect(renderSql("x = '{{ topic }}'", { topic: 'events' })).toBe("x = 'events'");
    expect(() => renderSql('{{nope}}', { topic: 'e' }, 'f.sql')).toThrow(/f.sql: unknown placeholder \{\{nope\}\}/);
  });

  it('refuses values that would break out of a quoted literal', () => {
    expect(() => renderSql("'{{topic}}'", { topic: "e'; DROP TABLE x" })).toThrow(TemplateError);
  });

  it('splits statements at line-ending semicolons and drops comments', () => {
    expect(splitStatements('-- c\nSELECT 1;\n\nSELECT 2;\n-- only a comment\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it("renders the repository sql/ and the shipped user_events pipeline's DDL for the embedded endpoints with both legs and lineage", () => {
    const files = [...loadSqlFiles(templateValues(config)), ...pipelineDdl(userEvents, schemaFile(SCHEMAS.userEvents).columns, endpoints)];
    const all = files.flatMap((f) => f.statements).join('\n');
    expect(all).not.toMatch(/\{\{/);
    expect(all).toContain("kafka_format = 'AvroConfluent'");
    expect(all).toContain("format_avro_schema_registry_url = 'http://127.0.0.1:8081/apis/ccompat/v7'");
    expect(all).toContain("kafka_handle_error_mode = 'stream'");
    expect(all).toContain("kafka_topic_list = 'user_events'");
    expect(all).toContain("kafka_group_name = 'clickhouse-kit-user-events'");
    expect(all).toMatch(/CREATE TABLE IF NOT EXISTS kit\.events_connect[\s\S]*_topic[\s\S]*_partition[\s\S]*_offset/);
    expect(all).toMatch(/events_kafka_errors_mv[\s\S]*_raw_message[\s\S]*_error/);
    expect(all).toContain('CREATE TABLE IF NOT EXISTS kit.parity_watermarks');
    // Idempotent, so sql:apply can run again: creates guarded by IF NOT EXISTS, or a setting set again.
    for (const statement of files.flatMap((f) => f.statements)) expect(statement).toMatch(/^CREATE \w+( VIEW)? IF NOT EXISTS |^ALTER TABLE \S+\s+(MODIFY SETTING |ADD COLUMN IF NOT EXISTS )/);
    expect(all).toContain('ALTER TABLE kit.events_connect MODIFY SETTING non_replicated_deduplication_window = 1000');
  });
});

describe("a pipeline's DDL", () => {
  const columns = schemaFile(SCHEMAS.orders).columns;
  const files = pipelineDdl(orders, columns, endpoints);
  const statements = files.flatMap((f) => f.statements);

  it("derives both legs' tables from the schema's columns, with their defaults on the targets only", () => {
    expect(files.map((f) => f.file)).toEqual(['orders: database', 'orders: connector table', 'orders: Kafka-engine targets', 'orders: Kafka engine']);
    const connector = statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS kit.orders_connect'))!;
    expect(connector).toContain('    `order_id` UUID,');
    expect(connector).toContain("    `total` Decimal(18, 2),");
    expect(connector).toContain('    `schema_version` Int32 DEFAULT CAST(1 AS Int32),');
    expect(connector).toContain('    `tags` Array(String) DEFAULT CAST([] AS Array(String)),');
    expect(connector).toMatch(/ORDER BY \(_topic, _partition, _offset\)/);
    expect(statements).toContain('CREATE TABLE IF NOT EXISTS kit.orders_kafka AS kit.orders_connect\nENGINE = MergeTree\nORDER BY (_topic, _partition, _offset)');
    // The Kafka engine takes no DEFAULT.
    const queue = statements.find((s) => /ENGINE = Kafka/.test(s))!;
    expect(queue).toMatch(/^CREATE TABLE IF NOT EXISTS kit\.orders_kafka_queue\n/);
    expect(queue).toContain('    `schema_version` Int32\n)\nENGINE = Kafka');
    expect(queue).not.toContain('DEFAULT');
    expect(queue).toContain('input_format_avro_allow_missing_fields = 1');
  });

  it('creates the Kafka table and its one view last, so consumption starts with everything attached', () => {
    expect(consumptionOrderProblems(statements, orders.tables)).toEqual([]);
    expect(statements.at(-1)).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS kit\.orders_kafka_queue_mv TO kit\.orders_kafka_fanout AS\nSELECT\n {4}`order_id`, `customer_id`/);
    const recreate = [...kafkaEngineDropStatements(orders), ...kafkaEngineStatements(orders, columns, endpoints)];
    expect(recreate.slice(0, 2)).toEqual(['DROP VIEW IF EXISTS kit.orders_kafka_queue_mv SYNC', 'DROP TABLE IF EXISTS kit.orders_kafka_queue SYNC']);
    expect(consumptionOrderProblems(recreate, orders.tables)).toEqual([]);
  });

  it("sets the Kafka engine's settings from the pipeline, its own settings over the kit's", () => {
    const p = { ...orders, kafkaEngine: { ...orders.kafkaEngine, consumers: 3, skipBrokenMessages: 5, maxBlockSize: 1000, settings: { kafka_flush_interval_ms: '250', kafka_poll_max_batch_size: '10' } } };
    const settings = Object.fromEntries(kafkaEngineSettings(p, endpoints));
    expect(settings).toMatchObject({
      kafka_broker_list: "'127.0.0.1:9092'",
      kafka_topic_list: "'orders'",
      kafka_group_name: "'clickhouse-kit-orders'",
      kafka_num_consumers: '3',
      kafka_flush_interval_ms: '250',
      kafka_skip_broken_messages: '5',
      kafka_max_block_size: '1000',
      kafka_poll_max_batch_size: '10',
    });
    expect(kafkaEngineSettings(p, endpoints).filter(([k]) => k === 'kafka_flush_interval_ms')).toHaveLength(1);
  });

  it("adds each of a schema's columns after the one before it (the first first), with its default", () => {
    const v2 = schemaFile(SCHEMAS.userEventsV2).columns;
    const alter = addColumnStatements(userEvents, v2, userEvents.tables.connector);
    expect(alter).toHaveLength(7);
    expect(alter[0]).toBe('ALTER TABLE kit.events_connect ADD COLUMN IF NOT EXISTS `id` String FIRST');
    expect(alter[6]).toBe('ALTER TABLE kit.events_connect ADD COLUMN IF NOT EXISTS `session_id` Nullable(String) DEFAULT NULL AFTER `referrer`');
    expect(addColumnStatements(userEvents, v2, userEvents.tables.kafka)[6]).toMatch(/^ALTER TABLE kit\.events_kafka /);
  });

  it('refuses a table name that is not a plain identifier', () => {
    expect(qualified('kit', 'orders_connect')).toBe('kit.orders_connect');
    expect(() => qualified('kit', 'x; DROP TABLE y')).toThrow(/not a plain identifier/);
  });
});
