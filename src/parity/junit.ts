/**
 * verify:parity's report for CI systems: JUnit XML with one test suite per leg and one
 * test case per leg and partition, failing with every difference parity found there.
 */
import junitModule, { type Builder } from 'junit-report-builder';
import { findingText, type ParityReport } from './model.js';

// The package is CommonJS (`module.exports = builder`) while its types declare a default export.
const junit = junitModule as unknown as Builder;

/** One or more pipelines' reports; with several, each suite's class names its pipeline (parity.<pipeline>.<leg>). */
export function junitReport(reports: ParityReport | ParityReport[]): string {
  const all = Array.isArray(reports) ? reports : [reports];
  const builder = junit.newBuilder().name('verify:parity');
  for (const report of all) addSuites(builder, report, all.length > 1);
  return builder.build();
}

function addSuites(builder: ReturnType<Builder['newBuilder']>, report: ParityReport, several: boolean): void {
  const seconds = report.elapsedMs / 1000;
  for (const leg of report.legs) {
    const className = several ? `parity.${report.pipeline ?? report.topic}.${leg.leg}` : `parity.${leg.leg}`;
    const suite = builder.testSuite().name(`${className} (${leg.table})`).time(seconds).property('topic', report.topic);
    if (!leg.present) {
      const tc = suite.testCase().className(className).name(`${report.topic}: leg present`);
      // Absent is a failure when the check required both legs, and skipped otherwise.
      if (report.require === 'both') tc.failure(`absent: ${leg.absentReason}`, 'ParityAbsent');
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
      if (p.findings.length > 0) tc.failure(p.findings.map(findingText).join('; '), 'ParityDifference');
    }
  }
}
