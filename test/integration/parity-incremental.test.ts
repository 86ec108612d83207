/**
 * verify:parity --incremental on the embedded stack: watermarks kept in ClickHouse by
 * verify:parity's own user; a second check covers only the new offsets; a row lost below
 * a watermark is caught by the cheap proof, which reads only the parts written since; a
 * topic that ends below a watermark resets it.
 * The Kafka-engine leg is real; the connector leg is not deployed (--require any).
 */
import { spawnSync } from 'node:child_process';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { contentOf } from '../../src/pipeline/content.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ParityReport } from '../../src/parity/verify.js';
import { produceAvro } from '../../src/produce/producer.js';
import { projectRoot } from '../../src/paths.js';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { connectAdmin, kafkaClient } from '../../src/kafka.js';
import { Incremental } from '../../src/parity/incremental/incremental.js';
import { expectedRanges, topicTruth } from '../../src/parity/truth.js';
import { eventually, mutate, produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
let env: NodeJS.ProcessEnv;
let ch: ClickHouseClient;

function parity(...args: string[]): { code: number; report: ParityReport; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-parity.ts', '--require', 'any', ...args], { cwd: projectRoot, env, encoding: 'utf8', timeout: 180_000 });
  let report = undefined as unknown as ParityReport;
  if (args.includes('--json')) {
    try {
      report = JSON.parse(out.stdout) as ParityReport;
    } catch {
      throw new Error(`verify:parity printed no JSON (exit ${out.status}):\n${out.stdout}\n${out.stderr}`);
    }
  }
  return { code: out.status ?? -1, report, stdout: out.stdout, stderr: out.stderr };
}

const engine = (r: ParityReport) => r.incremental!.watermarks.filter((w) => w.leg === 'kafka_engine');

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('parity_inc'));
  db = kit.config.clickhouse.database;
  env = kit.env();
  ch = kit.admin;
  await produceAvro(produceOptions(kit, up, { count: 3000, seed: 31, poison: 2 }));
  const settled = parity('--wait', '--timeout', '150', '--json');
  expect(settled.code, settled.stderr).toBe(0);
});

afterAll(async () => {
  await kit?.drop();
});

