/**
 * `connector` against the embedded stack's real Connect worker, with a connector it
 * really has (FileStreamSink from connect-file), fed from a topic of this run:
 * create, idempotent re-deploy, update, validation failure field by field, a task that
 * fails and is restarted with `restart --failed`, pause/resume/stop, offsets read and
 * reset, delete; and the ClickHouse sink refused as a plugin the worker lacks.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveEnv } from '../../src/config.js';
import { renderAll, selectDefinitions } from '../../src/connect/definitions.js';
import { deploy } from '../../src/connect/deploy.js';
import { kitValues } from '../../src/connect/kit-values.js';
import { ConnectClient } from '../../src/connect/rest.js';
import { createTopic } from '../../src/kafka.js';
import { projectRoot } from '../../src/paths.js';
import { eventually } from './helpers.js';
import { tempDir } from '../temp-dir.js';

const tag = randomBytes(4).toString('hex');
const topic = `it-connect-${tag}`;
const name = `it-${tag}-sink`;
const brokenName = `it-${tag}-broken`;
const invalidName = `it-${tag}-invalid`;
const freshName = `it-${tag}-fresh`;
const dir = tempDir(`kit-connect-it-${tag}-`);
const noPipelines = tempDir(`kit-no-pipelines-${tag}-`);
const outFile = path.join(dir, 'out.txt');
const outFile2 = path.join(dir, 'out2.txt');
/** A regular file standing where the broken connector expects a directory. */
const blocker = path.join(dir, 'blocker');
const brokenOut = path.join(blocker, 'out.txt');

