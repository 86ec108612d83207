/**
 * Makes MergeTree deduplication logs agree with the parts on disk before the server starts.
 *
 * A table with `non_replicated_deduplication_window` (the connector's, for exactly-once
 * retries) keeps `deduplication_logs/deduplication_log_N.txt`: one line per inserted block,
 * `1<TAB>part<TAB>block id` (2 for a dropped one). ClickHouse appends a block's line before it
 * commits the block's part, and loads the log on start without looking at the parts. A server
 * killed in between (kill -9, OOM) restarts believing in a block it never stored: the client's
 * retry of that very block is then answered as written and dropped. Found by the fault suite
 * (97 rows of one partition lost after a kill -9 of ClickHouse mid-insert).
 *
 * So, with the server stopped: an ADD line whose part no part on disk covers (same partition,
 * block range inside, the way merges cover parts) is removed. Blocks that are stored keep their
 * lines, so retries of committed blocks are still deduplicated.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface PartRange {
  partition: string;
  min: number;
  max: number;
}

/** `<partition>_<min block>_<max block>_<level>[_<mutation>]`; undefined for other names. */
export function parsePartName(name: string): PartRange | undefined {
  const m = /^(.+?)_(\d+)_(\d+)_(\d+)(?:_(\d+))?$/.exec(name);
  if (!m) return undefined;
  return { partition: m[1]!, min: Number(m[2]), max: Number(m[3]) };
}

function covered(part: PartRange, parts: PartRange[]): boolean {
  return parts.some((p) => p.partition === part.partition && p.min <= part.min && part.max <= p.max);
}

/** The log's text without ADD lines of blocks no part covers; `dropped` names them. */
export function reconcileLog(text: string, parts: PartRange[]): { text: string; dropped: string[] } {
  const dropped: string[] = [];
  const kept = text.split('\n').filter((line) => {
    const [op, partName] = line.split('\t');
    if (op !== '1' || !partName) return true;
    const part = parsePartName(partName);
    if (!part || covered(part, parts)) return true;
    dropped.push(line);
    return false;
  });
  return { text: kept.join('\n'), dropped };
}

/** Table directories under the server's data path: store/<xyz>/<uuid>/ (Atomic databases). */
function tableDirs(dataDir: string): string[] {
  const store = path.join(dataDir, 'store');
  if (!existsSync(store)) return [];
  return readdirSync(store, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(store, d.name), { withFileTypes: true }).filter((t) => t.isDirectory()).map((t) => path.join(store, d.name, t.name)));
}

/**
 * Reconciles every table's deduplication log under `dataDir`; the server must be stopped.
 * Returns what it removed, per log file.
 */
export function reconcileDeduplicationLogs(dataDir: string): { file: string; dropped: string[] }[] {
  const out: { file: string; dropped: string[] }[] = [];
  for (const table of tableDirs(dataDir)) {
    const logs = path.join(table, 'deduplication_logs');
    if (!existsSync(logs)) continue;
    const parts = readdirSync(table, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => parsePartName(d.name))
      .filter((p): p is PartRange => p !== undefined);
    for (const name of readdirSync(logs).filter((f) => /^deduplication_log_\d+\.txt$/.test(f))) {
      const file = path.join(logs, name);
      const result = reconcileLog(readFileSync(file, 'utf8'), parts);
      if (result.dropped.length === 0) continue;
      writeFileSync(`${file}.tmp`, result.text);
      renameSync(`${file}.tmp`, file);
      out.push({ file, dropped: result.dropped });
    }
  }
  return out;
}
