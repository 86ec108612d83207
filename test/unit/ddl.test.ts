import { describe, expect, it } from 'vitest';
import { loadSqlFiles, renderSql, splitStatements, templateValues, TemplateError } from '../../src/clickhouse/ddl.js';
import { loadConfig } from '../../src/config.js';

const env = {
  CLICKHOUSE_ADMIN_PASSWORD: 'a',
  CLICKHOUSE_CONNECTOR_PASSWORD: 'c',
  CLICKHOUSE_READER_PASSWORD: 'r',
  CLICKHOUSE_PARITY_PASSWORD: 'p',
  CLICKHOUSE_KAFKA_BROKER_LIST: '127.0.0.1:9092',
  CLICKHOUSE_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
};

describe('sql templates', () => {
  it('fills placeholders and refuses unknown ones', () => {
    expect(renderSql("x = '{{ topic }}'", { topic: 'events' })).toBe("x = 'events'");
    expect(() => renderSql('{{nope}}', { topic: 'e' }, 'f.sql')).toThrow(/f.sql: unknown placeholder \{\{nope\}\}/);
  });

  it('refuses values that would break out of a quoted literal', () => {
    expect(() => renderSql("'{{topic}}'", { topic: "e'; DROP TABLE x" })).toThrow(TemplateError);
  });

  it('splits statements at line-ending semicolons and drops comments', () => {
    expect(splitStatements('-- c\nSELECT 1;\n\nSELECT 2;\n-- only a comment\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('renders the repository sql/ for the embedded endpoints with both pipelines and lineage', () => {
    const files = loadSqlFiles(templateValues(loadConfig(env)));
    const all = files.flatMap((f) => f.statements).join('\n');
    expect(all).not.toMatch(/\{\{/);
    expect(all).toContain("kafka_format = 'AvroConfluent'");
    expect(all).toContain("format_avro_schema_registry_url = 'http://127.0.0.1:8081/apis/ccompat/v7'");
    expect(all).toContain("kafka_handle_error_mode = 'stream'");
    expect(all).toMatch(/CREATE TABLE IF NOT EXISTS kit\.events_connect[\s\S]*_topic[\s\S]*_partition[\s\S]*_offset/);
    expect(all).toMatch(/events_kafka_errors_mv[\s\S]*_raw_message[\s\S]*_error/);
    // Idempotent, so sql:apply can run again: creates guarded by IF NOT EXISTS, or a setting set again.
    for (const statement of files.flatMap((f) => f.statements)) expect(statement).toMatch(/^CREATE \w+( VIEW)? IF NOT EXISTS |^ALTER TABLE \S+\s+(MODIFY SETTING |ADD COLUMN IF NOT EXISTS )/);
    expect(all).toContain('ALTER TABLE kit.events_connect MODIFY SETTING non_replicated_deduplication_window = 1000');
  });
});
