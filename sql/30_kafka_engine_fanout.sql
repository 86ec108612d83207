-- Every message the Kafka engine reads passes through this Null table (it stores
-- nothing): the Kafka table's columns plus its virtual columns as ordinary columns.
-- Two views fan each block out: decoded rows to events_kafka, undecodable ones
-- (_error set, as kafka_handle_error_mode = 'stream' leaves them) to events_kafka_errors.
-- Both exist before the Kafka table gets its one view (40_kafka_engine_queue.sql), so
-- no block can be read while only one of them is attached.
CREATE TABLE IF NOT EXISTS {{database}}.events_kafka_fanout
(
    id            String,
    user_id       String,
    action        String,
    event_time    DateTime64(3, 'UTC'),
    version       Int32,
    referrer      Nullable(String),
    _topic        LowCardinality(String),
    _partition    UInt64,
    _offset       UInt64,
    _timestamp_ms Nullable(DateTime64(3, 'UTC')),
    _error        String,
    _raw_message  String
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_mv TO {{database}}.events_kafka AS
SELECT
    id, user_id, action, event_time, version, referrer,
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset,
    ifNull(_timestamp_ms, toDateTime64(0, 3, 'UTC')) AS _kafka_timestamp
FROM {{database}}.events_kafka_fanout
WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_errors_mv TO {{database}}.events_kafka_errors AS
SELECT
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset,
    _raw_message,
    _error
FROM {{database}}.events_kafka_fanout
WHERE length(_error) > 0;
