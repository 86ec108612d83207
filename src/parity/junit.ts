/**
 * verify:parity's report for CI systems: JUnit XML with one test suite per leg and one
 * test case per leg and partition, failing with every difference parity found there.
 */
import junitModule, { type Builder } from 'junit-report-builder';
import type { LegReport, ParityReport, PartitionReport } from './verify.js';
import { witnessDifferences } from './witness/witness.js';

// The package is CommonJS (`module.exports = builder`) while its types declare a default export.
const junit = junitModule as unknown as Builder;

const RANGES_NAMED = 10;

function ranges(rs: { from: string; to: string }[]): string {
  const shown = rs.slice(0, RANGES_NAMED).map((r) => (r.from === r.to ? r.from : `[${r.from}, ${r.to}]`));
  return shown.join(', ') + (rs.length > RANGES_NAMED ? ` (+${rs.length - RANGES_NAMED} more)` : '');
}

/** What is wrong with one leg's partition, in words; empty when it is exact. */
export function partitionProblems(report: ParityReport, leg: LegReport, p: PartitionReport): string[] {
  const out: string[] = [];
  if (!report.settled) out.push(`not settled: ${report.settleNote ?? ''}`);
  if (p.missing > 0) out.push(`${p.missing} offsets missing: ${ranges(p.missingRanges)}`);
  if (p.duplicates > 0) out.push(`${p.duplicates} duplicate rows: ${ranges(p.duplicateRanges)}`);
  if (p.expected !== p.distinctOffsets + p.deadLettered + p.errorRows + p.missing) {
    out.push(`expected ${p.expected} != landed ${p.distinctOffsets} + dead-lettered ${p.deadLettered} + error rows ${p.errorRows} + missing ${p.missing}`);
  }
  const between = report.content.partitions.find((c) => c.partition === p.partition);
  if (between && between.differing > 0) out.push(`content differs from the other leg at ${between.differing} offsets`);
  const witness = report.witness?.partitions.find((w) => w.partition === p.partition)?.legs.find((l) => l.leg === leg.leg);
  if (witness && witness.differing > 0) out.push(`differs from the topic at ${witness.differing} offsets (${witnessDifferences(witness)})`);
  return out;
}

export function junitReport(report: ParityReport): string {
  const builder = junit.newBuilder().name('verify:parity');
  const seconds = report.elapsedMs / 1000;
  for (const leg of report.legs) {
    const className = `parity.${leg.leg}`;
    const suite = builder.testSuite().name(`${className} (${leg.table})`).time(seconds).property('topic', report.topic);
    if (!leg.present) {
      const tc = suite.testCase().className(className).name(`${report.topic}: leg present`);
      // Absent is a failure when the run required both legs, and skipped otherwise.
      if (report.reasons.some((r) => r.startsWith(`${leg.leg}: absent`))) tc.failure(`absent: ${leg.absentReason}`, 'ParityAbsent');
      else tc.skipped().standardOutput(`absent: ${leg.absentReason}`);
      continue;
    }
    for (const p of leg.partitions) {
      const tc = suite
        .testCase()
        .className(className)
        .name(`${report.topic} partition ${p.partition}`)
        .standardOutput(
          `expected ${p.expected}, rows ${p.rows}, distinct ${p.distinctOffsets}, error rows ${p.errorRows}, dead-lettered ${p.deadLettered}, missing ${p.missing}, duplicates ${p.duplicates}`,
        );
      const problems = partitionProblems(report, leg, p);
      if (problems.length > 0) tc.failure(problems.join('; '), 'ParityDifference');
    }
  }
  return builder.build();
}
