/**
 * The Kafka-engine leg's objects as the kit's DDL lays them out, what the database
 * holds of them now, and whether the evolve recreate must run:
 *
 *   events_kafka_queue (Kafka) ─ events_kafka_queue_mv ─▶ events_kafka_fanout (Null)
 *        ├─ events_kafka_mv ─▶ events_kafka
 *        └─ events_kafka_errors_mv ─▶ events_kafka_errors
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { UsageError } from '../cli.js';
import { queryRows } from '../clickhouse/query.js';
import type { KitConfig } from '../config.js';
import type { AddedField } from './schema.js';

export interface KafkaEngineObjects {
  queue: string;
  /** The Kafka table's only view: attaching it starts consumption. */
  queueView: string;
  fanout: string;
  eventsView: string;
  errorsView: string;
}

export function kafkaEngineObjects(config: KitConfig): KafkaEngineObjects {
  const { kafkaQueue, kafka, kafkaErrors } = config.tables;
  return { queue: kafkaQueue, queueView: `${kafkaQueue}_mv`, fanout: `${kafka}_fanout`, eventsView: `${kafka}_mv`, errorsView: `${kafkaErrors}_mv` };
}

interface TableRow {
  name: string;
  create_table_query: string;
  as_select: string;
  /** The views reading this table. */
  dependencies_table: string[];
}

/** What the kit's database holds now: tables, their columns, definitions and the views reading each. */
export interface KitState {
  tables: Map<string, TableRow>;
  columns: Map<string, Set<string>>;
}

export async function inspect(ch: ClickHouseClient, database: string): Promise<KitState> {
  const q = <T>(query: string) => queryRows<T>(ch, { query, params: { db: database } });
  const tables = await q<TableRow>('SELECT name, create_table_query, as_select, dependencies_table FROM system.tables WHERE database = {db:String}');
  const cols = await q<{ table: string; name: string }>('SELECT table, name FROM system.columns WHERE database = {db:String}');
  const columns = new Map<string, Set<string>>();
  for (const c of cols) {
    if (!columns.has(c.table)) columns.set(c.table, new Set());
    columns.get(c.table)!.add(c.name);
  }
  return { tables: new Map(tables.map((t) => [t.name, t])), columns };
}

const setting = (create: string, name: string) => new RegExp(`${name} = '([^']*)'`).exec(create)?.[1];
const selects = (view: TableRow | undefined, field: string) => view !== undefined && new RegExp(`\\b${field}\\b`).test(view.as_select);

/** Why the Kafka-engine table, its fan-out and views must be recreated, or undefined when they already are at v2. */
export function kafkaEngineDrift(state: KitState, objects: KafkaEngineObjects, added: AddedField[]): string | undefined {
  const { queue, queueView, fanout, eventsView, errorsView } = objects;
  const queueTable = state.tables.get(queue);
  if (!queueTable) return `${queue} does not exist`;
  const lacking = (table: string) => added.filter((f) => !state.columns.get(table)?.has(f.name)).map((f) => f.name);
  if (lacking(queue).length > 0) return `${queue} lacks ${lacking(queue).join(', ')}`;
  if (added.length > 0 && !/input_format_avro_allow_missing_fields = 1/.test(queueTable.create_table_query)) return `${queue} would refuse v1 records (input_format_avro_allow_missing_fields is not 1)`;
  if (!state.tables.has(fanout)) return `${fanout} does not exist`;
  if (lacking(fanout).length > 0) return `${fanout} lacks ${lacking(fanout).join(', ')}`;
  const readers = [...queueTable.dependencies_table].sort();
  if (readers.join() !== queueView) return `${queue} is read by ${readers.join(', ') || 'no view'} instead of ${queueView} alone`;
  const fanoutReaders = state.tables.get(fanout)!.dependencies_table;
  for (const view of [eventsView, errorsView]) if (!fanoutReaders.includes(view)) return `${view} does not read ${fanout}`;
  for (const view of [queueView, eventsView]) {
    const unselected = added.filter((f) => !selects(state.tables.get(view), f.name)).map((f) => f.name);
    if (unselected.length > 0) return `${view} does not select ${unselected.join(', ')}`;
  }
  return undefined;
}

/** Refuses a recreate that would change the consumer group or the topic: offsets would be re-read or skipped. */
export function checkSameGroup(state: KitState, config: KitConfig): void {
  const queue = state.tables.get(config.tables.kafkaQueue);
  if (!queue) return;
  const group = setting(queue.create_table_query, 'kafka_group_name');
  const topic = setting(queue.create_table_query, 'kafka_topic_list');
  if (group !== config.clickhouseKafka.consumerGroup || topic !== config.topic) {
    throw new UsageError(
      `${config.clickhouse.database}.${config.tables.kafkaQueue} reads ${topic} as group ${group}, but the config says ${config.topic} as ${config.clickhouseKafka.consumerGroup}; ` +
        'recreating it with the config would re-read or skip offsets. Set KIT_TOPIC / KIT_KAFKA_ENGINE_GROUP to what the table uses.',
    );
  }
}
