/**
 * What a database holds of a pipeline's tables now, and whether its Kafka-engine leg must be
 * recreated (sql:apply --recreate-kafka-engine, evolve):
 *
 *   <kafka>_queue (Kafka) ─ <kafka>_queue_mv ─▶ <kafka>_fanout (Null)
 *        ├─ <kafka>_mv ─▶ <kafka>
 *        └─ <kafka>_errors_mv ─▶ <kafka>_errors
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { UsageError } from '../errors.js';
import type { Pipeline } from '../pipeline/definition.js';
import type { Column } from '../pipeline/mapping.js';
import { queryRows } from './query.js';

export interface TableRow {
  name: string;
  engine: string;
  create_table_query: string;
  as_select: string;
  /** The views reading this table. */
  dependencies_table: string[];
}

/** What a database holds now: tables, their columns, definitions and the views reading each. */
export interface DatabaseState {
  tables: Map<string, TableRow>;
  columns: Map<string, Set<string>>;
}

export async function inspect(ch: ClickHouseClient, database: string): Promise<DatabaseState> {
  const q = <T>(query: string) => queryRows<T>(ch, { query, params: { db: database } });
  const tables = await q<TableRow>('SELECT name, engine, create_table_query, as_select, dependencies_table FROM system.tables WHERE database = {db:String}');
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

/** The columns of `columns` that a table lacks (none when it does not exist). */
export function lackingColumns(state: DatabaseState, table: string, columns: Column[]): string[] {
  const have = state.columns.get(table);
  return have ? columns.filter((c) => !have.has(c.name)).map((c) => c.name) : [];
}

/**
 * Why the Kafka-engine table, its fan-out and views must be recreated to carry `columns`, or
 * undefined when they do. `forEvolution`: the Kafka table must also read records written
 * without a field (input_format_avro_allow_missing_fields), as after a schema change.
 */
export function kafkaEngineDrift(state: DatabaseState, p: Pipeline, columns: Column[], forEvolution = false): string | undefined {
  const { kafkaQueue: queue, kafkaQueueView: queueView, kafkaFanout: fanout, kafkaView: eventsView, kafkaErrorsView: errorsView } = p.tables;
  const queueTable = state.tables.get(queue);
  if (!queueTable) return `${queue} does not exist`;
  const lacking = (table: string) => lackingColumns(state, table, columns);
  if (lacking(queue).length > 0) return `${queue} lacks ${lacking(queue).join(', ')}`;
  if (forEvolution && !/input_format_avro_allow_missing_fields = 1/.test(queueTable.create_table_query)) return `${queue} would refuse records of the older schema (input_format_avro_allow_missing_fields is not 1)`;
  if (!state.tables.has(fanout)) return `${fanout} does not exist`;
  if (lacking(fanout).length > 0) return `${fanout} lacks ${lacking(fanout).join(', ')}`;
  const readers = [...queueTable.dependencies_table].sort();
  if (readers.join() !== queueView) return `${queue} is read by ${readers.join(', ') || 'no view'} instead of ${queueView} alone`;
  const fanoutReaders = state.tables.get(fanout)!.dependencies_table;
  for (const view of [eventsView, errorsView]) if (!fanoutReaders.includes(view)) return `${view} does not read ${fanout}`;
  for (const view of [queueView, eventsView]) {
    const unselected = columns.filter((c) => !selects(state.tables.get(view), c.name)).map((c) => c.name);
    if (unselected.length > 0) return `${view} does not select ${unselected.join(', ')}`;
  }
  return undefined;
}

/** Refuses a Kafka table that reads another topic or group than the pipeline's: recreating it would re-read or skip offsets. */
export function checkSameGroup(state: DatabaseState, p: Pipeline): void {
  const queue = state.tables.get(p.tables.kafkaQueue);
  if (!queue) return;
  const group = setting(queue.create_table_query, 'kafka_group_name');
  const topic = setting(queue.create_table_query, 'kafka_topic_list');
  if (group !== p.kafkaEngine.group || topic !== p.topic.name) {
    throw new UsageError(
      `${p.database}.${p.tables.kafkaQueue} reads ${topic} as group ${group}, but pipeline ${p.name} (${p.file}) says ${p.topic.name} as ${p.kafkaEngine.group}; ` +
        'recreating it would re-read or skip offsets. Set topic.name and kafkaEngine.group in the pipeline to what the table uses.',
    );
  }
}
