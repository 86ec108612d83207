-- Pipeline 2: ClickHouse's own Kafka engine reads the same Avro topic, with its own
-- consumer group, decoding through the schema registry (AvroConfluent wire format).
-- kafka_handle_error_mode = 'stream' keeps a message that cannot be parsed as a row with
-- _error and _raw_message set, instead of stopping the consumer.
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

-- The Kafka engine's target: the connector's table's columns, lineage and ordering,
-- by construction, so the two legs compare column for column.
CREATE TABLE IF NOT EXISTS {{database}}.events_kafka AS {{database}}.events_connect;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_mv TO {{database}}.events_kafka AS
SELECT
    id, user_id, action, event_time, version, referrer,
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset
FROM {{database}}.events_kafka_queue
WHERE length(_error) = 0;
