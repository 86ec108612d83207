/**
 * verify:parity --content topic on the embedded stack: the topic's own records, read from
 * the real broker and decoded through the real registry, against each leg. Values are
 * changed directly in ClickHouse, on one leg or on both the same way (where comparing the
 * legs with each other sees nothing), and the witness must name the offsets and columns.
 *
 * The connector leg is a copy of what the real Kafka engine landed (as in parity.test.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import path from 'node:path';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ParityReport } from '../../src/parity/verify.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { projectRoot } from '../../src/paths.js';
import { tempDir } from '../temp-dir.js';
import { chromiumPath, skipWithoutChromium } from './browser.js';
import { mutate, produceOptions, restoreLegsFromPristine, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
let env: NodeJS.ProcessEnv;
let ch: ClickHouseClient;
let summary: ProduceSummary;

function parity(...args: string[]): { code: number; report: ParityReport; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify-parity.ts', ...args], { cwd: projectRoot, env, encoding: 'utf8', timeout: 180_000 });
  let report = undefined as unknown as ParityReport;
  if (args.includes('--json') && !args.includes('--watch')) {
    try {
      report = JSON.parse(out.stdout) as ParityReport;
    } catch {
      throw new Error(`verify:parity printed no JSON (exit ${out.status}):\n${out.stdout}\n${out.stderr}`);
    }
  }
  return { code: out.status ?? -1, report, stdout: out.stdout, stderr: out.stderr };
}

const witnessLeg = (r: ParityReport, leg: string) => r.witness!.legs.find((l) => l.leg === leg)!;

const exec = (query: string) => mutate(ch, query);
const restore = () => restoreLegsFromPristine(ch, db);

/** The n-th offset of a partition holding an event with the given referrer state. */
async function offsetWhere(partition: number, condition: string, nth = 0): Promise<number> {
  const rs = await ch.query({ query: `SELECT _offset FROM ${db}.pristine WHERE _partition = ${partition} AND ${condition} ORDER BY _offset LIMIT 1 OFFSET ${nth}`, format: 'JSONEachRow' });
  const [row] = await rs.json<{ _offset: string }>();
  if (!row) throw new Error(`no row of p${partition} where ${condition}`);
  return Number(row._offset);
}

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('parity_topic'));
  db = kit.config.clickhouse.database;
  env = kit.env();
  ch = kit.admin;
  summary = await produceAvro(produceOptions(kit, up, { count: 3000, seed: 13, poison: 2 }));
  // The Kafka engine lands the run; its rows become the pristine copy of both legs.
  const settled = parity('--wait', '--timeout', '150', '--require', 'any', '--json');
  expect(settled.code, settled.stderr).toBe(0);
  await exec(`CREATE TABLE ${db}.pristine AS ${db}.events_kafka`);
  await exec(`INSERT INTO ${db}.pristine SELECT * FROM ${db}.events_kafka`);
});

afterAll(async () => {
  await kit?.drop();
});