describe('verify:parity --incremental', () => {
  it('checks everything the first time, then only the offsets above the watermarks', async () => {
    const first = parity('--incremental', '--json');
    expect(first.code, first.stderr).toBe(0);
    const firstMarks = engine(first.report);
    expect(firstMarks.map((w) => w.status)).toEqual(['new', 'new', 'new']);
    const expectedFirst = first.report.legs.find((l) => l.leg === 'kafka_engine')!.totals.expected;
    expect(expectedFirst).toBe(3002);

    const again = parity('--incremental', '--json');
    expect(again.code).toBe(0);
    expect(engine(again.report).map((w) => w.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(again.report.incremental!.belowWatermark.filter((b) => b.leg === 'kafka_engine').every((b) => b.ok && b.rows === b.expectedRows)).toBe(true);

    await produceAvro(produceOptions(kit, up, { count: 600, seed: 32 }));
    const more = parity('--incremental', '--wait', '--timeout', '120', '--json');
    expect(more.code, more.stderr).toBe(0);
    // Only the new offsets were checked: each range starts just above the old watermark.
    for (const r of more.report.ranges) {
      const before = firstMarks.find((w) => w.partition === r.partition)!;
      expect(BigInt(r.from)).toBe(BigInt(before.watermark!) + 1n);
    }
    expect(more.report.legs.find((l) => l.leg === 'kafka_engine')!.totals.expected).toBe(600);
    expect(engine(more.report).every((w) => w.status === 'advanced')).toBe(true);

    const text = parity('--incremental');
    expect(text.stdout).toMatch(/incremental: only the offsets above the watermarks were checked/);
    expect(text.stdout).toMatch(/│ kafka_engine │ 0 +│ \d+ \/ \d+ ok/);
  });

  it('reads again only the data parts written since the watermarks were proven', async () => {
    const engineBelow = (r: ParityReport) => r.incremental!.belowWatermark.filter((b) => b.leg === 'kafka_engine');
    // No merge may write new parts while this test counts what is read.
    await ch.command({ query: `SYSTEM STOP MERGES ${db}.events_kafka` });
    try {
      parity('--incremental', '--json'); // takes the sums of any part merged since the last check
      const still = parity('--incremental', '--json');
      expect(still.code, still.stderr).toBe(0);
      for (const b of engineBelow(still.report)) {
        expect(b.ok).toBe(true);
        expect(b.rowsRead, JSON.stringify(b)).toBe('0');
        expect(b.partsReused).toBeGreaterThan(0);
      }
      // New parts hold only offsets above the watermarks: nothing below them to read.
      await produceAvro(produceOptions(kit, up, { count: 300, seed: 33 }));
      const more = parity('--incremental', '--wait', '--timeout', '120', '--json');
      expect(more.code, more.stderr).toBe(0);
      expect(engineBelow(more.report).map((b) => b.rowsRead)).toEqual(['0', '0', '0']);
      expect(engine(more.report).every((w) => w.status === 'advanced')).toBe(true);

      // One part from all of them: it is read once, proves the same rows, and is known from then on.
      await ch.command({ query: `SYSTEM START MERGES ${db}.events_kafka` });
      await mutate(ch, `OPTIMIZE TABLE ${db}.events_kafka FINAL`);
      await ch.command({ query: `SYSTEM STOP MERGES ${db}.events_kafka` });
      const merged = parity('--incremental', '--json');
      expect(merged.code, merged.stderr).toBe(0);
      for (const b of engineBelow(merged.report)) {
        expect(b.ok).toBe(true);
        expect(b.rowsRead).toBe(b.rows);
        expect(b.partsReused).toBe(0);
      }
      expect(engine(merged.report).map((w) => w.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
      const after = parity('--incremental', '--json');
      expect(engineBelow(after.report).map((b) => [b.ok, b.rowsRead, b.partsReused])).toEqual([
        [true, '0', 1],
        [true, '0', 1],
        [true, '0', 1],
      ]);
    } finally {
      await ch.command({ query: `SYSTEM START MERGES ${db}.events_kafka` });
    }
  });

  it('keeps a watermark where the table changed between the check and the move (rows it did not check are not proven)', async () => {
    await produceAvro(produceOptions(kit, up, { count: 90, seed: 34 }));
    const settled = parity('--incremental', '--wait', '--timeout', '120', '--json');
    expect(settled.code, settled.stderr).toBe(0);
    await produceAvro(produceOptions(kit, up, { count: 90, seed: 35 }));
    await eventually('the new events land', async () => Number((await (await ch.query({ query: `SELECT count() AS n FROM ${db}.events_kafka`, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n), (n) => n >= 3000 + 600 + 300 + 180, 120_000);
    // The check as verify:parity runs it, then the move, told that it found one row fewer in p0 than the table now holds.
    const parityCh = clickhouseClient(kit.config, 'parity');
    const kafka = kafkaClient(kit.config.kafka.brokers);
    const admin = await connectAdmin(kafka, kit.config.kafka.brokers);
    try {
      const truth = await topicTruth(admin, up.pipeline.topic.name);
      const legs = [{ leg: 'kafka_engine', table: `${db}.events_kafka`, database: db, tableName: 'events_kafka' }];
      const inc = new Incremental(parityCh, db, up.pipeline.topic.name, contentOf(up.schema.columns).hash);
      const window = await inc.plan(truth, expectedRanges(truth), legs);
      const held = await (await parityCh.query({ query: `SELECT _partition AS p, count() AS n FROM ${db}.events_kafka WHERE ${window.map((r) => `(_partition = ${r.partition} AND _offset BETWEEN ${r.from} AND ${r.to})`).join(' OR ')} GROUP BY p`, format: 'JSONEachRow' })).json<{ p: number; n: string }>();
      const rows = (p: number) => Number(held.find((x) => x.p === p)?.n ?? 0);
      const report = await inc.advance(legs, window, [0, 1, 2].map((p) => ({ leg: 'kafka_engine', partition: p, exact: true, rows: p === 0 ? rows(0) - 1 : rows(p) })));
      const p0 = report.watermarks.find((w) => w.partition === 0)!;
      expect(p0).toMatchObject({ status: 'held', note: `the table held ${rows(0)} rows there after the check, ${rows(0) - 1} during it` });
      expect(report.watermarks.filter((w) => w.partition !== 0).map((w) => w.status)).toEqual(['advanced', 'advanced']);
    } finally {
      await admin.disconnect();
      await parityCh.close();
    }
  });

  it('catches a row lost below the watermark, drops that watermark, and the next check finds the offset', async () => {
    const [row] = await (await ch.query({ query: `SELECT _offset FROM ${db}.events_kafka WHERE _partition = 1 ORDER BY _offset LIMIT 1 OFFSET 100`, format: 'JSONEachRow' })).json<{ _offset: string }>();
    await mutate(ch, `ALTER TABLE ${db}.events_kafka DELETE WHERE _partition = 1 AND _offset = ${row!._offset}`);
    const caught = parity('--incremental', '--json');
    expect(caught.code).toBe(1);
    const below = caught.report.incremental!.belowWatermark.find((b) => b.leg === 'kafka_engine' && b.partition === 1)!;
    expect(below.ok).toBe(false);
    expect(Number(below.expectedRows) - Number(below.rows)).toBe(1);
    expect(caught.report.reasons.join(' ')).toMatch(/kafka_engine p1: below the watermark \d+ .* holds \d+ rows where it held \d+: rows lost or duplicated since/);
    expect(engine(caught.report).find((w) => w.partition === 1)!.status).toBe('reset');

    const full = parity('--incremental', '--json');
    expect(full.code).toBe(1);
    const p1 = full.report.legs.find((l) => l.leg === 'kafka_engine')!.partitions.find((p) => p.partition === 1)!;
    expect(p1.missingRanges).toEqual([{ from: String(row!._offset), to: String(row!._offset) }]);
    expect(full.report.ranges.find((r) => r.partition === 1)!.from).toBe('0');
  });

  it('resets a watermark above the end of the topic (recreated or truncated), saying so', async () => {
    await mutate(ch, `INSERT INTO ${db}.parity_watermarks (topic, leg, table_name, partition, first_offset, watermark, row_count, offsets_checksum, content_checksum)
      VALUES ('${up.pipeline.topic.name}', 'kafka_engine', '${db}.events_kafka', 2, 0, 999999, 1000000, 1, 1)`);
    const r = parity('--incremental', '--json');
    expect(r.report.incremental!.resets).toEqual([
      expect.objectContaining({ leg: 'kafka_engine', partition: 2, reason: expect.stringMatching(/below the watermark 999999: it was recreated or truncated/) }),
    ]);
    expect(r.report.ranges.find((x) => x.partition === 2)!.from).toBe('0');
    const text = parity('--incremental');
    expect(text.stdout).not.toMatch(/reset kafka_engine p2/);
  });

  it('refuses --incremental with --run, exit 2', () => {
    const r = parity('--incremental', '--run', '/dev/null');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--incremental .* does not take --run/);
  });

  it('asks for sql:apply on a watermarks table from before the part sums; sql:apply adds them and keeps the watermarks', async () => {
    await mutate(ch, `ALTER TABLE ${db}.parity_watermarks DROP COLUMN parts, DROP COLUMN part_rows, DROP COLUMN part_offsets_checksums`);
    const refused = parity('--incremental');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/predates the per-part sums .*run `npm run sql:apply`/);
    const apply = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sql-apply.ts'], { cwd: projectRoot, env, encoding: 'utf8', timeout: 180_000 });
    expect(apply.status, apply.stderr).toBe(0);
    const r = parity('--incremental', '--json');
    const held = r.report.incremental!.belowWatermark.filter((b) => b.leg === 'kafka_engine' && b.ok);
    expect(held.length).toBeGreaterThan(0);
    // Watermarks without part sums: every part is read once.
    for (const b of held) expect([b.rowsRead, b.partsReused]).toEqual([b.rows, 0]);
  });

  it('catches a row duplicated below the watermark in a new part', async () => {
    const [row] = await (await ch.query({ query: `SELECT _offset FROM ${db}.events_kafka WHERE _partition = 0 ORDER BY _offset LIMIT 1 OFFSET 20`, format: 'JSONEachRow' })).json<{ _offset: string }>();
    await mutate(ch, `INSERT INTO ${db}.events_kafka SELECT * FROM ${db}.events_kafka WHERE _partition = 0 AND _offset = ${row!._offset}`);
    const caught = parity('--incremental', '--json');
    expect(caught.code).toBe(1);
    const below = caught.report.incremental!.belowWatermark.find((b) => b.leg === 'kafka_engine' && b.partition === 0)!;
    expect(below.ok).toBe(false);
    expect(Number(below.rows) - Number(below.expectedRows)).toBe(1);
    expect(engine(caught.report).find((w) => w.partition === 0)!.status).toBe('reset');
    const full = parity('--incremental', '--json');
    const p0 = full.report.legs.find((l) => l.leg === 'kafka_engine')!.partitions.find((p) => p.partition === 0)!;
    expect(p0.duplicateRanges).toEqual([{ from: String(row!._offset), to: String(row!._offset), copies: 2 }]);
  });
  it('resets the watermarks of a leg whose table was created again under its name (part names start over there)', async () => {
    const before = parity('--incremental', '--json');
    expect(engine(before.report).find((w) => w.partition === 2)!.watermark).toBeDefined();
    // The same name, a new table (a new UUID) holding the old rows but one.
    const [row] = await (await ch.query({ query: `SELECT _offset FROM ${db}.events_kafka WHERE _partition = 2 ORDER BY _offset LIMIT 1 OFFSET 7`, format: 'JSONEachRow' })).json<{ _offset: string }>();
    await ch.command({ query: `CREATE TABLE ${db}.events_kafka_again AS ${db}.events_kafka` });
    await mutate(ch, `INSERT INTO ${db}.events_kafka_again SELECT * FROM ${db}.events_kafka WHERE NOT (_partition = 2 AND _offset = ${row!._offset})`);
    await ch.command({ query: `EXCHANGE TABLES ${db}.events_kafka AND ${db}.events_kafka_again` });
    const r = parity('--incremental', '--json');
    expect(r.code).toBe(1);
    expect(r.report.incremental!.resets.filter((x) => x.leg === 'kafka_engine').map((x) => x.reason)).toContainEqual(expect.stringMatching(/events_kafka was created again since the watermark was proven/));
    const p2 = r.report.legs.find((l) => l.leg === 'kafka_engine')!.partitions.find((p) => p.partition === 2)!;
    expect(p2.missingRanges).toEqual([{ from: String(row!._offset), to: String(row!._offset) }]);
  });
});
