-- Pipeline 2: ClickHouse's own Kafka engine reads the same Avro topic. Its rows land in
-- two tables: the events it decoded, and the messages it could not decode.

-- The events: the connector's table's columns, lineage and ordering, by construction,
-- so the two legs compare column for column (without its deduplication window: this leg
-- is at-least-once, and a re-delivered block stays visible to verify:parity as duplicates).
CREATE TABLE IF NOT EXISTS {{database}}.events_kafka AS {{database}}.events_connect
ENGINE = MergeTree
ORDER BY (_topic, _partition, _offset);

-- For a table created before the freshness columns.
ALTER TABLE {{database}}.events_kafka
    ADD COLUMN IF NOT EXISTS _kafka_timestamp DateTime64(3, 'UTC') AFTER _offset,
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') DEFAULT now64(3) AFTER _kafka_timestamp,
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1;

-- Messages the Kafka engine could not decode (wrong magic byte, unknown schema id,
-- truncated Avro...) land here with their raw bytes and the error, so nothing is
-- lost silently.
CREATE TABLE IF NOT EXISTS {{database}}.events_kafka_errors
(
    _topic        LowCardinality(String),
    _partition    Int32,
    _offset       Int64,
    _raw_message  String,
    _error        String,
    received_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (_topic, _partition, _offset);
