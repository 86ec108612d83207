/**
 * verify:parity --html: one self-contained page (inline CSS and SVG, no script, nothing
 * fetched) with, per leg and partition, the offset range as a bar marking missing ranges,
 * duplicates, dead-lettered and error offsets; the content comparison between the legs;
 * and with --content topic, the three-way table (topic, connector, Kafka engine).
 */
import type { LegReport, ParityReport, PartitionReport } from './verify.js';
import { topicDifferenceText } from './model.js';
import type { WitnessReport } from './witness/witness.js';

const esc = (v: unknown) =>
  String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const BAR_WIDTH = 1000;
/** A mark narrower than this (in bar units) is widened so a single offset stays visible. */
const MIN_MARK = 2;

type MarkKind = 'missing' | 'duplicate' | 'dead-lettered' | 'error';

interface Mark {
  kind: MarkKind;
  from: bigint;
  to: bigint;
  label: string;
}

/** Marks of one partition: ranges and single offsets, in offset coordinates. */
export function partitionMarks(p: PartitionReport): Mark[] {
  const range = (from: string, to: string) => (from === to ? from : `[${from}, ${to}]`);
  return [
    ...p.missingRanges.map((r) => ({ kind: 'missing' as const, from: BigInt(r.from), to: BigInt(r.to), label: `missing ${range(r.from, r.to)}` })),
    ...p.duplicateRanges.map((r) => ({ kind: 'duplicate' as const, from: BigInt(r.from), to: BigInt(r.to), label: `duplicated ${range(r.from, r.to)} x${r.copies}` })),
    ...p.deadLetteredOffsets.map((o) => ({ kind: 'dead-lettered' as const, from: BigInt(o), to: BigInt(o), label: `dead-lettered ${o}` })),
    ...p.errorOffsets.map((o) => ({ kind: 'error' as const, from: BigInt(o), to: BigInt(o), label: `error row ${o}` })),
  ];
}

function bar(from: bigint, to: bigint, p: PartitionReport): string {
  const span = to >= from ? to - from + 1n : 1n;
  const x = (o: bigint) => Number(((o - from) * BigInt(BAR_WIDTH)) / span);
  const marks = partitionMarks(p).map((m) => {
    const left = x(m.from);
    const width = Math.max(MIN_MARK, x(m.to + 1n) - left);
    return `<rect class="mark ${m.kind}" data-kind="${m.kind}" x="${left}" y="0" width="${width}" height="20"><title>${esc(m.label)}</title></rect>`;
  });
  return `<svg class="bar" viewBox="0 0 ${BAR_WIDTH} 20" preserveAspectRatio="none" role="img" aria-label="offsets ${from} to ${to}">
<rect class="landed" x="0" y="0" width="${BAR_WIDTH}" height="20"><title>${esc(`offsets ${from}..${to}`)}</title></rect>${marks.join('')}</svg>`;
}

