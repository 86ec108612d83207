import { describe, expect, it } from 'vitest';
import { withTableSettings } from '../../src/clickhouse/table-settings.js';
import { pipelineDdl } from '../../src/pipeline/ddl.js';
import { SCHEMAS, schemaFile, shippedPipeline } from './pipeline-fixtures.js';

const endpoints = { brokerList: '127.0.0.1:9092', registryUrl: 'http://r' };
/** The shipped user_events pipeline's statements, as bench:pipeline takes them. */
const statements = () => pipelineDdl(shippedPipeline('user_events'), schemaFile(SCHEMAS.userEvents).columns, endpoints).flatMap((f) => f.statements);
const kafkaTable = (s: string[]) => s.find((x) => /ENGINE = Kafka/.test(x))!;

describe('withTableSettings', () => {
  it("replaces a setting of the kit's Kafka table and appends a new one, leaving every other statement as it was", () => {
    const before = statements();
    const after = withTableSettings(before, 'Kafka', { kafka_num_consumers: '3', kafka_max_block_size: '1048576' });
    expect(after.filter((s, i) => s !== before[i])).toHaveLength(1);
    const table = kafkaTable(after);
    expect(table).toMatch(/kafka_num_consumers = 3,/);
    expect(table).not.toMatch(/kafka_num_consumers = 1\b/);
    expect(table).toMatch(/kafka_max_block_size = 1048576$/);
    expect(table).toMatch(/kafka_topic_list = 'user_events',/);
    expect(table).toMatch(/kafka_handle_error_mode = 'stream',/);
  });

  it('keeps commas inside quoted values', () => {
    const [sql] = withTableSettings(["CREATE TABLE t (a Int8) ENGINE = Kafka SETTINGS kafka_topic_list = 'a,b', kafka_num_consumers = 1"], 'Kafka', { kafka_num_consumers: '2' });
    expect(sql).toBe("CREATE TABLE t (a Int8) ENGINE = Kafka SETTINGS\n    kafka_topic_list = 'a,b',\n    kafka_num_consumers = 2");
  });

  it('refuses a bad setting name and a DDL without such a table', () => {
    expect(() => withTableSettings(statements(), 'Kafka', { 'x = 1; DROP TABLE y': '1' })).toThrow(/not a setting name/);
    expect(() => withTableSettings(['CREATE TABLE t (a Int8) ENGINE = Memory'], 'Kafka', { a: '1' })).toThrow(/no CREATE TABLE with ENGINE = Kafka/);
  });
});
