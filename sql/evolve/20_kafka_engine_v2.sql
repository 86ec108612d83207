-- `npm run evolve`: the Kafka-engine table with the v2 column, and the views that carry it.
--
-- A Kafka-engine table cannot be altered ("Alter of type 'ADD_COLUMN' is not supported
-- by storage Kafka"), so it is recreated with the SAME kafka_group_name: the committed
-- offsets live in Kafka under the group, so the new table resumes exactly there.
--
-- ClickHouse consumes from a Kafka table while any view reads it, and sends each block
-- only to the views that exist at that moment. So:
--   1. consumption stops first: the Kafka table's view (the block in flight is written
--      and committed first), then the Kafka table itself, which also stops a table still
--      read by two views directly (the kit's layout before the fan-out table);
--   2. nothing reads the Kafka table while the rest is dropped and rebuilt: the fan-out
--      table and the errors view come back exactly as sql/30_kafka_engine_fanout.sql
--      defines them (the evolve command inserts those two statements after the drops;
--      they are not copied here), then the fan-out table gets the column and the events
--      view selects it;
--   3. the Kafka table's view comes last: consumption resumes with every view in place.
-- A view left on a dropped table would read the new table of the same name at once, so
-- every view is dropped before the Kafka table is created again.
--
-- input_format_avro_allow_missing_fields = 1 is required: without it a v1 record (no
-- session_id field in its writer schema) fails with "Field session_id not found in Avro
-- schema" and goes to the errors table instead of landing with session_id NULL.
DROP VIEW IF EXISTS {{database}}.events_kafka_queue_mv SYNC;
DROP TABLE IF EXISTS {{database}}.events_kafka_queue SYNC;
DROP VIEW IF EXISTS {{database}}.events_kafka_mv SYNC;
DROP VIEW IF EXISTS {{database}}.events_kafka_errors_mv SYNC;

ALTER TABLE {{database}}.events_kafka_fanout ADD COLUMN IF NOT EXISTS session_id Nullable(String) AFTER referrer;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_mv TO {{database}}.events_kafka AS
SELECT
    id, user_id, action, event_time, version, referrer, session_id,
    _topic,
    toInt32(_partition) AS _partition,
    toInt64(_offset) AS _offset,
    ifNull(_timestamp_ms, toDateTime64(0, 3, 'UTC')) AS _kafka_timestamp
FROM {{database}}.events_kafka_fanout
WHERE length(_error) = 0;

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

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_kafka_queue_mv TO {{database}}.events_kafka_fanout AS
SELECT
    id, user_id, action, event_time, version, referrer, session_id,
    _topic, _partition, _offset, _timestamp_ms, _error, _raw_message
FROM {{database}}.events_kafka_queue;
