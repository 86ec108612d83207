-- The kit's database. Placeholders in double braces are filled by `npm run sql:apply`
-- from the kit's config; everything else is plain ClickHouse SQL, the same for the Docker
-- stack's ClickHouse server and the embedded engine.
CREATE DATABASE IF NOT EXISTS {{database}};
