-- verify:parity --incremental: per topic, leg and partition, the offsets already proven exact
-- (first_offset to watermark, inclusive) and what the leg's table held over them then: its row
-- count, a checksum of its offsets and one of its content. Each later check proves from the
-- first two that nothing below the watermark was lost or duplicated since, then checks only the
-- offsets above it. The same two sums per data part of the leg's table (parts, part_rows,
-- part_offsets_checksums) let that proof read only the parts written since: a part never
-- changes once written. Part names start over in a table created again under the same name,
-- so the sums hold for the table of table_uuid only (a watermark for another UUID resets).
-- A row per change; the newest (checked_at) holds. Written by verify:parity's user, which may
-- insert here and nowhere else.
CREATE TABLE IF NOT EXISTS {{database}}.parity_watermarks
(
    topic            String,
    leg              LowCardinality(String),
    table_name       String,
    partition        Int32,
    first_offset     Int64,
    watermark        Int64,
    row_count        UInt64,
    offsets_checksum UInt64,
    content_checksum UInt64,
    table_uuid       UUID,
    parts            Array(String),
    part_rows        Array(UInt64),
    part_offsets_checksums Array(UInt64),
    checked_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(checked_at)
ORDER BY (topic, leg, partition);

-- The per-part sums, on a table created before them (its watermarks have none: their next
-- proof reads every part once).
ALTER TABLE {{database}}.parity_watermarks
    ADD COLUMN IF NOT EXISTS table_uuid UUID AFTER content_checksum,
    ADD COLUMN IF NOT EXISTS parts Array(String) AFTER table_uuid,
    ADD COLUMN IF NOT EXISTS part_rows Array(UInt64) AFTER parts,
    ADD COLUMN IF NOT EXISTS part_offsets_checksums Array(UInt64) AFTER part_rows;
