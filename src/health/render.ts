/** `npm run health` for people: one block per section, the verdict last. */
import { table } from '../cli.js';
import { formatTraces, taskTable, UNKNOWN_WORKER } from '../connect/status.js';
import type { LegIngest } from './ingest.js';
import { isHung, type ConnectSection, type HealthReport, type KafkaEngineSection } from './model.js';

const firstLine = (text: string) => text.split('\n')[0]!.trim();

function lagBlock(r: HealthReport): string {
  if (!r.topic.exists) return `topic ${r.topic.name}: does not exist`;
  const head = `${r.pipeline ? `pipeline ${r.pipeline}, ` : ''}topic ${r.topic.name}: ${r.topic.partitions} partition(s), ${r.topic.messages} message(s) retained`;
  const rows = r.lag.flatMap((g) =>
    g.partitions.map((p) => [g.leg, g.group, p.partition, p.end, p.committed ?? '-', p.lag ?? '-', p.state === 'ok' ? '' : p.state]),
  );
  const totals = r.lag.map((g) => `${g.leg} ${g.committed ? `lag ${g.totalLag}` : 'no commits'}`).join(', ');
  return [head, table(['leg', 'group', 'partition', 'end', 'committed', 'lag', 'note'], rows), `  total: ${totals}`].join('\n');
}

function connectBlock(c: ConnectSection): string {
  const who = `connector ${c.connector.name} on ${c.url}`;
  if (!c.reachable) return `${who}: worker not usable: ${c.error ?? 'no answer'}`;
  if (c.connector.deployed === false) return `${who} (Kafka Connect ${c.version}): not deployed`;
  const out = [`${who} (Kafka Connect ${c.version}): ${c.connector.state} on ${c.connector.worker ?? UNKNOWN_WORKER}`];
  out.push(
    c.connector.tasks.length === 0
      ? '  (no tasks)'
      : taskTable({ name: c.connector.name, connector: { state: c.connector.state ?? '', worker_id: c.connector.worker }, tasks: c.connector.tasks.map((t) => ({ id: t.id, state: t.state, worker_id: t.worker })) }),
  );
  if (c.connector.traces.length > 0) out.push(formatTraces(c.connector.traces));
  return out.join('\n');
}

function kafkaEngineBlock(k: KafkaEngineSection, windowSec: number): string {
  if (!k.exists) return `Kafka engine ${k.table}: table does not exist`;
  if (k.consumers.length === 0) return `Kafka engine ${k.table}: no consumer in system.kafka_consumers`;
  const out = [`Kafka engine ${k.table} (system.kafka_consumers)`];
  out.push(
    table(
      ['consumer', 'assigned', 'read', 'commits', 'last poll', 'last commit', 'in use', 'exceptions'],
      k.consumers.map((c) => [
        c.consumerId || '(no id yet)',
        c.assignments.map((a) => `p${a.partition}@${a.currentOffset}`).join(' ') || '(none)',
        c.numMessagesRead,
        c.numCommits,
        c.lastPollAgeSec === undefined ? c.lastPollTime : `${c.lastPollTime} (${c.lastPollAgeSec} s ago)`,
        c.lastCommitTime,
        isHung(c) ? 'yes: HUNG' : c.isCurrentlyUsed ? 'yes' : 'no',
        `${c.exceptions.filter((e) => e.ageSec <= windowSec).length} recent / ${c.exceptions.length}`,
      ]),
    ),
  );
  for (const c of k.consumers) {
    for (const e of c.exceptions) out.push(`  ${e.time} (${e.ageSec} s ago) ${c.consumerId || '(no id yet)'}: ${firstLine(e.text)}`);
  }
  return out.join('\n');
}

function ingestBlock(legs: LegIngest[]): string {
  const ms = (v: number | undefined) => (v === undefined ? '-' : v < 10_000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
  const window = legs[0]?.windowSec ?? 60;
  return [
    `ingest over the last ${window} s (freshness: row written - record's Kafka timestamp)`,
    table(
      ['leg', 'table', 'rows', 'rows/s', 'freshness p50', 'p99', 'max'],
      legs.map((l) => [l.leg, l.table, l.exists ? l.rows : 'no table', l.exists ? l.rowsPerSec : '-', ms(l.freshnessMs?.p50), ms(l.freshnessMs?.p99), ms(l.freshnessMs?.max)]),
    ),
  ].join('\n');
}

export function renderHealth(r: HealthReport, windowSec: number): string {
  const dlq = r.dlq.exists ? `${r.dlq.count} record(s)` : 'absent (0)';
  const errors = r.errorsTable.exists ? `${r.errorsTable.count} row(s)` : 'table does not exist';
  const v = r.verdict;
  const blocks = [
    `health at ${r.at}`,
    lagBlock(r),
    connectBlock(r.connect),
    kafkaEngineBlock(r.kafkaEngine, windowSec),
    ingestBlock(r.ingest),
    `DLQ topic ${r.dlq.name}: ${dlq}\nerrors table ${r.errorsTable.name}: ${errors}`,
    [
      v.healthy ? 'HEALTHY' : `UNHEALTHY: ${v.problems.join('; ')}`,
      ...v.notes.map((n) => `  note: ${n}`),
    ].join('\n'),
  ];
  return blocks.join('\n\n');
}
