/**
 * Wrong flags, missing files, malformed JSON and YAML, invalid or unsupported schemas, a
 * typo'd key, a topic of other partitions, an incompatible registry subject, two pipelines on
 * one table, bad record files, wrong credentials, unreachable services: each command answers
 * with a clear message naming the input and the fix, exit 2 (3 for a service that does not
 * answer), and creates nothing: no table, no topic.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAdmin, kafkaClient } from '../../src/kafka.js';
import { writePipeline } from '../../src/pipeline/isolated.js';
import { projectRoot } from '../../src/paths.js';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { Registry } from '../../src/registry/registry.js';
import { tempDir } from '../temp-dir.js';
import { isolatedKit, USER_EVENTS_SCHEMA, type IsolatedKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
const dir = tempDir('kit-bad-');

function cli(script: string, args: string[], extraEnv: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
    cwd: projectRoot,
    env: kit.env(extraEnv),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: out.status, stderr: out.stderr, stdout: out.stdout };
}

function file(name: string, text: string) {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Nothing of the kit was created: no database, and none of these topics. */
async function nothingCreated(k: IsolatedKit, topics: string[]): Promise<void> {
  const rows = await (await k.admin.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}', query_params: { db: k.config.clickhouse.database }, format: 'JSONEachRow' })).json<{ n: string }>();
  expect(Number(rows[0]!.n), `database ${k.config.clickhouse.database} exists`).toBe(0);
  const admin = await connectAdmin(kafkaClient(k.config.kafka.brokers), k.config.kafka.brokers);
  try {
    const existing = await admin.listTopics();
    expect(topics.filter((t) => existing.includes(t))).toEqual([]);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  kit = isolatedKit('bad');
  up = await kit.pipeline(USER_EVENTS_SCHEMA, { key: { field: 'user_id' } });
});

afterAll(async () => {
  await kit?.drop();
});

