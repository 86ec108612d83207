-- Pipeline 1: the ClickHouse Kafka Connect sink writes here.
-- The connector's InsertField transform carries each record's topic, partition, offset
-- and Kafka timestamp into the lineage columns (see connect/connectors/clickhouse-sink.json);
-- _inserted_at is ClickHouse's clock when the row is written. verify:parity compares the
-- event columns only; `npm run health` and `bench:pipeline` read freshness from these two.
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
    _offset     Int64,
    -- Freshness: the record's Kafka timestamp, and when its row was written.
    _kafka_timestamp  DateTime64(3, 'UTC'),
    _inserted_at      DateTime64(3, 'UTC') DEFAULT now64(3),
    -- `health` reads the last minute's rows by write time: parts written earlier are skipped.
    INDEX inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1
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

-- For a table created before the freshness columns.
ALTER TABLE {{database}}.events_connect
    ADD COLUMN IF NOT EXISTS _kafka_timestamp DateTime64(3, 'UTC') AFTER _offset,
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') DEFAULT now64(3) AFTER _kafka_timestamp,
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1;
