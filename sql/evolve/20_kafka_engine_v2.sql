-- `npm run evolve`, step 3: the Kafka-engine table with the v2 column.
--
-- A Kafka-engine table cannot be altered ("Alter of type 'ADD_COLUMN' is not supported
-- by storage Kafka"), so it is recreated. The views go first: with no view attached the
-- table stops consuming, and every block it wrote was committed to the consumer group
-- before (Kafka keeps the group's offsets, not the table). The new table has the SAME
-- kafka_group_name, so it resumes at exactly those offsets: nothing is re-read, nothing
-- skipped. Then the views come back, the events view selecting the new column, the
-- errors view as it was.
--
-- input_format_avro_allow_missing_fields = 1 is required: without it a v1 record (no
-- session_id field in its writer schema) fails with "Field session_id not found in Avro
-- schema" and goes to the errors table instead of landing with session_id NULL.
DROP VIEW IF EXISTS {{database}}.events_kafka_mv SYNC;
DROP VIEW IF EXISTS {{database}}.events_kafka_errors_mv SYNC;
DROP TABLE IF EXISTS {{database}}.events_kafka_queue SYNC;

CREATE TABLE IF NOT EXISTS {{database}}.events_kafka_queue
(
    id          String,
    user_id     String,
    action      String,
    event_time  DateTime64(3, 'UTC'),
    version     Int32,
    referrer    Nullable(String),
    session_id  Nullable(String)
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
    kafka_flush_interval_ms = 1000,
    input_format_avro_allow_missing_fields = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_mv TO {{database}}.events_kafka AS
SELECT
    id, user_id, action, event_time, version, referrer, session_id,
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset
FROM {{database}}.events_kafka_queue
WHERE length(_error) = 0;

-- The errors view comes back exactly as sql/30_kafka_engine_errors.sql defines it: the
-- evolve command appends that file's CREATE MATERIALIZED VIEW ... events_kafka_errors_mv
-- after these statements (it reads only _topic, _partition, _offset, _raw_message, _error).