const cases: { name: string; script: string; args: string[]; env?: Record<string, string>; code?: number; message: RegExp }[] = [
  { name: 'sql:apply with a wrong admin password', script: 'sql-apply', args: [], env: { CLICKHOUSE_ADMIN_PASSWORD: 'wrong' }, message: /Authentication failed.*check the ClickHouse user and password/s },
  { name: 'sql:apply with ClickHouse unreachable', script: 'sql-apply', args: [], env: { CLICKHOUSE_URL: 'http://127.0.0.1:1' }, code: 3, message: /ClickHouse at http:\/\/127\.0\.0\.1:1 is unreachable/ },
  { name: 'sql:apply of a pipeline that does not exist', script: 'sql-apply', args: ['--pipeline', 'nope'], message: /no pipeline named nope in .*; defined: bad_/ },
  { name: 'produce:avro with a missing schema file', script: 'produce-avro', args: ['--count', '1', '--schema', '/nonexistent/s.avsc'], message: /\/nonexistent\/s\.avsc/ },
  { name: 'produce:avro with a malformed schema file', script: 'produce-avro', args: ['--count', '1', '--schema', 'MALFORMED_AVSC'], message: /bad\.avsc:1:\d+: not valid JSON/ },
  { name: 'produce:avro with a negative rate', script: 'produce-avro', args: ['--count', '1', '--rate', '-5'], message: /--rate must be an integer >= 0/ },
  { name: 'produce:avro with an unknown compression', script: 'produce-avro', args: ['--count', '1', '--compression', 'brotli'], message: /--compression/ },
  { name: 'produce:avro --from-file with a count', script: 'produce-avro', args: ['--from-file', 'MALFORMED_JSON', '--count', '3'], message: /--from-file sends the file's records/ },
  { name: 'verify:parity with a malformed --run file', script: 'verify-parity', args: ['--run', 'MALFORMED_JSON'], message: /is not JSON/ },
  { name: 'verify:parity with a --run file of another shape', script: 'verify-parity', args: ['--run', 'WRONG_SHAPE'], message: /not a produce:avro summary/ },
  { name: 'verify:parity with a wrong password for its user', script: 'verify-parity', args: [], env: { CLICKHOUSE_PARITY_PASSWORD: 'wrong' }, message: /Authentication failed/ },
  { name: 'verify:parity with Kafka unreachable', script: 'verify-parity', args: [], env: { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' }, code: 3, message: /Kafka broker at 127\.0\.0\.1:1 is unreachable/ },
  { name: 'verify:parity with a bad timeout', script: 'verify-parity', args: ['--wait', '--timeout', 'soon'], message: /--timeout must be an integer/ },
  { name: 'demo with --count 0', script: 'demo', args: ['--count', '0'], message: /--count must be an integer >= 1/ },
  { name: 'stack:restart of an unknown service', script: 'stack-restart', args: ['postgres'], message: /unknown service postgres/ },
  { name: 'any command with a malformed config value', script: 'sql-apply', args: [], env: { CONNECT_URL: 'not a url' }, message: /CONNECT_URL/ },
];

describe('bad input', () => {
  for (const c of cases) {
    it(`${c.name}: exit ${c.code ?? 2} with a clear message`, () => {
      const args = c.args.map((a) =>
        a === 'MALFORMED_AVSC' ? file('bad.avsc', '{"type": "record", ') : a === 'MALFORMED_JSON' ? file('bad.json', '{not json') : a === 'WRONG_SHAPE' ? file('shape.json', '{"hello": 1}') : a,
      );
      const out = cli(c.script, args, c.env);
      expect(out.code, out.stderr).toBe(c.code ?? 2);
      expect(out.stderr).toMatch(c.message);
    });
  }
});

describe('bad pipelines: exit 2 naming the file, the line or the field, and nothing created', () => {
  /** A kit of its own per case (its pipelines directory holds just what the case writes). */
  async function withPipelines(write: (k: IsolatedKit) => void | Promise<void>, args: string[] = ['--pipeline', 'all']) {
    const k = isolatedKit('badp');
    try {
      await write(k);
      const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sql-apply.ts', ...args], { cwd: projectRoot, env: k.env(), encoding: 'utf8', timeout: 120_000 });
      const rows = await (await k.admin.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}', query_params: { db: k.config.clickhouse.database }, format: 'JSONEachRow' })).json<{ n: string }>();
      return { code: out.status, stderr: out.stderr, databaseCreated: Number(rows[0]!.n) > 0, kit: k };
    } finally {
      await k.drop();
    }
  }

  it('an Avro schema with a syntax error: its file and line', async () => {
    const schema = file('syntax.avsc', '{\n  "type": "record",\n  "name": "X",\n  "fields": [\n    { "name": "a", "type": "int" }\n    { "name": "b", "type": "string" }\n  ]\n}\n');
    const r = await withPipelines((k) => void writePipeline(k.dir, { name: `${k.tag}`, schema: { file: schema } }, k.config.clickhouse.database));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/syntax\.avsc:6:\d+: not valid JSON/);
    expect(r.databaseCreated).toBe(false);
  });

  it('an invalid Avro schema (an unknown type): its file, line and problem', async () => {
    const schema = file('unknown-type.avsc', '{\n  "type": "record",\n  "name": "X",\n  "fields": [\n    { "name": "a", "type": "strng" }\n  ]\n}\n');
    const r = await withPipelines((k) => void writePipeline(k.dir, { name: `${k.tag}`, schema: { file: schema } }, k.config.clickhouse.database));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/unknown-type\.avsc:5: not a valid Avro schema: undefined type name: strng/);
  });

  it('a type a leg cannot carry: the field, its type, the leg, why and what to do', async () => {
    const schema = file('unsupported.avsc', JSON.stringify({ type: 'record', name: 'X', fields: [{ name: 'ok', type: 'int' }, { name: 'either', type: ['null', 'string', 'long'] }, { name: 'addr', type: ['null', { type: 'record', name: 'A', fields: [{ name: 'c', type: 'string' }] }], default: null }] }));
    const r = await withPipelines((k) => void writePipeline(k.dir, { name: `${k.tag}`, schema: { file: schema } }, k.config.clickhouse.database));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/field either \(\[null, string, long\]\): both legs: a union of 2 types has no single ClickHouse column type.*Split it/);
    expect(r.stderr).toMatch(/field addr \(\[null, record A\]\): both legs: ClickHouse's Nullable cannot hold a Tuple.*Make the field non-null with a default/);
    expect(r.databaseCreated).toBe(false);
  });

  it("a typo'd key: the file, the key, its line and the key meant", async () => {
    const r = await withPipelines((k) => {
      writeFileSync(path.join(k.dir, `${k.tag}.yaml`), `name: ${k.tag}\nschema:\n  file: ${USER_EVENTS_SCHEMA}\ntopic:\n  partitons: 3\n`);
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/\.yaml: not a pipeline definition:\n\s+topic\.partitons \(line 5\): unknown key; did you mean topic\.partitions\?/);
  });

  it('two pipelines writing one table', async () => {
    const r = await withPipelines((k) => {
      const db = k.config.clickhouse.database;
      writePipeline(k.dir, { name: `${k.tag}_a`, schema: { file: USER_EVENTS_SCHEMA }, clickhouse: { connectorTable: 'shared' } }, db);
      writePipeline(k.dir, { name: `${k.tag}_b`, schema: { file: USER_EVENTS_SCHEMA }, clickhouse: { connectorTable: 'shared' } }, db);
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/table it_badp_\w+\.shared is claimed by two pipelines, badp_\w+_a \(.*\) and badp_\w+_b \(.*\)/);
    expect(r.databaseCreated).toBe(false);
  });

  it('several pipelines and none is the default: the names to choose from', async () => {
    const r = await withPipelines((k) => {
      writePipeline(k.dir, { name: `${k.tag}_a`, schema: { file: USER_EVENTS_SCHEMA } }, k.config.clickhouse.database);
      writePipeline(k.dir, { name: `${k.tag}_b`, schema: { file: USER_EVENTS_SCHEMA } }, k.config.clickhouse.database);
    }, []);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/2 pipelines are defined and none is the default: choose one with --pipeline \(or KIT_PIPELINE\): badp_\w+_a, badp_\w+_b/);
  });

  it('a topic that exists with other partitions', async () => {
    const k = isolatedKit('badt');
    const admin = await connectAdmin(kafkaClient(k.config.kafka.brokers), k.config.kafka.brokers);
    try {
      const p = writePipeline(k.dir, { name: k.tag, schema: { file: USER_EVENTS_SCHEMA }, topic: { name: k.tag, partitions: 3, replication: 1 } }, k.config.clickhouse.database);
      await admin.createTopics({ topics: [{ topic: p.topic.name, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sql-apply.ts'], { cwd: projectRoot, env: k.env(), encoding: 'utf8', timeout: 120_000 });
      expect(out.status, out.stderr).toBe(2);
      expect(out.stderr).toMatch(new RegExp(`topic ${p.topic.name} exists with 1 partitions, the pipeline says 3: set topic.partitions to 1`));
      const rows = await (await k.admin.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}', query_params: { db: k.config.clickhouse.database }, format: 'JSONEachRow' })).json<{ n: string }>();
      expect(Number(rows[0]!.n)).toBe(0);
      await admin.deleteTopics({ topics: [p.topic.name] });
    } finally {
      await admin.disconnect();
      await k.drop();
    }
  });

  it("a schema the registry's subject would refuse (its latest version is incompatible)", async () => {
    const k = isolatedKit('badr');
    try {
      const p = writePipeline(k.dir, { name: k.tag, schema: { file: USER_EVENTS_SCHEMA } }, k.config.clickhouse.database);
      // The subject already holds a schema this one cannot read: a required field it lacks.
      const other = JSON.stringify({ type: 'record', name: 'UserEvent', namespace: 'dev.kit.events', fields: [{ name: 'id', type: 'long' }] });
      await new Registry(k.config.registry.url).registerChecked(`${p.topic.name}-value`, other);
      const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sql-apply.ts'], { cwd: projectRoot, env: k.env(), encoding: 'utf8', timeout: 120_000 });
      expect(out.status, out.stderr).toBe(2);
      expect(out.stderr).toMatch(new RegExp(`is not compatible with the latest version of subject ${p.topic.name}-value`));
      await nothingCreated(k, [p.topic.name]);
    } finally {
      await k.drop();
    }
  });
});

describe('produce:avro --from-file', () => {
  it('names every bad line (line, field, why) and sends nothing; --skip-bad sends the good ones', async () => {
    const records = file(
      'records.jsonl',
      [
        JSON.stringify({ id: 'a', user_id: 'u1', action: 'view', event_time: 1767225600000, version: 1, referrer: null }),
        JSON.stringify({ id: 'b', user_id: 'u2', action: 'click', event_time: 'yesterday', version: 1 }),
        '{"id": "c",',
        JSON.stringify({ id: 'd', user_id: 'u3', action: 'view', event_time: 1767225600001, version: 1, referrer: { string: 'ads' }, colour: 'red' }),
        JSON.stringify({ id: 'e', user_id: 'u4', action: 'view', event_time: '2026-01-01T00:00:00.250Z', version: 2, referrer: 'search' }),
      ].join('\n'),
    );
    const bad = cli('produce-avro', ['--from-file', records]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/3 of 5 line\(s\) are not records of the schema \(dev\.kit\.events\.UserEvent\); nothing was sent/);
    expect(bad.stderr).toMatch(/line 2: field event_time: expected a timestamp-millis as a number or an ISO-8601 time/);
    expect(bad.stderr).toMatch(/line 3: not JSON/);
    expect(bad.stderr).toMatch(/line 4: field colour: not a field of dev\.kit\.events\.UserEvent/);
    await nothingCreated(kit, [up.pipeline.topic.name]);

    const good = cli('produce-avro', ['--from-file', records, '--skip-bad', '--json']);
    expect(good.code, good.stderr).toBe(0);
    const summary = JSON.parse(good.stdout) as { events: number; skipped: { line: number }[] };
    expect(summary.events).toBe(2);
    expect(summary.skipped.map((s) => s.line)).toEqual([2, 3, 4]);
  });
});
