import { describe, expect, it } from 'vitest';
import { kafkaEngineDropStatements, kafkaEngineStatements, pipelineDdl } from '../../src/pipeline/ddl.js';
import { consumptionOrderProblems, readsKafkaTable } from '../../src/pipeline/ddl-order.js';
import { schemaFile, SCHEMAS, shippedPipeline } from './pipeline-fixtures.js';

const p = shippedPipeline('user_events');
const o = { queue: p.tables.kafkaQueue, queueView: p.tables.kafkaQueueView, eventsView: p.tables.kafkaView, errorsView: p.tables.kafkaErrorsView, fanout: p.tables.kafkaFanout };
const endpoints = { brokerList: 'kafka:19092', registryUrl: 'http://schema-registry:8081' };
const view = (name: string, from: string) => `CREATE MATERIALIZED VIEW IF NOT EXISTS kit.${name} TO kit.x AS SELECT * FROM kit.${from}`;

describe('the order that keeps every view attached before consumption starts', () => {
  it("holds for each shipped pipeline's DDL: one view reads the Kafka table, created last", () => {
    for (const [name, file] of [['user_events', SCHEMAS.userEvents], ['orders', SCHEMAS.orders]] as const) {
      const pipeline = shippedPipeline(name);
      const columns = schemaFile(file).columns;
      const statements = pipelineDdl(pipeline, columns, endpoints).flatMap((f) => f.statements);
      expect(consumptionOrderProblems(statements, pipeline.tables), name).toEqual([]);
      expect(consumptionOrderProblems([...kafkaEngineDropStatements(pipeline), ...kafkaEngineStatements(pipeline, columns, endpoints)], pipeline.tables), name).toEqual([]);
    }
  });

  it('refuses two views on the Kafka table (the old layout), and a view on it created before the end', () => {
    expect(consumptionOrderProblems([view(o.eventsView, o.queue), view(o.errorsView, o.queue)], p.tables)[0]).toMatch(/exactly one view may read events_kafka_queue.*found 2/);
    expect(consumptionOrderProblems([view(o.queueView, o.queue), view(o.eventsView, o.fanout)], p.tables)[0]).toMatch(/created by the last statement/);
  });

  it('wants a recreate to stop consumption first: drop the view, then the Kafka table', () => {
    const rest = [view(o.eventsView, o.fanout), view(o.queueView, o.queue)];
    expect(consumptionOrderProblems([`DROP VIEW IF EXISTS kit.${o.queueView}`, `DROP TABLE IF EXISTS kit.${o.queue}`, ...rest], p.tables)).toEqual([]);
    expect(consumptionOrderProblems([`DROP VIEW IF EXISTS kit.${o.eventsView}`, `DROP VIEW IF EXISTS kit.${o.queueView}`, `DROP TABLE IF EXISTS kit.${o.queue}`, ...rest], p.tables)).toEqual([
      expect.stringMatching(/must first drop events_kafka_queue_mv, then events_kafka_queue/),
    ]);
  });

  it("tells a view reading the Kafka table from one reading a table whose name starts with it", () => {
    expect(readsKafkaTable(view(o.queueView, o.queue), o.queue)).toBe(true);
    expect(readsKafkaTable('CREATE MATERIALIZED VIEW IF NOT EXISTS kit.v TO kit.x AS SELECT * FROM `events_kafka_queue`', o.queue)).toBe(true);
    expect(readsKafkaTable(view('v', `${o.queue}_old`), o.queue)).toBe(false);
    expect(readsKafkaTable(view('v', o.fanout), o.queue)).toBe(false);
  });
});
