/**
 * `npm run connector -- <verb>` as users call it: which connectors a verb acts on when
 * neither --name, --file nor --all is given.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli.js';
import { connectorProgram } from '../../src/connect/commands.js';
import { tempDir } from '../temp-dir.js';

const definition = (name: string) => ({ name, config: { 'connector.class': 'FileStreamSink', topics: 'user_events', file: `/tmp/${name}.out` } });

let dir = '';
let stdout = '';
let server: Server | undefined;
const requests: string[] = [];

beforeEach(() => {
  dir = tempDir('kit-connectors-');
  for (const name of ['alpha', 'beta']) writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(definition(name)));
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

/** A worker that knows alpha and beta, each with one committed offset. */
async function fakeWorker(): Promise<void> {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const m = /^\/connectors\/(alpha|beta)\/(config|offsets)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error_code":404,"message":"not found"}');
    const body = m[2] === 'config' ? definition(m[1]!).config : { offsets: [{ partition: { kafka_topic: 'user_events', kafka_partition: 0 }, offset: { kafka_offset: m[1] === 'alpha' ? 7 : 9 } }] };
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

describe('connector verbs without a selection', () => {
  it('deploy takes every definition in the directory', async () => {
    await connector('deploy', '--offline', '--json');
    expect(JSON.parse(stdout).connectors.map((c: { name: string }) => c.name)).toEqual(['alpha', 'beta']);
  });

  it('deploy --name and --file still narrow it', async () => {
    await connector('deploy', '--offline', '--json', '--name', 'beta');
    expect(JSON.parse(stdout).connectors.map((c: { name: string }) => c.name)).toEqual(['beta']);
    stdout = '';
    await connector('deploy', '--offline', '--json', '--file', 'alpha.json');
    expect(JSON.parse(stdout).connectors.map((c: { name: string }) => c.name)).toEqual(['alpha']);
  });

  it('offsets reads every definition', async () => {
    await fakeWorker();
    await connector('offsets', '--json');
    expect(JSON.parse(stdout).connectors).toEqual([
      { name: 'alpha', offsets: [{ partition: 'user_events-0', offset: '7' }] },
      { name: 'beta', offsets: [{ partition: 'user_events-0', offset: '9' }] },
    ]);
  });

  it.each(['delete', 'stop', 'pause', 'resume', 'restart', 'offsets --reset --yes'])('%s refuses until told which, before asking the worker', async (verb) => {
    await fakeWorker();
    const err = await connector(...verb.split(' ')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/acts only on connectors you choose: --name <connector>, --file <definition> or --all/);
    expect(requests).toEqual([]);
  });

  it('says so in --help', () => {
    const { program } = connectorProgram();
    let help = '';
    program.configureOutput({ writeOut: (s) => (help += s) });
    program.outputHelp();
    for (const verb of ['deploy', 'delete']) help += program.commands.find((c) => c.name() === verb)!.helpInformation();
    const text = help.replace(/\s+/g, ' ');
    expect(text).toMatch(/Without --name, --file or --all: deploy and offsets act on every definition/);
    expect(text).toMatch(/restart, pause, resume, stop, delete and offsets --reset refuse/);
    expect(text).toMatch(/--all deploy every definition in the definitions directory \(the default without --name or --file\)/);
    expect(text).toMatch(/--all delete every definition in the definitions directory \(delete needs --name, --file or --all\)/);
  });
});