const env = resolveEnv();
const config = loadConfig(env);
const client = new ConnectClient({ url: config.connect.url });
const kafka = new Kafka({ clientId: `it-connect-${tag}`, brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
let producer: Producer;
let sent = 0;

function definition(file: string, connector: string, extra: Record<string, string>) {
  const body = {
    name: connector,
    config: {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      'tasks.max': '1',
      topics: topic,
      file: outFile,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      ...extra,
    },
  };
  writeFileSync(path.join(dir, file), JSON.stringify(body, null, 2));
  return path.join(dir, file);
}

async function produce(n: number) {
  const messages = Array.from({ length: n }, () => ({ key: 'k', value: `line-${sent++}` }));
  await producer.send({ topic, messages });
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** The real CLI, as `npm run connector -- ...` runs it. */
function cli(...args: string[]) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/connector.ts', ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    // No pipelines here: --all is every definition of the test's directory, and no pipeline's sink.
    env: { ...process.env, KIT_PIPELINES_DIR: noPipelines },
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

async function deployFile(file: string) {
  const rendered = renderAll(selectDefinitions({ files: [file], dir }), kitValues(config, env, []), env);
  return deploy(rendered, client, { timeoutMs: 60_000 });
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await createTopic(admin, { name: topic, partitions: 1, replication: 1 });
  await admin.disconnect();
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await produce(5);
});

afterAll(async () => {
  for (const c of [name, brokenName, invalidName, freshName]) await client.delete(c).catch(() => {});
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('connector lifecycle on the real worker', () => {
  const file = definition('sink.json', name, {});

  it('creates the connector and waits for it and its task to be RUNNING', async () => {
    const started = Date.now();
    const result = await deployFile(file);
    const c = result.connectors[0]!;
    expect(result.ok).toBe(true);
    expect([c.action, c.applied, c.outcome, c.state, c.tasks]).toEqual(['create', true, 'reached', 'RUNNING', '0:RUNNING']);
    process.stderr.write(`[measure] deploy (create) to settled RUNNING: ${c.ms} ms (settle window 2000 ms), whole call ${Date.now() - started} ms\n`);
    await eventually('the sink file holds the 5 records', async () => lines(outFile).length, (n) => n === 5);
    expect(lines(outFile)).toEqual(['line-0', 'line-1', 'line-2', 'line-3', 'line-4']);
  });

  it('re-deploys an unchanged definition as a no-op: no PUT, still checked RUNNING', async () => {
    const result = await deployFile(file);
    const c = result.connectors[0]!;
    expect([c.action, c.applied, c.outcome]).toEqual(['unchanged', false, 'reached']);
    expect(c.plan.changes).toEqual([]);
  });

  it('updates a changed definition and shows the diff', async () => {
    definition('sink.json', name, { file: outFile2 });
    const result = await deployFile(file);
    const c = result.connectors[0]!;
    expect([c.action, c.applied, c.outcome]).toEqual(['update', true, 'reached']);
    expect(c.plan.changes).toEqual([{ key: 'file', kind: 'change', from: outFile, to: outFile2 }]);
    expect((await client.getConfig(name))?.file).toBe(outFile2);
    await produce(2);
    await eventually('new records go to the new file', async () => lines(outFile2), (l) => l.length === 2);
  });

  it('plans with --dry-run through the CLI without applying', () => {
    definition('sink.json', name, { file: outFile2, 'tasks.max': '2' });
    const r = cli('deploy', '--file', file, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`connector ${name} .*: update\\n\\s+~ tasks\\.max: 1 -> 2`));
    definition('sink.json', name, { file: outFile2 });
  });

  it('surfaces a validation failure field by field, exit 2, nothing created', () => {
    const bad = definition('invalid.json', invalidName, { 'tasks.max': 'many', 'errors.tolerance': 'bogus' });
    const r = cli('deploy', '--file', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/validation failed; nothing was sent/);
    expect(r.stderr).toMatch(/the worker rejected 2 field\(s\)/);
    expect(r.stderr).toMatch(/ {2}tasks\.max\n {4}- Invalid value many for configuration tasks\.max: Not a number of type INT/);
    expect(r.stderr).toMatch(/ {2}errors\.tolerance = bogus\n {4}- Invalid value bogus for configuration errors\.tolerance: String must be one of: none, all/);
  });

  it('never half-applies: one invalid definition among several stops them all', async () => {
    const fresh = definition('fresh.json', freshName, { file: path.join(dir, 'fresh.txt') });
    const r = cli('deploy', '--dir', dir, '--all');
    expect(r.code).toBe(2);
    expect(await client.getConfig(invalidName)).toBeUndefined();
    expect(await client.getConfig(freshName)).toBeUndefined();
    rmSync(fresh);
  });

  it('detects a task that fails after deploy, exit 1 with its trace', async () => {
    rmSync(path.join(dir, 'invalid.json'));
    writeFileSync(blocker, 'a regular file where a directory is expected\n');
    const broken = definition('broken.json', brokenName, { file: brokenOut });
    const r = cli('deploy', '--file', broken);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${brokenName}\\s+│ create\\s+│ failed\\s+│ RUNNING\\s+│ 0:FAILED`));
    expect(r.stdout).toMatch(new RegExp(`task ${brokenName}-0 FAILED on .*:\\n.*ConnectException: Couldn't find or create file '${brokenOut}'`));
    expect(r.stderr).toMatch(/restart --failed/);
    const s = cli('status', '--name', brokenName);
    expect(s.code).toBe(1);
    expect(s.stdout).toMatch(/^worker http:\/\/.*: Kafka Connect \d/);
    expect(s.stdout).toMatch(/Couldn't find or create file/);
  });

  it('restarts only what failed with restart --failed, once the cause is fixed', () => {
    rmSync(blocker);
    mkdirSync(blocker);
    const r = cli('restart', '--failed', '--name', brokenName, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { connectors: { outcome: string; tasks: string }[] };
    expect(out.connectors[0]).toMatchObject({ outcome: 'reached', tasks: '0:RUNNING' });
  });

  it('pauses, resumes and stops', () => {
    const state = (verb: string) => {
      const r = cli(verb, '--name', name, '--json');
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { connectors: { state: string; tasks: string }[] }).connectors[0]!;
    };
    expect(state('pause')).toMatchObject({ state: 'PAUSED', tasks: '0:PAUSED' });
    expect(state('resume')).toMatchObject({ state: 'RUNNING', tasks: '0:RUNNING' });
    expect(state('stop')).toMatchObject({ state: 'STOPPED', tasks: '(no tasks)' });
    expect(state('resume')).toMatchObject({ state: 'RUNNING', tasks: '0:RUNNING' });
  });

  it('reads committed offsets', async () => {
    const read = async () => {
      const r = cli('offsets', '--name', name, '--json');
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { connectors: { offsets: { partition: string; offset: string }[] }[] }).connectors[0]!.offsets;
    };
    const offsets = await eventually('offsets committed up to the 7 records', read, (o) => o[0]?.offset === '7', 90_000);
    expect(offsets).toEqual([{ partition: `${topic}-0`, offset: '7' }]);
  });

  it('resets offsets only with --yes, then re-delivers from the start on resume', async () => {
    const refused = cli('offsets', '--name', name, '--reset');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/offsets --reset would:\n {2}1\. stop connector/);
    expect(refused.stderr).toMatch(/rerun with --yes/);
    expect((await client.status(name))?.connector.state).toBe('RUNNING');

    const r = cli('offsets', '--name', name, '--reset', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect((await client.status(name))?.connector.state).toBe('STOPPED');
    expect((await client.offsets(name)).offsets).toEqual([]);

    const before = lines(outFile2).length;
    expect(cli('resume', '--name', name).code).toBe(0);
    await eventually('all 7 records delivered again', async () => lines(outFile2).length, (n) => n === before + 7);
  });

  it('shows every connector with status, as a table and as JSON', () => {
    const r = cli('status', '--name', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { worker: { version: string }; connectors: { name: string; connector: { state: string } }[] };
    expect(out.worker.version).toMatch(/^\d/);
    expect(out.connectors).toEqual([expect.objectContaining({ name, connector: expect.objectContaining({ state: 'RUNNING' }) })]);
    const all = cli('status');
    expect(all.stdout).toContain(name);
    expect(all.stdout).toContain(brokenName);
  });

  it('deletes', async () => {
    const r = cli('delete', '--name', name, '--name', brokenName);
    expect(r.code, r.stderr).toBe(0);
    expect(await client.getConfig(name)).toBeUndefined();
    expect(await client.getConfig(brokenName)).toBeUndefined();
    expect(cli('delete', '--name', name).code).toBe(2);
  });
});

describe('a plugin the worker lacks', () => {
  it('is refused before anything is sent, naming the installed plugins (the ClickHouse sink among them)', async () => {
    const missing = `it-${tag}-missing`;
    const f = definition('missing-plugin.json', missing, { 'connector.class': 'com.example.NoSuchSinkConnector' });
    const r = cli('deploy', '--file', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no connector plugin com\.example\.NoSuchSinkConnector\. Installed connector plugins:/);
    expect(r.stderr).toMatch(/com\.clickhouse\.kafka\.connect\.ClickHouseSinkConnector \(sink/);
    expect(r.stderr).toMatch(/org\.apache\.kafka\.connect\.file\.FileStreamSinkConnector \(sink/);
    expect(await client.getConfig(missing)).toBeUndefined();
  });
});

describe('trouble', () => {
  it('an unreachable worker: retries with backoff, then exit 3 with a clear message', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/connector.ts', 'status'], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, CONNECT_URL: 'http://127.0.0.1:9' },
    });
    expect(res.status).toBe(3);
    expect(res.stderr).toMatch(/retry 1 in 250 ms/);
    expect(res.stderr).toMatch(/error: the Kafka Connect worker at http:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED\) after 6 attempts/);
  });

  it('an unset ${env:VAR}: exit 2 naming it, nothing sent', async () => {
    const f = definition('needs-env.json', `it-${tag}-env`, { 'file.password.unused': '${env:KIT_IT_SURELY_UNSET_VAR}' });
    const r = cli('deploy', '--file', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/references \$\{env:KIT_IT_SURELY_UNSET_VAR\}, but KIT_IT_SURELY_UNSET_VAR is not set/);
    expect(await client.getConfig(`it-${tag}-env`)).toBeUndefined();
    rmSync(f);
  });
});
