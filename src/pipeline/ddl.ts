/**
 * Both legs' DDL for a pipeline, derived from its schema's columns (mapping.ts):
 *
 *   <connector table>      the sink connector's target: event columns + lineage, MergeTree
 *   <kafka table>          the Kafka engine's target, the same columns (AS the connector's)
 *   <kafka>_errors         messages the Kafka engine could not decode, with their bytes
 *   <kafka>_fanout         Null: the Kafka table's columns + its virtual columns
 *   <kafka>_mv             fan-out → target (decoded rows)
 *   <kafka>_errors_mv      fan-out → errors (rows with _error)
 *   <kafka>_queue          the Kafka-engine table (AvroConfluent through the registry)
 *   <kafka>_queue_mv       queue → fan-out: its only view, created last
 *
 * ClickHouse consumes from a Kafka table as soon as a view reads it, and sends each block only
 * to the views that exist then: the queue's one view comes last, after everything it feeds,
 * so no block is read while only one of the two targets is attached.
 */
import { quoteIdent, renderType, sqlString } from './clickhouse-type.js';
import { columnList } from './content.js';
import type { Pipeline } from './definition.js';
import type { Column } from './mapping.js';
import { defaultLiteral } from './values.js';

export interface DdlFile {
  /** What the statements are, for progress lines. */
  file: string;
  statements: string[];
}

/** Where the Kafka engine reaches the broker and the registry (container names in Docker). */
export interface KafkaEngineEndpoints {
  brokerList: string;
  registryUrl: string;
}

const LINEAGE = `    _topic            LowCardinality(String),
    _partition        Int32,
    _offset           Int64,
    _kafka_timestamp  DateTime64(3, 'UTC'),
    _inserted_at      DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1`;

/** `db.table`, each part checked to be a plain identifier. */
export function qualified(database: string, table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`not a plain identifier: ${database}.${table}`);
  return `${database}.${table}`;
}

/** A column of a table; `withDefault`: its DEFAULT, the field's Avro default (a Kafka-engine table takes none). */
function columnDefinition(c: Column, withDefault = true): string {
  const def = withDefault && c.default ? ` DEFAULT ${defaultLiteral(c.avro, c.type, c.default.value)}` : '';
  return `    ${quoteIdent(c.name)} ${renderType(c.type)}${def}`;
}

function engineClause(p: Pipeline): string {
  const partition = p.partitionBy ? `\nPARTITION BY ${p.partitionBy}` : '';
  return `ENGINE = MergeTree${partition}\nORDER BY (${p.orderBy.join(', ')})`;
}

/** Settings of the Kafka-engine table, from the pipeline. */
export function kafkaEngineSettings(p: Pipeline, endpoints: KafkaEngineEndpoints): [string, string][] {
  const k = p.kafkaEngine;
  const settings: [string, string][] = [
    ['kafka_broker_list', sqlString(endpoints.brokerList)],
    ['kafka_topic_list', sqlString(p.topic.name)],
    ['kafka_group_name', sqlString(k.group)],
    ['kafka_format', "'AvroConfluent'"],
    ['format_avro_schema_registry_url', sqlString(endpoints.registryUrl)],
    ['kafka_handle_error_mode', sqlString(k.errorMode)],
    ['kafka_num_consumers', String(k.consumers)],
    ['kafka_flush_interval_ms', String(k.flushIntervalMs)],
    // A record written with an older schema (without a field a later one added) is read, not
    // refused: the field takes its type's zero (the Kafka table has no DEFAULT; ClickHouse's
    // Avro reader does not apply the Avro default), which parity names as a difference.
    ['input_format_avro_allow_missing_fields', '1'],
  ];
  if (k.skipBrokenMessages > 0) settings.push(['kafka_skip_broken_messages', String(k.skipBrokenMessages)]);
  if (k.maxBlockSize) settings.push(['kafka_max_block_size', String(k.maxBlockSize)]);
  for (const [key, value] of Object.entries(k.settings)) {
    const i = settings.findIndex(([name]) => name === key);
    if (i >= 0) settings[i] = [key, value];
    else settings.push([key, value]);
  }
  return settings;
}

/** The statements that stop the Kafka engine and remove its fan-out (a recreate): consumption first. */
export function kafkaEngineDropStatements(p: Pipeline): string[] {
  const t = p.tables;
  const q = (name: string) => qualified(p.database, name);
  return [
    `DROP VIEW IF EXISTS ${q(t.kafkaQueueView)} SYNC`,
    `DROP TABLE IF EXISTS ${q(t.kafkaQueue)} SYNC`,
    `DROP VIEW IF EXISTS ${q(t.kafkaView)} SYNC`,
    `DROP VIEW IF EXISTS ${q(t.kafkaErrorsView)} SYNC`,
    `DROP TABLE IF EXISTS ${q(t.kafkaFanout)} SYNC`,
  ];
}

