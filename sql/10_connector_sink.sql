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
ORDER BY (_topic, _partition, _offset)
SETTINGS non_replicated_deduplication_window = 1000;

-- The connector's exactly-once mode (exactlyOnce=true) re-sends a batch whose insert it could
-- not confirm, with the same insert_deduplication_token, and relies on ClickHouse to drop it
-- if it had landed: a non-replicated MergeTree does that only within this window of recent
-- blocks (a replicated one does by default). TRUNCATE clears the window. Kept here too for a
-- table created before the setting.
ALTER TABLE {{database}}.events_connect MODIFY SETTING non_replicated_deduplication_window = 1000;
