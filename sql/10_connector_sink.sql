-- Pipeline 1: the ClickHouse Kafka Connect sink writes here.
-- The connector's InsertField transforms carry each record's topic, partition and
-- offset into the lineage columns (see connect/connectors/clickhouse-sink.json).
CREATE TABLE IF NOT EXISTS {{database}}.events_connect
(
    id          String,
    user_id     String,
    action      LowCardinality(String),
    event_time  DateTime64(3, 'UTC'),
    version     Int32,
    referrer    Nullable(String),
    _topic      LowCardinality(String),
    _partition  Int32,
    _offset     Int64
)
ENGINE = MergeTree
ORDER BY (_topic, _partition, _offset);