/** The target tables' columns added since they were created (ADD COLUMN IF NOT EXISTS, each after the previous). */
export function addColumnStatements(p: Pipeline, columns: Column[], table: string): string[] {
  return columns.map((c, i) => `ALTER TABLE ${qualified(p.database, table)} ADD COLUMN IF NOT EXISTS ${columnDefinition(c).trim()}${i === 0 ? ' FIRST' : ` AFTER ${quoteIdent(columns[i - 1]!.name)}`}`);
}

/** The fan-out, its two views, the Kafka table and its one view: consumption starts with the last statement. */
export function kafkaEngineStatements(p: Pipeline, columns: Column[], endpoints: KafkaEngineEndpoints): string[] {
  const t = p.tables;
  const q = (name: string) => qualified(p.database, name);
  const cols = columnList(columns);
  return [
    `CREATE TABLE IF NOT EXISTS ${q(t.kafkaFanout)}
(
${columns.map((c) => columnDefinition(c, false)).join(',\n')},
    _topic        LowCardinality(String),
    _partition    UInt64,
    _offset       UInt64,
    _timestamp_ms Nullable(DateTime64(3, 'UTC')),
    _error        String,
    _raw_message  String
)
ENGINE = Null`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(t.kafkaView)} TO ${q(t.kafka)} AS
SELECT
    ${cols},
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset,
    ifNull(_timestamp_ms, toDateTime64(0, 3, 'UTC')) AS _kafka_timestamp
FROM ${q(t.kafkaFanout)}
WHERE length(_error) = 0`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(t.kafkaErrorsView)} TO ${q(t.kafkaErrors)} AS
SELECT
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset,
    _raw_message,
    _error
FROM ${q(t.kafkaFanout)}
WHERE length(_error) > 0`,
    // The Kafka engine takes no DEFAULT: a field a record was written without (an older
    // schema) reads as its type's zero, where the target tables' DEFAULT is its Avro default.
    `CREATE TABLE IF NOT EXISTS ${q(t.kafkaQueue)}
(
${columns.map((c) => columnDefinition(c, false)).join(',\n')}
)
ENGINE = Kafka
SETTINGS
${kafkaEngineSettings(p, endpoints).map(([k, v]) => `    ${k} = ${v}`).join(',\n')}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(t.kafkaQueueView)} TO ${q(t.kafkaFanout)} AS
SELECT
    ${cols},
    _topic, _partition, _offset, _timestamp_ms, _error, _raw_message
FROM ${q(t.kafkaQueue)}`,
  ];
}

/**
 * Every statement of a pipeline, in the order they must run; idempotent (IF NOT EXISTS), so
 * applying them again changes nothing that exists.
 */
export function pipelineDdl(p: Pipeline, columns: Column[], endpoints: KafkaEngineEndpoints): DdlFile[] {
  const t = p.tables;
  const q = (name: string) => qualified(p.database, name);
  const freshness = (table: string) => `ALTER TABLE ${q(table)}
    ADD COLUMN IF NOT EXISTS _kafka_timestamp DateTime64(3, 'UTC') AFTER _offset,
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') DEFAULT now64(3) AFTER _kafka_timestamp,
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1`;
  return [
    { file: `${p.name}: database`, statements: [`CREATE DATABASE IF NOT EXISTS ${p.database}`] },
    {
      file: `${p.name}: connector table`,
      statements: [
        `CREATE TABLE IF NOT EXISTS ${q(t.connector)}
(
${columns.map((c) => columnDefinition(c)).join(',\n')},
${LINEAGE}
)
${engineClause(p)}
SETTINGS non_replicated_deduplication_window = 1000`,
        // The connector's exactly-once mode re-sends a batch it could not confirm with the same
        // insert_deduplication_token and relies on ClickHouse to drop it if it had landed: a
        // non-replicated MergeTree does so only within this window of recent blocks. Kept here
        // for a table created before the setting.
        `ALTER TABLE ${q(t.connector)} MODIFY SETTING non_replicated_deduplication_window = 1000`,
        freshness(t.connector),
      ],
    },
    {
      file: `${p.name}: Kafka-engine targets`,
      statements: [
        // The connector table's columns, by construction: the legs compare column for column
        // (without its deduplication window: this leg is at-least-once, and a re-delivered
        // block stays visible to verify:parity as duplicates).
        `CREATE TABLE IF NOT EXISTS ${q(t.kafka)} AS ${q(t.connector)}\n${engineClause(p)}`,
        freshness(t.kafka),
        `CREATE TABLE IF NOT EXISTS ${q(t.kafkaErrors)}
(
    _topic        LowCardinality(String),
    _partition    Int32,
    _offset       Int64,
    _raw_message  String,
    _error        String,
    received_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (_topic, _partition, _offset)`,
      ],
    },
    { file: `${p.name}: Kafka engine`, statements: kafkaEngineStatements(p, columns, endpoints) },
  ];
}
