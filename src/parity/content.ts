/**
 * The two legs against each other: per partition, where the offset sets and checksums agree
 * the content is equal; elsewhere the rows both legs hold are compared by their content
 * hash, drilled down to the offsets whose rows differ (both rows shown).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../clickhouse/query.js';
import type { Content } from '../pipeline/content.js';
import type { ContentReport, LegReport } from './model.js';
import { contentDiffCountQuery, contentDiffQuery, type OffsetRange } from './queries.js';

const n = (v: string | number | undefined) => Number(v ?? 0);

export async function compareContent(ch: ClickHouseClient, left: LegReport, right: LegReport, topic: string, ranges: OffsetRange[], limit: number, content: Content): Promise<ContentReport> {
  if (!left.present || !right.present) {
    return { compared: false, reason: 'one leg is absent', partitions: [], differing: 0, examples: [] };
  }
  const partitions: ContentReport['partitions'] = [];
  const examples: ContentReport['examples'] = [];
  for (const r of ranges) {
    const a = left.partitions.find((p) => p.partition === r.partition)!;
    const b = right.partitions.find((p) => p.partition === r.partition)!;
    const sameSet = a.rows === b.rows && a.duplicates === 0 && b.duplicates === 0 && a.distinctOffsets === b.distinctOffsets && a.missing === 0 && b.missing === 0;
    if (sameSet && a.checksum === b.checksum) {
      partitions.push({ partition: r.partition, equal: true, differing: 0 });
      continue;
    }
    // Checksums differ or the offset sets differ: compare the rows both legs hold.
    const [count] = await queryRows<{ differing: string }>(ch, contentDiffCountQuery(left.table, right.table, topic, [r], content));
    const differing = n(count?.differing);
    partitions.push({ partition: r.partition, equal: differing === 0, differing });
    if (differing > 0 && examples.length < limit) {
      const diff = await queryRows<{ partition: number; offset: string; left_row: unknown; right_row: unknown }>(
        ch,
        contentDiffQuery(left.table, right.table, topic, [r], limit - examples.length, content),
      );
      examples.push(...diff.map((d) => ({ partition: d.partition, offset: d.offset, left: d.left_row, right: d.right_row })));
    }
  }
  return { compared: true, partitions, differing: partitions.reduce((s, p) => s + p.differing, 0), examples };
}

