/**
 * End-to-end run of the Docker reference stack (docker-compose.yml) with the real
 * ClickHouse sink connector:
 *
 *   compose up (generated passwords)  ->  npm run sql:apply
 *   ->  npm run connector:deploy -- --all
 *   ->  npm run produce:avro -- --count 1000 --seed 42 --json
 *   ->  npm run verify:parity -- --wait --json   (both legs must be exact)
 *   ->  compose down, volumes removed
 *
 * It needs a Docker engine with Compose v2. Where none answers, the whole suite is
 * SKIPPED and says so loudly on stderr; it never passes without having run.
 * The stack publishes fixed host ports (9092, 8081, 8083, 8123, 9000), so they must be
 * free: stop any other kit stack first.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  Wait,
  type StartedDockerComposeEnvironment,
} from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParityReport } from '../../src/parity/verify.js';
import type { ProduceSummary } from '../../src/produce/producer.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_FILE = 'docker-compose.yml';
const HOST_PORTS = [9092, 8081, 8083, 8123, 9000];
const SERVICES = ['kafka', 'schema-registry', 'connect', 'clickhouse'];

const MINUTE = 60_000;
const UP_TIMEOUT = 15 * MINUTE;
const STEP_TIMEOUT = 10 * MINUTE;

// ---------------------------------------------------------------------------------
// Is there a Docker engine (and Compose v2) to run against?

interface CmdResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
        error: e ? (e.killed ? `timed out after ${timeoutMs} ms` : e.message) : undefined,
      });
    });
  });
}

function firstLine(s: string): string {
  return s.split(/\r?\n/).find((l) => l.trim())?.trim() ?? '';
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function probeDocker(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], 15_000);
  if (info.code !== 0) {
    const why = firstLine(info.stderr) || info.error || `exit code ${String(info.code)}`;
    return { ok: false, reason: `no Docker engine answers (docker info failed: ${why})` };
  }
  try {
    await withTimeout(getContainerRuntimeClient(), 30_000, 'testcontainers');
  } catch (err) {
    return { ok: false, reason: `testcontainers cannot reach the Docker engine (${(err as Error).message})` };
  }
  const compose = await run('docker', ['compose', 'version'], 15_000);
  if (compose.code !== 0) {
    const why = firstLine(compose.stderr) || compose.error || `exit code ${String(compose.code)}`;
    return { ok: false, reason: `Docker Compose v2 is missing (docker compose version failed: ${why})` };
  }
  return { ok: true };
}

const docker = await probeDocker();
if (!docker.ok) {
  console.warn(
    `\n*** DOCKER E2E SKIPPED: ${docker.reason}. These tests need a Docker engine with Compose v2; run them where one exists (npm run test:e2e). ***\n`,
  );
}

// ---------------------------------------------------------------------------------
// Helpers for the flow.

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const secret = (): string => randomBytes(18).toString('base64url');

interface NpmResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run --silent <script> -- <args>` in the project root; never rejects. */
function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<NpmResult> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const argv = ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])];
  return new Promise((resolve) => {
    const child = spawn(npm, argv, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[e2e] npm run ${script} killed after ${timeoutMs} ms`;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}\n[e2e] ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const tail = (s: string, n = 4000): string => (s.length > n ? `...${s.slice(-n)}` : s);

function describeRun(script: string, r: NpmResult): string {
  return `npm run ${script} exited with ${String(r.code)}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`;
}

/** The JSON document a `--json` script printed: the whole stdout, else its last JSON line/block. */
function parseJsonOutput(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    // fall through
  }
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    if (!line.startsWith('{') && !line.startsWith('[')) continue;
    try {
      return JSON.parse(line);
    } catch {
      // a pretty-printed document starts here: try the rest of the output
      try {
        return JSON.parse(lines.slice(i).join('\n'));
      } catch {
        // keep looking further up
      }
    }
  }
  throw new Error(`no JSON document in the output:\n${tail(stdout)}`);
}

// ---------------------------------------------------------------------------------

describe.skipIf(!docker.ok)('Docker reference stack, end to end (real ClickHouse sink connector)', () => {
  const passwords = {
    CLICKHOUSE_ADMIN_PASSWORD: secret(),
    CLICKHOUSE_CONNECTOR_PASSWORD: secret(),
    CLICKHOUSE_READER_PASSWORD: secret(),
    CLICKHOUSE_PARITY_PASSWORD: secret(),
  };
  const kitEnv: Record<string, string> = {
    ...passwords,
    CLICKHOUSE_ADMIN_USER: 'kit_admin',
    CLICKHOUSE_CONNECTOR_USER: 'kit_connector',
    CLICKHOUSE_READER_USER: 'kit_reader',
    CLICKHOUSE_PARITY_USER: 'kit_parity',
    CLICKHOUSE_DATABASE: 'kit',
    KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092',
    SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
    CONNECT_URL: 'http://127.0.0.1:8083',
    CLICKHOUSE_URL: 'http://127.0.0.1:8123',
    CLICKHOUSE_KAFKA_BROKER_LIST: 'kafka:19092',
    CLICKHOUSE_SCHEMA_REGISTRY_URL: 'http://schema-registry:8081',
  };
  const projectName = `kit-e2e-${randomBytes(4).toString('hex')}`;
  let stackDir = '';
  let childEnv: NodeJS.ProcessEnv = {};
  let environment: StartedDockerComposeEnvironment | undefined;
  let failedStep: string | undefined;

  beforeAll(async () => {
    const busy: number[] = [];
    for (const port of HOST_PORTS) if (!(await portIsFree(port))) busy.push(port);
    if (busy.length) {
      throw new Error(
        `host port(s) ${busy.join(', ')} on 127.0.0.1 are in use; the compose stack publishes fixed ports. ` +
          'Stop the other kit stack (docker compose down / npm run stack:down) and rerun.',
      );
    }
    // An empty stack dir, so an embedded stack's .stack/stack.env cannot leak endpoints in.
    stackDir = mkdtempSync(path.join(tmpdir(), 'kit-e2e-stack-'));
    childEnv = { ...process.env, ...kitEnv, KIT_STACK_DIR: stackDir, NO_COLOR: '1', FORCE_COLOR: '0' };

    environment = await new DockerComposeEnvironment(projectRoot, COMPOSE_FILE)
      .withProjectName(projectName)
      .withBuild()
      .withEnvironment(kitEnv)
      .withDefaultWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(UP_TIMEOUT)
      .up();
  }, UP_TIMEOUT + 5 * MINUTE);

  afterAll(async () => {
    if (environment && failedStep) {
      // Leave the evidence in the test output before the containers disappear.
      for (const svc of SERVICES) {
        try {
          const stream = await environment.getContainer(`${svc}-1`).logs({ tail: 150 });
          let text = '';
          await withTimeout(
            new Promise<void>((resolve) => {
              stream.on('data', (d: Buffer | string) => (text += d.toString()));
              stream.on('end', () => resolve());
              stream.on('error', () => resolve());
            }),
            10_000,
            `logs of ${svc}`,
          ).catch(() => undefined);
          console.error(`\n----- last log lines of ${svc} -----\n${text}`);
        } catch (err) {
          console.error(`(could not read logs of ${svc}: ${(err as Error).message})`);
        }
      }
    }
    try {
      await environment?.down({ removeVolumes: true, timeout: 30_000 });
    } finally {
      if (stackDir) rmSync(stackDir, { recursive: true, force: true });
    }
  }, 5 * MINUTE);

  async function step(name: string, script: string, args: string[]): Promise<NpmResult> {
    expect(failedStep, `skipping "${name}": an earlier step failed (${failedStep ?? ''})`).toBeUndefined();
    const r = await npmRun(script, args, childEnv, STEP_TIMEOUT);
    if (r.code !== 0) failedStep = name;
    expect(r.code, describeRun(script, r)).toBe(0);
    return r;
  }

  it('applies the SQL (database, connector table, Kafka engine table + materialized view)', async () => {
    await step('sql:apply', 'sql:apply', []);
  }, STEP_TIMEOUT + MINUTE);

  it('deploys the ClickHouse sink connector through the Connect REST API', async () => {
    await step('connector:deploy', 'connector:deploy', ['--all']);
  }, STEP_TIMEOUT + MINUTE);

  let runFile = '';

  it('produces 1000 Avro events and 3 poison messages through the schema registry', async () => {
    const r = await step('produce:avro', 'produce:avro', ['--count', '1000', '--poison', '3', '--seed', '42', '--json']);
    const summary = parseJsonOutput(r.stdout) as ProduceSummary;
    expect(summary.events).toBe(1000);
    expect(summary.poison).toBe(3);
    runFile = path.join(stackDir, 'run.json');
    writeFileSync(runFile, JSON.stringify(summary));
  }, STEP_TIMEOUT + MINUTE);

  it('reaches exact parity on both legs for that run: the sink connector (poison in its DLQ) and the Kafka engine (poison in its errors table)', async () => {
    const r = await step('verify:parity', 'verify:parity', ['--wait', '--run', runFile, '--require', 'both', '--json']);
    const report = parseJsonOutput(r.stdout) as ParityReport;
    const shown = JSON.stringify(report, null, 2);
    expect(report.exact, shown).toBe(true);
    const connector = report.legs.find((l) => l.leg === 'connector')!;
    const engine = report.legs.find((l) => l.leg === 'kafka_engine')!;
    expect(connector.totals, shown).toMatchObject({ expected: 1003, landed: 1000, deadLettered: 3, missing: 0, duplicates: 0 });
    expect(engine.totals, shown).toMatchObject({ expected: 1003, landed: 1000, errorRows: 3, missing: 0, duplicates: 0 });
    expect(report.content, shown).toMatchObject({ compared: true, differing: 0 });
  }, STEP_TIMEOUT + MINUTE);
});
