import { describe, expect, it } from 'vitest';
import { loadSqlFiles, templateValues } from '../../src/clickhouse/ddl.js';
import { loadConfig } from '../../src/config.js';
import { consumptionOrderProblems } from '../../src/evolve/ddl-order.js';
import { kafkaEngineObjects } from '../../src/evolve/kafka-engine.js';

const config = loadConfig({ CLICKHOUSE_ADMIN_PASSWORD: 'a', CLICKHOUSE_CONNECTOR_PASSWORD: 'c', CLICKHOUSE_READER_PASSWORD: 'r', CLICKHOUSE_PARITY_PASSWORD: 'p' });
const o = kafkaEngineObjects(config);
const view = (name: string, from: string) => `CREATE MATERIALIZED VIEW IF NOT EXISTS kit.${name} TO kit.x AS SELECT * FROM kit.${from}`;

describe('the order that keeps every view attached before consumption starts', () => {
  it("holds for the kit's own DDL: one view reads the Kafka table, created last", () => {
    const statements = loadSqlFiles(templateValues(config)).flatMap((f) => f.statements);
    expect(consumptionOrderProblems(statements, o)).toEqual([]);
  });

  it('refuses two views on the Kafka table (the old layout), and a view on it created before the end', () => {
    expect(consumptionOrderProblems([view(o.eventsView, o.queue), view(o.errorsView, o.queue)], o)[0]).toMatch(/exactly one view may read events_kafka_queue.*found 2/);
    expect(consumptionOrderProblems([view(o.queueView, o.queue), view(o.eventsView, o.fanout)], o)[0]).toMatch(/created by the last statement/);
  });

  it('wants a recreate to stop consumption first: drop the view, then the Kafka table', () => {
    const rest = [view(o.eventsView, o.fanout), view(o.queueView, o.queue)];
    expect(consumptionOrderProblems([`DROP VIEW IF EXISTS kit.${o.queueView}`, `DROP TABLE IF EXISTS kit.${o.queue}`, ...rest], o)).toEqual([]);
    expect(consumptionOrderProblems([`DROP VIEW IF EXISTS kit.${o.eventsView}`, `DROP VIEW IF EXISTS kit.${o.queueView}`, `DROP TABLE IF EXISTS kit.${o.queue}`, ...rest], o)).toEqual([
      expect.stringMatching(/must first drop events_kafka_queue_mv, then events_kafka_queue/),
    ]);
  });
});
