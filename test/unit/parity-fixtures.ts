/** Parity reports built by hand, for the unit tests of what renders them. */
import { judge, type LegReport, type ParityReport, type PartitionReport } from '../../src/parity/model.js';

/**
 * A partition's figures; its findings are judged when the report is built (parityReport), as
 * verify:parity judges them once.
 */
export function partitionReport(p: number, over: Partial<PartitionReport> = {}): PartitionReport {
  return {
    partition: p, expected: 100, rows: 100, distinctOffsets: 100, duplicates: 0, minOffset: '0', maxOffset: '99', errorRows: 0, deadLettered: 0,
    errorOffsets: [], deadLetteredOffsets: [], deadLetteredLanded: 0, missing: 0, missingRanges: [], duplicateRanges: [], belowLogStart: 0, checksum: '1', findings: [], ...over,
  };
}

export function legReport(name: string, partitions: PartitionReport[], over: Partial<LegReport> = {}): LegReport {
  const sum = (k: 'expected' | 'missing') => partitions.reduce((s, p) => s + p[k], 0);
  const totals = { expected: sum('expected'), landed: 0, duplicates: 0, errorRows: 0, deadLettered: 0, deadLetteredLanded: 0, missing: sum('missing'), belowLogStart: 0 };
  return { leg: name, table: `kit.${name}`, group: 'g', present: true, lag: [], partitions, totals, accountingHolds: true, exact: true, ...over };
}

/** A report of these legs, every partition's findings judged from its figures. */
export function parityReport(legs: LegReport[], over: Partial<ParityReport> = {}): ParityReport {
  return judge({
    topic: 'user-events', source: 'topic', ranges: [], settled: true, legs,
    content: { compared: true, partitions: [], differing: 0, examples: [] }, exact: true, exitCode: 0, reasons: [], elapsedMs: 1500, ...over,
  });
}