describe('verify:parity --content topic', () => {
  it("finds both legs equal to the topic's events, the poison records named as not events", async () => {
    await restore();
    const r = parity('--content', 'topic', '--require', 'any', '--json');
    const w = r.report.witness!;
    expect(w.compared).toBe(true);
    expect(w.sample).toMatchObject({ percent: 100, sampled: 3002, read: 3002 });
    expect(w.partitions.reduce((s, p) => s + p.events, 0)).toBe(3000);
    expect(w.undecodable.map((u) => `${u.partition}:${u.offset}`).sort()).toEqual(summary.poisonOffsets.map((o) => `${o.partition}:${o.offset}`).sort());
    for (const leg of ['connector', 'kafka_engine']) expect(witnessLeg(r.report, leg)).toMatchObject({ present: true, differing: 0 });
    for (const p of w.partitions) for (const l of p.legs) expect(l).toMatchObject({ equal: true, rows: p.events });
    expect(r.report.reasons.filter((x) => x.includes('topic'))).toEqual([]);

    const text = parity('--content', 'topic', '--require', 'any');
    expect(text.stdout).toMatch(/topic witness: every offset \(3002 records\)/);
    expect(text.stdout).toMatch(/every present leg holds the topic's events/);
  });

  it('names the leg, the offset and the column when one leg changed a value', async () => {
    await restore();
    const offset = await offsetWhere(0, '1', 17);
    await exec(`ALTER TABLE ${db}.events_connect UPDATE action = 'tampered' WHERE _partition = 0 AND _offset = ${offset}`);
    const junitFile = path.join(tempDir('kit-parity-junit-'), 'parity.xml');
    const r = parity('--content', 'topic', '--json', '--junit', junitFile);
    expect(r.code).toBe(1);
    expect(witnessLeg(r.report, 'connector')).toMatchObject({ differing: 1, columns: { action: 1, id: 0, referrer: 0 } });
    // JUnit: the connector's partition 0 fails, naming the column; its other partitions pass.
    const xml = readFileSync(junitFile, 'utf8');
    expect(xml).toMatch(new RegExp(`name="${up.pipeline.topic.name} partition 0"[^>]*>\\s*<failure message="[^"]*differs from the topic at 1 offsets \\(action 1\\)`));
    expect((xml.match(/<testcase /g) ?? []).length).toBe(6);
    expect(witnessLeg(r.report, 'kafka_engine').differing).toBe(0);
    expect(r.report.witness!.examples).toEqual([
      expect.objectContaining({ leg: 'connector', partition: 0, offset: String(offset), columns: ['action'], topicHasEvent: true }),
    ]);
    expect(r.report.reasons).toContain('connector: differs from the topic at 1 offsets (action 1)');
  });

  it('catches the same value changed on both legs, where the legs agree with each other', async () => {
    await restore();
    const offset = await offsetWhere(1, 'referrer IS NOT NULL', 5);
    for (const t of ['events_connect', 'events_kafka']) await exec(`ALTER TABLE ${db}.${t} UPDATE referrer = 'elsewhere' WHERE _partition = 1 AND _offset = ${offset}`);
    const r = parity('--content', 'topic', '--json');
    expect(r.code).toBe(1);
    expect(r.report.content).toMatchObject({ compared: true, differing: 0 });
    for (const leg of ['connector', 'kafka_engine']) expect(witnessLeg(r.report, leg)).toMatchObject({ differing: 1, columns: { referrer: 1 } });
    const p1 = r.report.witness!.partitions.find((p) => p.partition === 1)!;
    expect(p1.legs.map((l) => l.equal)).toEqual([false, false]);
    expect(r.report.witness!.partitions.filter((p) => p.partition !== 1).every((p) => p.legs.every((l) => l.equal))).toBe(true);
  });

  it('tells a NULL from an empty string', async () => {
    await restore();
    const offset = await offsetWhere(2, 'referrer IS NULL', 3);
    await exec(`ALTER TABLE ${db}.events_kafka UPDATE referrer = '' WHERE _partition = 2 AND _offset = ${offset}`);
    const r = parity('--content', 'topic', '--json');
    expect(witnessLeg(r.report, 'kafka_engine')).toMatchObject({ differing: 1, columns: { referrer: 1 } });
    const [example] = r.report.witness!.examples;
    expect(example).toMatchObject({ leg: 'kafka_engine', partition: 2, offset: String(offset), columns: ['referrer'] });
    expect((example!.topic as unknown[])[5]).toBeNull();
    expect((example!.row as unknown[])[5]).toBe('');
  });

  it('catches a timestamp off by its precision (one millisecond)', async () => {
    await restore();
    const offset = await offsetWhere(0, '1', 40);
    await exec(`ALTER TABLE ${db}.events_connect UPDATE event_time = event_time + toIntervalMillisecond(1) WHERE _partition = 0 AND _offset = ${offset}`);
    const r = parity('--content', 'topic', '--json');
    expect(witnessLeg(r.report, 'connector')).toMatchObject({ differing: 1, columns: { event_time: 1, action: 0 } });
    expect(r.report.witness!.examples[0]).toMatchObject({ offset: String(offset), columns: ['event_time'] });
  });

  it('compares the one leg there is when the other is absent', async () => {
    await restore();
    await exec(`DROP TABLE ${db}.events_connect SYNC`);
    const offset = await offsetWhere(1, '1', 99);
    await exec(`ALTER TABLE ${db}.events_kafka UPDATE user_id = 'someone-else' WHERE _partition = 1 AND _offset = ${offset}`);
    const r = parity('--content', 'topic', '--require', 'any', '--json');
    expect(r.code).toBe(1);
    expect(r.report.content.compared).toBe(false);
    expect(witnessLeg(r.report, 'connector').present).toBe(false);
    expect(witnessLeg(r.report, 'kafka_engine')).toMatchObject({ differing: 1, columns: { user_id: 1 } });
    const text = parity('--content', 'topic', '--require', 'any');
    expect(text.stdout).toMatch(/│ absent/);
  });

  it('--sample compares the same deterministic subset on every run, says so, and catches a change at a sampled offset', async () => {
    await restore();
    const a = parity('--content', 'topic', '--sample', '20', '--json');
    const b = parity('--content', 'topic', '--sample', '20', '--json');
    const w = a.report.witness!;
    expect(w.sample.sampled).toBeGreaterThan(400);
    expect(w.sample.sampled).toBeLessThan(800);
    expect(b.report.witness!.sample.sampled).toBe(w.sample.sampled);
    expect(w.partitions.map((p) => p.checksum)).toEqual(b.report.witness!.partitions.map((p) => p.checksum));
    expect(w.sample.note).toMatch(/20% sample: \d+ of 3002 offsets/);
    expect(w.legs.every((l) => l.differing === 0)).toBe(true);

    // Which offsets are sampled is a pure function of (partition, offset): change one sampled, one not.
    const { OffsetSample } = await import('../../src/parity/witness/sample.js');
    const sample = new OffsetSample(20);
    const p2 = summary.partitions.find((p) => p.partition === 2)!;
    const poison = new Set(summary.poisonOffsets.filter((o) => o.partition === 2).map((o) => Number(o.offset)));
    const events = Array.from({ length: p2.messages }, (_, i) => Number(p2.firstOffset) + i).filter((o) => !poison.has(o));
    const inSample = events.find((o) => sample.has(2, BigInt(o)))!;
    const outOfSample = events.find((o) => !sample.has(2, BigInt(o)))!;
    await exec(`ALTER TABLE ${db}.events_kafka UPDATE version = version + 1 WHERE _partition = 2 AND _offset IN (${inSample}, ${outOfSample})`);
    const c = parity('--content', 'topic', '--sample', '20', '--json');
    expect(witnessLeg(c.report, 'kafka_engine')).toMatchObject({ differing: 1, columns: { version: 1 } });
    expect(c.report.witness!.examples.map((e) => e.offset)).toEqual([String(inSample)]);
  });

  it('--watch checks on an interval, one line each, and prints a summary on Ctrl-C; --fail-fast exits at the first difference', async () => {
    await restore();
    await exec(`DROP TABLE ${db}.events_connect SYNC`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/verify-parity.ts', '--watch', '--interval', '1s', '--require', 'any'], { cwd: projectRoot, env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = () => out.split('\n').filter((l) => /Z {2}(EXACT|DIFFERS|ERROR)/.test(l));
    for (const deadline = Date.now() + 120_000; lines().length < 2; ) {
      if (Date.now() > deadline) throw new Error(`two checks not printed in 120 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(lines().every((l) => l.includes('EXACT') && l.includes('kafka_engine 3002'))).toBe(true);
    expect(out).toMatch(/│ checks +│ \d+ /);
    expect(out).toMatch(/│ differing +│ 0 /);

    const offset = await offsetWhere(0, '1', 7);
    await exec(`ALTER TABLE ${db}.events_kafka DELETE WHERE _partition = 0 AND _offset = ${offset}`);
    const failFast = parity('--watch', '--interval', '1s', '--require', 'any', '--fail-fast', '--json');
    expect(failFast.code).toBe(1);
    const records = failFast.stdout.trim().split('\n').map((l) => JSON.parse(l) as { exact?: boolean; reasons?: string[]; summary?: { checks: number } });
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ exact: false, reasons: ['kafka_engine: 1 offsets missing'] });
    expect(records[1]).toMatchObject({ summary: { checks: 1, differing: 1, exitCode: 1 } });
  });

  it.skipIf(skipWithoutChromium('the HTML report in a browser'))('--html writes one page that a real browser shows: bars marking each fault, the three-way table', async () => {
    await restore();
    const offsets = [await offsetWhere(0, '1', 200), await offsetWhere(0, '1', 209)];
    await exec(`ALTER TABLE ${db}.events_connect DELETE WHERE _partition = 0 AND _offset BETWEEN ${offsets[0]} AND ${offsets[1]}`);
    const tampered = await offsetWhere(1, '1', 3);
    await exec(`ALTER TABLE ${db}.events_kafka UPDATE action = '<b>tampered</b>' WHERE _partition = 1 AND _offset = ${tampered}`);
    await exec(`INSERT INTO ${db}.events_kafka SELECT * FROM ${db}.pristine WHERE _partition = 2 ORDER BY _offset LIMIT 5`);
    const dir = path.join(projectRoot, 'test-output');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'parity-report.html');
    const r = parity('--content', 'topic', '--html', file);
    expect(r.code).toBe(1);

    if (!chromiumPath) throw new Error('no Chromium to open the report: apt-get install chromium (or set CHROMIUM_PATH)');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(file).href);
      expect(await page.locator('#verdict').innerText()).toMatch(/^PARITY DIFFERS/);
      expect(await page.locator('svg.bar').count()).toBe(6);
      const missing = page.locator('tr[data-leg="connector"][data-partition="0"] rect.mark.missing');
      expect(await missing.count()).toBe(1);
      expect(await missing.locator('title').textContent()).toBe(`missing [${offsets[0]}, ${offsets[1]}]`);
      const box = await missing.boundingBox();
      expect(box!.width).toBeGreaterThan(0);
      expect(await page.locator('tr[data-leg="kafka_engine"][data-partition="2"] rect.mark.duplicate').count()).toBe(1);
      expect(await page.locator('tr[data-leg="connector"][data-partition="0"] rect.mark.dead-lettered, tr[data-leg="kafka_engine"] rect.mark.error').count()).toBeGreaterThan(0);
      const threeWay = page.locator('table.three-way tr[data-partition="1"] td');
      expect(await threeWay.allInnerTexts()).toEqual([expect.any(String), expect.any(String), expect.any(String), expect.stringMatching(/^equal/), '1 differ: action 1']);
      // The tampered value is shown as text, not markup.
      expect(await page.locator('table.examples').innerText()).toContain('<b>tampered</b>');
      const shot = path.join(dir, 'parity-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      process.stderr.write(`parity report screenshot: ${shot}\n`);
    } finally {
      await browser.close();
    }
  });

  it('refuses --sample out of range or without --content topic, exit 2', () => {
    const bad = parity('--content', 'topic', '--sample', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sample is a percentage in \(0, 100\]/);
    const alone = parity('--sample', '5');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--content topic/);
    const watchWait = parity('--watch', '--wait');
    expect(watchWait.code).toBe(2);
    expect(watchWait.stderr).toMatch(/--watch .* neither --wait nor --run/);
    const failFastAlone = parity('--fail-fast');
    expect(failFastAlone.code).toBe(2);
    expect(failFastAlone.stderr).toMatch(/add --watch/);
    const badInterval = parity('--watch', '--interval', 'soon');
    expect(badInterval.code).toBe(2);
    expect(badInterval.stderr).toMatch(/--interval takes a duration/);
  });
});