function legSection(report: ParityReport, leg: LegReport): string {
  if (!leg.present) return `<section class="leg absent"><h2>${esc(leg.leg)} <small>${esc(leg.table)}</small></h2><p class="verdict bad">absent: ${esc(leg.absentReason)}</p></section>`;
  const t = leg.totals;
  const rows = leg.partitions.map((p) => {
    const r = report.ranges.find((x) => x.partition === p.partition);
    const from = BigInt(r?.from ?? 0);
    const to = BigInt(r?.to ?? -1);
    return `<tr data-leg="${esc(leg.leg)}" data-partition="${p.partition}"><td>${p.partition}</td><td class="num">${esc(r ? `${r.from}..${r.to}` : '-')}</td>
<td class="barcell">${bar(from, to, p)}</td><td class="num">${p.expected}</td><td class="num">${p.distinctOffsets}</td><td class="num">${p.missing}</td>
<td class="num">${p.duplicates}</td><td class="num">${p.deadLettered}</td><td class="num">${p.errorRows}</td></tr>`;
  });
  return `<section class="leg"><h2>${esc(leg.leg)} <small>${esc(leg.table)}, group ${esc(leg.group)}</small></h2>
<p class="verdict ${leg.exact ? 'good' : 'bad'}">produced ${t.expected} = landed ${t.landed} + dead-lettered ${t.deadLettered} + error rows ${t.errorRows} + missing ${t.missing}: ${leg.accountingHolds ? 'holds' : 'DOES NOT HOLD'}; duplicates ${t.duplicates}</p>
<table><thead><tr><th>partition</th><th>offsets</th><th>bar</th><th>expected</th><th>landed</th><th>missing</th><th>duplicates</th><th>DLQ</th><th>errors</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function witnessSection(w: WitnessReport): string {
  const legs = w.legs.map((l) => l.leg);
  const cell = (p: WitnessReport['partitions'][number], leg: string) => {
    if (!w.legs.find((l) => l.leg === leg)?.present) return '<td class="absent">absent</td>';
    const l = p.legs.find((x) => x.leg === leg);
    if (!l) return '<td>-</td>';
    return l.equal ? `<td class="good">equal (${l.rows} rows)</td>` : `<td class="bad">${l.differing} differ: ${esc(topicDifferenceText(l))}</td>`;
  };
  const examples = w.examples.map(
    (e) => `<tr><td>${esc(e.leg)}</td><td>${e.partition}</td><td class="num">${esc(e.offset)}</td><td>${esc(e.columns.join(', '))}</td><td><code>${esc(e.topicHasEvent ? JSON.stringify(e.topic) : '(no event)')}</code></td><td><code>${esc(JSON.stringify(e.row))}</code></td></tr>`,
  );
  return `<section class="witness"><h2>Content: the topic, the connector, the Kafka engine</h2><p>${esc(w.sample.note)}</p>
<table class="three-way"><thead><tr><th>partition</th><th>topic events</th><th>not events</th>${legs.map((l) => `<th>${esc(l)}</th>`).join('')}</tr></thead>
<tbody>${w.partitions.map((p) => `<tr data-partition="${p.partition}"><td>${p.partition}</td><td class="num">${p.events}</td><td class="num">${p.undecodable}</td>${legs.map((l) => cell(p, l)).join('')}</tr>`).join('\n')}</tbody></table>
${examples.length ? `<h3>Differences (first ${examples.length})</h3><table class="examples"><thead><tr><th>leg</th><th>partition</th><th>offset</th><th>columns</th><th>topic</th><th>leg row</th></tr></thead><tbody>${examples.join('\n')}</tbody></table>` : ''}</section>`;
}

function contentSection(report: ParityReport): string {
  const c = report.content;
  if (!c.compared) return `<section class="content"><h2>Content between the legs</h2><p>not compared (${esc(c.reason)})</p></section>`;
  const examples = c.examples.map((e) => `<tr><td>${e.partition}</td><td class="num">${esc(e.offset)}</td><td><code>${esc(JSON.stringify(e.left))}</code></td><td><code>${esc(JSON.stringify(e.right))}</code></td></tr>`);
  return `<section class="content"><h2>Content between the legs</h2><p class="verdict ${c.differing === 0 ? 'good' : 'bad'}">${c.differing === 0 ? 'equal in every partition' : `${c.differing} offsets differ`}</p>
${examples.length ? `<table><thead><tr><th>partition</th><th>offset</th><th>${esc(report.legs[0]?.leg)}</th><th>${esc(report.legs[1]?.leg)}</th></tr></thead><tbody>${examples.join('\n')}</tbody></table>` : ''}</section>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24}h1{font-size:20px}h2{font-size:16px;margin-top:28px}small{color:#57606a;font-weight:normal}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:middle}.num{text-align:right;font-variant-numeric:tabular-nums}
.barcell{width:480px}.bar{width:480px;height:20px;display:block}.landed{fill:#2da44e}.mark.missing{fill:#cf222e}.mark.duplicate{fill:#fb8500}.mark.dead-lettered{fill:#8250df}.mark.error{fill:#d4a72c}
.good{color:#1a7f37}.bad{color:#cf222e;font-weight:600}.absent{color:#57606a}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}code{font-size:12px}`;

/** One page for one or more pipelines' reports, each in a section of its own. */
export function renderHtml(reports: ParityReport | ParityReport[], generatedAt = new Date()): string {
  const all = Array.isArray(reports) ? reports : [reports];
  const legend = [['landed', '#2da44e'], ['missing', '#cf222e'], ['duplicated', '#fb8500'], ['dead-lettered', '#8250df'], ['error row', '#d4a72c']]
    .map(([label, color]) => `<span style="background:${color}"></span>${label}`)
    .join('');
  const exact = all.every((r) => r.exact);
  const title = all.length === 1 ? `topic ${all[0]!.topic}` : `${all.length} pipelines`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>verify:parity ${esc(title)}</title><style>${STYLE}</style></head>
<body><h1>verify:parity: ${esc(title)}${all.length === 1 && all[0]!.runId ? `, run ${esc(all[0]!.runId)}` : ''}</h1>
<p id="verdict" class="verdict ${exact ? 'good' : 'bad'}">${exact ? 'PARITY EXACT' : `PARITY DIFFERS: ${esc(all.flatMap((r) => r.reasons.map((x) => (all.length > 1 ? `${r.pipeline}: ${x}` : x))).join('; '))}`}</p>
<p class="legend">${legend}</p>
${all.map((r) => pipelineSection(r, generatedAt, all.length > 1)).join('\n')}
</body></html>
`;
}

function pipelineSection(report: ParityReport, generatedAt: Date, heading: boolean): string {
  return `<section class="pipeline" data-pipeline="${esc(report.pipeline ?? '')}">${heading ? `<h2>pipeline ${esc(report.pipeline)}: topic ${esc(report.topic)}</h2>` : ''}
<p>${esc(report.source === 'run' ? 'one produce run' : 'the whole retained topic')}; checked ${esc(generatedAt.toISOString())} in ${(report.elapsedMs / 1000).toFixed(1)} s${report.settled ? '' : `; NOT SETTLED: ${esc(report.settleNote)}`}</p>
${report.legs.map((l) => legSection(report, l)).join('\n')}
${contentSection(report)}
${report.witness ? witnessSection(report.witness) : ''}
</section>`;
}
