-- `npm run evolve`: the v2 field as a column of both target tables, placed before the
-- lineage columns. DEFAULT NULL is the Avro default (null): rows landed before the
-- change, and v1 records landed after it, read NULL. ADD COLUMN IF NOT EXISTS is
-- idempotent and changes metadata only (no part is rewritten). The sink connector is
-- stopped around it: its tasks insert with the column list they described at start.
ALTER TABLE {{database}}.events_connect ADD COLUMN IF NOT EXISTS session_id Nullable(String) DEFAULT NULL AFTER referrer;
ALTER TABLE {{database}}.events_kafka ADD COLUMN IF NOT EXISTS session_id Nullable(String) DEFAULT NULL AFTER referrer;
