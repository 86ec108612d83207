/**
 * ClickHouse starts consuming from a Kafka table as soon as one materialized view reads
 * it, and each block goes only to the views that exist when it is read: a view created a
 * moment later misses it (a poison message would never reach the errors table). The
 * rule that rules this out, checked on a list of DDL statements:
 *
 * - exactly one view reads the Kafka table, and the last statement creates it, so
 *   everything downstream of it exists first;
 * - a recreate first stops consumption: it drops that view, then the Kafka table
 *   itself (which also stops a table that still has the views of an older layout),
 *   and only then anything else.
 */
import type { PipelineTables } from './definition.js';

const name = (table: string) => `(?:\\S+\\.)?\`?${table}\`?(?![\\w])`;

export function readsKafkaTable(statement: string, queue: string): boolean {
  return new RegExp(`^CREATE MATERIALIZED VIEW\\b[\\s\\S]*\\bFROM\\s+${name(queue)}`).test(statement);
}

const drops = (statement: string, kind: 'VIEW' | 'TABLE', table: string) =>
  new RegExp(`^DROP ${kind} (?:IF EXISTS )?${name(table)}`).test(statement);

/** What breaks the rule, one line per problem; empty when the statements keep it. */
export function consumptionOrderProblems(statements: readonly string[], t: Pick<PipelineTables, 'kafkaQueue' | 'kafkaQueueView'>): string[] {
  const o = { queue: t.kafkaQueue, queueView: t.kafkaQueueView };
  const problems: string[] = [];
  const starts = statements.flatMap((s, i) => (readsKafkaTable(s, o.queue) ? [i] : []));
  if (starts.length !== 1 || starts[0] !== statements.length - 1) {
    problems.push(`exactly one view may read ${o.queue}, created by the last statement; found ${starts.length} at statement(s) ${starts.map((i) => i + 1).join(', ') || '-'} of ${statements.length}`);
  }
  if (statements.some((s) => /^DROP\b/.test(s))) {
    const [first, second] = statements;
    const stopsFirst = first !== undefined && second !== undefined && drops(first, 'VIEW', o.queueView) && drops(second, 'TABLE', o.queue);
    if (!stopsFirst) problems.push(`a recreate must first drop ${o.queueView}, then ${o.queue}, before anything else`);
  }
  return problems;
}
