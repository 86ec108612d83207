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

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_errors_mv TO {{database}}.events_kafka_errors AS
SELECT
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset,
    _raw_message,
    _error
FROM {{database}}.events_kafka_queue
WHERE length(_error) > 0;
