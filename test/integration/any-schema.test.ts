/**
 * A schema the kit has never seen, generated here (types drawn at random from those the
 * conformance table finds exact on both legs, fields named like parity's own result columns),
 * goes the way a new user takes it:
 * pipeline:new -> sql:apply -> connector:deploy -> produce:avro -> verify:parity --content topic
 * --require both, through the CLIs: both legs exact against the topic.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectClient } from '../../src/connect/rest.js';
import { caseSchema, TYPE_CASES } from '../../src/conformance/catalogue.js';
import { parseSchema } from '../../src/pipeline/avro.js';
import { chTypeOf, type Refusal } from '../../src/pipeline/mapping.js';
import { connectAdmin, kafkaClient } from '../../src/kafka.js';
import type { ParityReport } from '../../src/parity/verify.js';
import { projectRoot } from '../../src/paths.js';
import { tempDir } from '../temp-dir.js';
import { isolatedKit, type IsolatedKit } from './helpers.js';

/**
 * Types a leg stores differently or rejects in the conformance table (README), left out of the
 * generated schema: this test is about the flow, the table about the types.
 */
const NOT_EXACT = new Set(['fixed', 'decimal_fixed']);
/** The catalogue's types the mapping carries (no refusal), without a default case's schema change. */
const usable = TYPE_CASES.filter((c) => {
  if (c.default || NOT_EXACT.has(c.name)) return false;
  const refusals: Refusal[] = [];
  chTypeOf(parseSchema(JSON.stringify(caseSchema(c)), c.name).root.fields[0]!.type, 'v', refusals);
  return refusals.length === 0;
});

let kit: IsolatedKit;
const name = `shipment_${randomBytes(3).toString('hex')}`;
const dir = tempDir('kit-any-schema-');
const schemaFile = path.join(dir, `${name}.avsc`);
let fields: { name: string; type: unknown }[];

function cli(script: string, ...args: string[]) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { cwd: projectRoot, env: kit.env(), encoding: 'utf8', timeout: 300_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

beforeAll(() => {
  kit = isolatedKit('any_schema');
  // 12 fields of types drawn at random and a string key field, named after what parity's own
  // queries call their results (a field may share any alias's name: the column must win).
  const names = ['partition', 'offset', 'rows', 'checksum', 'h', 'row', 'decoded', 'unfit', 'columns', 'events', 'compared', 'differing'];
  const picks = names.map(() => usable[randomBytes(1)[0]! % usable.length]!);
  fields = [{ name: 'parcel_ref', type: 'string' }, ...picks.map((c, i) => ({ name: names[i]!, type: JSON.parse(JSON.stringify(c.type).replace(/"name":"(\w+)"/g, (_m, n: string) => `"name":"${n}${i}"`)) }))];
  // Drawn at random each run: the draw is printed, so a failure can be replayed.
  console.info(`[any-schema] ${picks.map((c, i) => `${names[i]}: ${c.name}`).join(', ')}`);
  writeFileSync(schemaFile, JSON.stringify({ type: 'record', name: 'Shipment', namespace: `com.example.${name}`, fields }, null, 2));
});

afterAll(async () => {
  await new ConnectClient({ url: kit.config.connect.url }).delete(`${name.replace(/_/g, '-')}-clickhouse-sink`).catch(() => undefined);
  const admin = await connectAdmin(kafkaClient(kit.config.kafka.brokers), kit.config.kafka.brokers);
  const existing = await admin.listTopics();
  await admin.deleteTopics({ topics: existing.filter((t) => t.startsWith(name)) }).catch(() => undefined);
  await admin.disconnect();
  await kit.drop();
});

describe('a schema the kit has never seen, end to end through the CLIs', () => {
  it('pipeline:new writes the definition, prints the DDL and what to run next, and refuses to overwrite it', () => {
    const out = cli('pipeline-new', '--name', name, '--schema', schemaFile, '--key-field', 'parcel_ref', '--partitions', '3');
    expect(out.code, out.stderr).toBe(0);
    const file = path.join(kit.dir, `${name}.yaml`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/key:\n\s+field: parcel_ref/);
    expect(out.stdout).toContain(`CREATE TABLE IF NOT EXISTS ${kit.config.clickhouse.database}.${name}_connect`);
    expect(out.stdout).toContain(`npm run sql:apply -- --pipeline ${name}`);
    for (const f of fields) expect(out.stdout).toContain(`\`${f.name}\``);
    const again = cli('pipeline-new', '--name', name, '--schema', schemaFile);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; pipeline:new never overwrites a definition/);
  });

  it('sql:apply, connector:deploy, produce:avro, then verify:parity --content topic --require both: both legs exact', () => {
    for (const [script, ...args] of [
      ['sql-apply', '--pipeline', name],
      ['connector', 'deploy', '--pipeline', name, '--timeout', '120'],
    ] as const) {
      const out = cli(script, ...args);
      expect(out.code, `${script}: ${out.stdout.slice(-2000)}\n${out.stderr.slice(-3000)}`).toBe(0);
    }
    const produced = cli('produce-avro', '--pipeline', name, '--count', '3000', '--poison', '2', '--edge', '25', '--seed', '17', '--json');
    expect(produced.code, produced.stderr).toBe(0);
    const runFile = path.join(dir, 'run.json');
    writeFileSync(runFile, produced.stdout);
    const out = cli('verify-parity', '--run', runFile, '--wait', '--timeout', '240', '--content', 'topic', '--require', 'both', '--json');
    const report = JSON.parse(out.stdout) as ParityReport;
    expect(out.code, JSON.stringify(report.reasons)).toBe(0);
    expect(report.pipeline).toBe(name);
    for (const leg of report.legs) expect(leg.totals, leg.leg).toMatchObject({ expected: 3002, landed: 3000, missing: 0, duplicates: 0 });
    expect(report.content).toMatchObject({ compared: true, differing: 0 });
    expect(report.witness!.legs.map((l) => [l.leg, l.differing])).toEqual([
      ['connector', 0],
      ['kafka_engine', 0],
    ]);
    expect(report.witness!.sample.read).toBe(3002);
  });

  it('verify:parity --incremental twice: the second proves what the first checked and moves no watermark', () => {
    const first = cli('verify-parity', '--pipeline', name, '--incremental', '--json');
    expect(first.code, first.stdout.slice(-2000)).toBe(0);
    const again = cli('verify-parity', '--pipeline', name, '--incremental', '--json');
    const report = JSON.parse(again.stdout) as ParityReport;
    expect(again.code, JSON.stringify(report.reasons)).toBe(0);
    expect(report.incremental!.belowWatermark.length).toBeGreaterThan(0);
    expect(report.incremental!.belowWatermark.every((b) => b.ok && b.rows === b.expectedRows)).toBe(true);
  });

  it('pipeline:list shows it with its topic, its tables and its running connector', () => {
    const out = cli('pipeline-list', '--json');
    expect(out.code, out.stderr).toBe(0);
    const row = (JSON.parse(out.stdout) as { pipelines: { name: string; topicState: string; tables: string; connectorState: string }[] }).pipelines.find((p) => p.name === name);
    expect(row).toMatchObject({ topicState: '3 partitions', tables: 'all', connectorState: 'RUNNING, tasks RUNNING' });
  });
});
