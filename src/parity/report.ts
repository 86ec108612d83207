/** verify:parity's report for people: one table per leg, then the verdict. */
import { table } from '../cli.js';
import type { ParityReport } from './verify.js';
import { topicDifferenceText } from './model.js';
import type { WitnessReport } from './witness/witness.js';
import type { IncrementalReport } from './incremental/incremental.js';

export function renderReport(report: ParityReport, rangesShown = 5): string {
  const out: string[] = [];
  out.push(
    `topic ${report.topic}, ${report.source === 'run' ? `run ${report.runId}` : 'whole retained topic'}: ` +
      report.ranges.map((r) => `p${r.partition} [${r.from}, ${r.to}]`).join(' '),
  );
  if (!report.settled) out.push(`NOT SETTLED: ${report.settleNote}`);
  for (const leg of report.legs) {
    out.push('');
    if (!leg.present) {
      out.push(`${leg.leg} (${leg.table}): ABSENT: ${leg.absentReason}`);
      continue;
    }
    out.push(`${leg.leg} (${leg.table}, group ${leg.group})`);
    out.push(
      table(
        ['partition', 'expected', 'rows', 'distinct', 'dup', 'errors', 'DLQ', 'missing', 'min..max', 'lag', 'missing ranges'],
        leg.partitions.map((p) => {
          const lag = leg.lag.find((l) => l.partition === p.partition)?.lag ?? '-';
          const shown = p.missingRanges.slice(0, rangesShown).map((g) => (g.from === g.to ? g.from : `[${g.from}, ${g.to}]`));
          const more = p.missingRanges.length > rangesShown ? ` (+${p.missingRanges.length - rangesShown} more, see --json)` : '';
          return [p.partition, p.expected, p.rows, p.distinctOffsets, p.duplicates, p.errorRows, p.deadLettered, p.missing, p.minOffset === undefined ? '-' : `${p.minOffset}..${p.maxOffset}`, lag, shown.join(' ') + more];
        }),
      ),
    );
    const runs = leg.partitions.flatMap((p) => p.duplicateRanges.map((d) => `p${p.partition} ${d.from === d.to ? d.from : `[${d.from}, ${d.to}]`} x${d.copies}`));
    if (runs.length > 0) out.push(`  duplicated offsets: ${runs.slice(0, rangesShown * 2).join(', ')}${runs.length > rangesShown * 2 ? ` (+${runs.length - rangesShown * 2} more, see --json)` : ''}`);
    const t = leg.totals;
    out.push(
      `  produced ${t.expected} = landed ${t.landed} + dead-lettered ${t.deadLettered} + error rows ${t.errorRows} + missing ${t.missing}` +
        `: ${leg.accountingHolds ? 'holds' : 'DOES NOT HOLD'}; duplicates ${t.duplicates}` +
        (t.belowLogStart ? `; ${t.belowLogStart} rows below the log start (retention)` : '') +
        (t.deadLetteredLanded ? `; ${t.deadLetteredLanded} offsets are in the DLQ and landed too (counted as landed)` : ''),
    );
  }
  out.push('');
  if (report.content.compared) {
    out.push(report.content.differing === 0 ? 'content: equal between the legs in every partition' : `content: ${report.content.differing} offsets differ between the legs`);
    for (const e of report.content.examples.slice(0, 10)) out.push(`  p${e.partition}@${e.offset}: ${JSON.stringify(e.left)} != ${JSON.stringify(e.right)}`);
  } else {
    out.push(`content: not compared (${report.content.reason})`);
  }
  if (report.witness) out.push(...renderWitness(report.witness));
  if (report.incremental) out.push(...renderIncremental(report));
  out.push(report.exact ? 'PARITY EXACT' : `PARITY DIFFERS: ${report.reasons.join('; ')}`);
  return out.join('\n');
}

/** The three-way table: per partition, the topic's events and how each leg compares with them. */
export function renderWitness(w: WitnessReport, examplesShown = 10): string[] {
  const out = ['', `topic witness: ${w.sample.note}`];
  const legNames = w.legs.map((l) => l.leg);
  const cell = (p: WitnessReport['partitions'][number], leg: string) => {
    if (!w.legs.find((l) => l.leg === leg)?.present) return 'absent';
    const l = p.legs.find((x) => x.leg === leg);
    if (!l) return '-';
    return l.equal ? `equal (${l.rows} rows)` : `${l.differing} differ: ${topicDifferenceText(l)}`;
  };
  out.push(
    table(
      ['partition', 'topic events', 'not events', ...legNames],
      w.partitions.map((p) => [p.partition, p.events, p.undecodable, ...legNames.map((leg) => cell(p, leg))]),
    ),
  );
  for (const e of w.examples.slice(0, examplesShown)) {
    out.push(`  ${e.leg} p${e.partition}@${e.offset} [${e.columns.join(', ')}]: topic ${e.topicHasEvent ? JSON.stringify(e.topic) : '(no event)'} != leg ${JSON.stringify(e.row)}`);
  }
  const wrong = w.legs.filter((l) => l.present && l.differing > 0);
  out.push(wrong.length === 0 ? 'topic witness: every present leg holds the topic\'s events' : `topic witness: ${wrong.map((l) => `${l.leg} differs at ${l.differing} offsets`).join('; ')}`);
  return out;
}

/** Per leg and partition: the proof below the old watermark, the range checked, where the watermark is now. */
export function renderIncremental(report: ParityReport): string[] {
  const inc = report.incremental as IncrementalReport;
  const out = ['', 'incremental: only the offsets above the watermarks were checked'];
  for (const r of inc.resets) out.push(`  reset ${r.leg} p${r.partition}: ${r.reason}`);
  out.push(
    table(
      ['leg', 'partition', 'below the watermark (rows now / proven; rows read)', 'checked', 'watermark', 'status'],
      inc.watermarks.map((w) => {
        const below = inc.belowWatermark.find((b) => b.leg === w.leg && b.partition === w.partition);
        const range = report.ranges.find((r) => r.partition === w.partition);
        return [
          w.leg,
          w.partition,
          below ? `${below.rows} / ${below.expectedRows} ${below.ok ? 'ok' : 'CHANGED'}; ${below.rowsRead} read` : '-',
          range && BigInt(range.to) >= BigInt(range.from) ? `[${range.from}, ${range.to}]` : 'nothing new',
          `${w.previous ?? '-'} -> ${w.watermark ?? '-'}`,
          w.status + (w.note ? ` (${w.note})` : ''),
        ];
      }),
    ),
  );
  return out;
}
