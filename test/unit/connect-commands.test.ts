/**
 * `npm run connector -- <verb>` as users call it: which connectors a verb acts on when
 * neither --pipeline, --name, --file nor --all is given, and what each of those chooses.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli.js';
import { connectorProgram } from '../../src/connect/commands.js';
import { writePipeline } from '../../src/pipeline/isolated.js';
import { tempDir } from '../temp-dir.js';
import { SCHEMAS } from './pipeline-fixtures.js';

const definition = (name: string) => ({ name, config: { 'connector.class': 'FileStreamSink', topics: 'user_events', file: `/tmp/${name}.out` } });

let dir = '';
let pipelines = '';
let stdout = '';
let server: Server | undefined;
const requests: string[] = [];

beforeEach(() => {
  dir = tempDir('kit-connectors-');
  for (const name of ['alpha', 'beta']) writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(definition(name)));
  // Two pipelines of their own: gamma, the default, and delta.
  pipelines = tempDir('kit-pipelines-');
  writePipeline(pipelines, { name: 'gamma', default: true, schema: { file: SCHEMAS.userEvents } }, 'kit');
  writePipeline(pipelines, { name: 'delta', schema: { file: SCHEMAS.orders } }, 'kit');
  vi.stubEnv('KIT_PIPELINES_DIR', pipelines);
  vi.stubEnv('KIT_PIPELINE', '');
  vi.stubEnv('CLICKHOUSE_ADMIN_PASSWORD', 'a');
  vi.stubEnv('CLICKHOUSE_CONNECTOR_PASSWORD', 'c');
  vi.stubEnv('CLICKHOUSE_READER_PASSWORD', 'r');
  vi.stubEnv('CLICKHOUSE_PARITY_PASSWORD', 'p');
  // An empty stack dir: a running embedded stack's endpoints must not leak in.
  vi.stubEnv('KIT_STACK_DIR', tempDir('kit-stack-'));
  stdout = '';
  requests.length = 0;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const OFFSETS: Record<string, number> = { alpha: 7, beta: 9, 'gamma-clickhouse-sink': 11, 'delta-clickhouse-sink': 13 };

/** A worker that knows alpha, beta and both pipelines' connectors, each with one committed offset. */
async function fakeWorker(): Promise<void> {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const m = /^\/connectors\/([\w-]+)\/(config|offsets)$/.exec(req.url ?? '');
    if (!m || OFFSETS[m[1]!] === undefined) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error_code":404,"message":"not found"}');
    const body = m[2] === 'config' ? definition(m[1]!).config : { offsets: [{ partition: { kafka_topic: 'user_events', kafka_partition: 0 }, offset: { kafka_offset: OFFSETS[m[1]!] } }] };
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  vi.stubEnv('CONNECT_URL', `http://127.0.0.1:${(server!.address() as AddressInfo).port}`);
}

async function connector(...args: string[]): Promise<void> {
  const { program, main } = connectorProgram();
  program.parse(['node', 'connector', ...args, '--dir', dir]);
  await main();
}

const deployed = () => JSON.parse(stdout).connectors.map((c: { name: string }) => c.name);

describe('connector verbs without a selection', () => {
  it("deploy takes the default pipeline's connector", async () => {
    await connector('deploy', '--offline', '--json');
    expect(deployed()).toEqual(['gamma-clickhouse-sink']);
  });

  it('deploy takes the pipeline KIT_PIPELINE names over the default', async () => {
    vi.stubEnv('KIT_PIPELINE', 'delta');
    await connector('deploy', '--offline', '--json');
    expect(deployed()).toEqual(['delta-clickhouse-sink']);
  });

  it('deploy --pipeline, --name, --file and --all choose instead', async () => {
    await connector('deploy', '--offline', '--json', '--name', 'beta');
    expect(deployed()).toEqual(['beta']);
    stdout = '';
    await connector('deploy', '--offline', '--json', '--file', 'alpha.json');
    expect(deployed()).toEqual(['alpha']);
    stdout = '';
    await connector('deploy', '--offline', '--json', '--pipeline', 'delta');
    expect(deployed()).toEqual(['delta-clickhouse-sink']);
    stdout = '';
    await connector('deploy', '--offline', '--json', '--name', 'delta-clickhouse-sink', '--name', 'alpha');
    expect(deployed()).toEqual(['delta-clickhouse-sink', 'alpha']);
    stdout = '';
    await connector('deploy', '--offline', '--json', '--all');
    expect(deployed()).toEqual(['delta-clickhouse-sink', 'gamma-clickhouse-sink', 'alpha', 'beta']);
  });

  it('deploy --all with no other definitions takes every pipeline\'s connector', async () => {
    for (const name of ['alpha', 'beta']) rmSync(path.join(dir, `${name}.json`));
    await connector('deploy', '--offline', '--json', '--all');
    expect(deployed()).toEqual(['delta-clickhouse-sink', 'gamma-clickhouse-sink']);
  });

  it("offsets reads the default pipeline's connector", async () => {
    await fakeWorker();
    await connector('offsets', '--json');
    expect(JSON.parse(stdout).connectors).toEqual([{ name: 'gamma-clickhouse-sink', offsets: [{ partition: 'user_events-0', offset: '11' }] }]);
  });

  it('offsets --all reads every connector', async () => {
    await fakeWorker();
    await connector('offsets', '--json', '--all');
    expect(JSON.parse(stdout).connectors.map((c: { name: string; offsets: { offset: string }[] }) => [c.name, c.offsets[0]!.offset])).toEqual([
      ['delta-clickhouse-sink', '13'],
      ['gamma-clickhouse-sink', '11'],
      ['alpha', '7'],
      ['beta', '9'],
    ]);
  });

  it.each(['delete', 'stop', 'pause', 'resume', 'restart', 'offsets --reset --yes'])('%s refuses until told which, before asking the worker', async (verb) => {
    await fakeWorker();
    const err = await connector(...verb.split(' ')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/acts only on connectors you choose: --pipeline <name>, --name <connector>, --file <definition> or --all/);
    expect(requests).toEqual([]);
  });

  it('says so in --help', () => {
    const { program } = connectorProgram();
    let help = '';
    program.configureOutput({ writeOut: (s) => (help += s) });
    program.outputHelp();
    for (const verb of ['deploy', 'delete']) help += program.commands.find((c) => c.name() === verb)!.helpInformation();
    const text = help.replace(/\s+/g, ' ');
    expect(text).toMatch(/Without --pipeline, --name, --file or --all: deploy and offsets act on the default pipeline's connector \(KIT_PIPELINE, else the pipeline marked default\)/);
    expect(text).toMatch(/restart, pause, resume, stop, delete and offsets --reset refuse/);
    expect(text).toMatch(/--pipeline <name> deploy the connector of a pipeline in pipelines\/ \(a name, names joined by commas, or all\) \(without --pipeline, --name, --file or --all: the pipeline KIT_PIPELINE names, else the default one\)/);
    expect(text).toMatch(/--all deploy every pipeline's connector and every definition in --dir/);
    expect(text).toMatch(/--pipeline <name> delete the connector of a pipeline in pipelines\/ \(a name, names joined by commas, or all\) \(delete needs --pipeline, --name, --file or --all\)/);
    expect(text).toMatch(/--all delete every pipeline's connector and every definition in --dir/);
  });
});
