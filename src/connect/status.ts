/** Connector, task and worker status, as tables and traces. */
import { table } from '../cli.js';
import type { ConnectorStatus, ServerInfo } from './api.js';
import { scrubText } from './redact.js';

export const TRACE_LINES = 15;

/** Shown where Connect did not say which worker runs a connector or task. */
export const UNKNOWN_WORKER = '(worker unknown)';

export function taskSummary(s: ConnectorStatus): string {
  if (s.tasks.length === 0) return '(no tasks)';
  return s.tasks.map((t) => `${t.id}:${t.state}`).join(' ');
}

export function statusRows(statuses: readonly ConnectorStatus[]): (string | number)[][] {
  return statuses.map((s) => [s.name, s.type ?? '', s.connector.state, taskSummary(s), s.connector.worker_id ?? UNKNOWN_WORKER]);
}

export function statusTable(statuses: readonly ConnectorStatus[]): string {
  return table(['connector', 'type', 'state', 'tasks', 'worker'], statusRows(statuses));
}

export function taskTable(s: ConnectorStatus): string {
  return table(
    ['task', 'state', 'worker', 'error'],
    s.tasks.map((t) => [t.id, t.state, t.worker_id ?? UNKNOWN_WORKER, t.trace?.split('\n')[0] ?? '']),
  );
}

export function clip(trace: string, lines = TRACE_LINES): string {
  const all = trace.trimEnd().split('\n');
  if (all.length <= lines) return all.join('\n');
  return [...all.slice(0, lines), `\t... ${all.length - lines} more lines (status --full-trace shows them)`].join('\n');
}

export interface Trace {
  what: string;
  worker: string;
  trace: string;
}

/** The traces of whatever failed: the connector itself and each failed task. */
export function failureTraces(s: ConnectorStatus, secrets: readonly string[] = []): Trace[] {
  const out: Trace[] = [];
  if (s.connector.state === 'FAILED') {
    out.push({ what: `connector ${s.name}`, worker: s.connector.worker_id ?? UNKNOWN_WORKER, trace: scrubText(s.connector.trace ?? '(no trace)', secrets) });
  }
  for (const t of s.tasks) {
    if (t.state !== 'FAILED') continue;
    out.push({ what: `task ${s.name}-${t.id}`, worker: t.worker_id ?? UNKNOWN_WORKER, trace: scrubText(t.trace ?? '(no trace)', secrets) });
  }
  return out;
}

export function formatTraces(traces: readonly Trace[], full = false): string {
  return traces
    .map((t) => `${t.what} FAILED on ${t.worker}:\n${full ? t.trace.trimEnd() : clip(t.trace)}`)
    .join('\n\n');
}

export function workerLine(url: string, info: ServerInfo): string {
  const extra = [info.commit && `commit ${info.commit}`, info.kafka_cluster_id && `cluster ${info.kafka_cluster_id}`]
    .filter(Boolean)
    .join(', ');
  return `worker ${url}: Kafka Connect ${info.version}${extra ? ` (${extra})` : ''}`;
}

/** A status with traces scrubbed of known secrets, for --json. */
export function scrubStatus(s: ConnectorStatus, secrets: readonly string[]): ConnectorStatus {
  const scrub = (t: string | undefined) => (t === undefined ? undefined : scrubText(t, secrets));
  const connector = { ...s.connector };
  if (connector.trace !== undefined) connector.trace = scrub(connector.trace)!;
  return {
    ...s,
    connector,
    tasks: s.tasks.map((t) => (t.trace === undefined ? t : { ...t, trace: scrub(t.trace)! })),
  };
}
