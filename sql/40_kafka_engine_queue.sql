-- The Kafka-engine table: its own consumer group, decoding through the schema registry
-- (AvroConfluent wire format). kafka_handle_error_mode = 'stream' keeps a message that
-- cannot be parsed as a row with _error and _raw_message set, instead of stopping the
-- consumer. kafka_flush_interval_ms = 1000: a block is written at least every second, so
-- rows land 0.6 s (p50) / 1.1 s (p99) after their Kafka timestamp at 5,000 events/s
-- (npm run bench:pipeline, BENCHMARKS.md); the server's default, stream_flush_interval_ms
-- = 7500, would hold them up to 7.5 s. kafka_num_consumers = 1: two or three consumers, each
-- with its own thread, landed no faster on two cores (the leg is bound by CPU; BENCHMARKS.md).
CREATE TABLE IF NOT EXISTS {{database}}.events_kafka_queue
(
    id          String,
    user_id     String,
    action      String,
    event_time  DateTime64(3, 'UTC'),
    version     Int32,
    referrer    Nullable(String)
)
ENGINE = Kafka
SETTINGS
    kafka_broker_list = '{{kafka_broker_list}}',
    kafka_topic_list = '{{topic}}',
    kafka_group_name = '{{consumer_group}}',
    kafka_format = 'AvroConfluent',
    format_avro_schema_registry_url = '{{schema_registry_url}}',
    kafka_handle_error_mode = 'stream',
    kafka_num_consumers = 1,
    kafka_flush_interval_ms = 1000;

-- ClickHouse starts consuming as soon as a view is attached to a Kafka table: this is
-- the table's only view, and the last statement of the kit's DDL, so consumption starts
-- with the whole fan-out (30_kafka_engine_fanout.sql) in place.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_queue_mv TO {{database}}.events_kafka_fanout AS
SELECT
    id, user_id, action, event_time, version, referrer,
    _topic, _partition, _offset, _timestamp_ms, _error, _raw_message
FROM {{database}}.events_kafka_queue;
