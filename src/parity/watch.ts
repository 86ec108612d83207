/**
 * `verify:parity --watch`: a check every interval, one line each, a summary table when
 * stopped (Ctrl-C), and with --fail-fast an exit at the first difference. Each check
 * covers what the consumer groups have committed (what must have landed), so rows
 * still in flight are not reported missing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from 'commander';
import { table } from '../cli.js';
import type { ParityReport } from './verify.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "60s", "2m", "500ms", "1h", or plain seconds: milliseconds, at least 100. */
export function parseInterval(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : NaN;
  if (!(ms >= 100)) throw new InvalidArgumentError(`--interval takes a duration such as 60s, 2m or 500ms (at least 100ms), got ${JSON.stringify(value)}`);
  return ms;
}

export interface CheckRecord {
  at: string;
  exact: boolean;
  elapsedMs: number;
  /** Offsets covered per leg (landed + accounted). */
  covered: Record<string, number>;
  reasons: string[];
  error?: string;
}

/** One check of one or more pipelines (legs named `pipeline/leg` when there are several). */
export function checkRecord(reports: ParityReport | ParityReport[], at = new Date()): CheckRecord {
  const all = Array.isArray(reports) ? reports : [reports];
  const prefix = (r: ParityReport) => (all.length > 1 ? `${r.pipeline ?? r.topic}/` : '');
  return {
    at: at.toISOString(),
    exact: all.every((r) => r.exact),
    elapsedMs: all.reduce((s, r) => s + r.elapsedMs, 0),
    covered: Object.fromEntries(all.flatMap((r) => r.legs.filter((l) => l.present).map((l) => [`${prefix(r)}${l.leg}`, l.totals.expected]))),
    reasons: all.flatMap((r) => r.reasons.map((x) => `${prefix(r)}${x}`)),
  };
}

/** One line per check: time, verdict, offsets covered per leg, the reasons. */
export function checkLine(c: CheckRecord): string {
  if (c.error) return `${c.at}  ERROR   ${c.error}`;
  const legs = Object.entries(c.covered).map(([leg, n]) => `${leg} ${n}`).join(', ');
  return `${c.at}  ${c.exact ? 'EXACT  ' : 'DIFFERS'}  ${legs ? `offsets checked: ${legs}` : 'no leg present'}  (${(c.elapsedMs / 1000).toFixed(1)} s)${c.exact ? '' : `  ${c.reasons.join('; ')}`}`;
}

export function renderWatchSummary(checks: CheckRecord[]): string {
  const differing = checks.filter((c) => !c.error && !c.exact);
  const errors = checks.filter((c) => c.error);
  const times = checks.filter((c) => !c.error).map((c) => c.elapsedMs);
  const rows: (string | number)[][] = [
    ['checks', checks.length],
    ['exact', checks.length - differing.length - errors.length],
    ['differing', differing.length],
    ['errors', errors.length],
    ['first check', checks[0]?.at ?? '-'],
    ['last check', checks.at(-1)?.at ?? '-'],
    ['first difference', differing[0] ? `${differing[0].at}: ${differing[0].reasons.join('; ')}` : '-'],
    ['check time (max)', times.length ? `${(Math.max(...times) / 1000).toFixed(1)} s` : '-'],
  ];
  return table(['watch', ''], rows);
}

export interface WatchOptions {
  intervalMs: number;
  failFast: boolean;
  signal: AbortSignal;
  onCheck: (c: CheckRecord, reports?: ParityReport[]) => void;
}

/**
 * Checks until the signal aborts (or, with failFast, the first difference); a check that
 * throws (a service down for a moment) is an error line and the watch goes on. Exit code:
 * 1 when any check differed or failed, else 0.
 */
export async function watchParity(check: () => Promise<ParityReport[]>, o: WatchOptions): Promise<{ checks: CheckRecord[]; exitCode: 0 | 1 }> {
  const checks: CheckRecord[] = [];
  while (!o.signal.aborted) {
    let c: CheckRecord;
    let report: ParityReport[] | undefined;
    try {
      report = await check();
      c = checkRecord(report);
    } catch (e) {
      c = { at: new Date().toISOString(), exact: false, elapsedMs: 0, covered: {}, reasons: [], error: (e as Error).message ?? String(e) };
    }
    checks.push(c);
    o.onCheck(c, report);
    if (o.failFast && !c.exact) break;
    await sleep(o.intervalMs, undefined, { signal: o.signal }).catch(() => undefined);
  }
  return { checks, exitCode: checks.some((c) => !c.exact) ? 1 : 0 };
}
