/**
 * Embedded stack start times: cold (empty stack dir and an empty Maven repository:
 * everything downloaded from Maven Central), warm cache (jars in ~/.m2, fresh data
 * dir), and restart (existing data). Needs the stack's ports free.
 *
 *   npm run bench:stack -- [--rounds 2] [--skip-cold] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command, int, printJson, run, table, UsageError } from '../src/cli.js';
import { projectRoot } from '../src/paths.js';
import { portOpen } from '../src/stack/probe.js';
import { SERVICES } from '../src/stack/stack.js';

const program = command('bench:stack', 'Time `stack:up` cold, with a warm Maven cache, and on restart.')
  .option('--rounds <n>', 'rounds of the warm measurements', int('--rounds', 1), 2)
  .option('--skip-cold', 'skip the cold start (it downloads everything from Maven Central)')
  .option('--json', 'print the results as JSON');

interface Timing {
  kind: string;
  seconds: number;
  services: Record<string, number | null>;
}

function stackUp(stackDir: string, env: NodeJS.ProcessEnv): Timing['services'] & { __seconds: number } {
  const started = Date.now();
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/stack-up.ts', '--json'], {
    cwd: projectRoot,
    env: { ...process.env, ...env, KIT_STACK_DIR: stackDir },
    encoding: 'utf8',
    timeout: 900_000,
  });
  const seconds = (Date.now() - started) / 1000;
  if (out.status !== 0) throw new Error(`stack:up failed (exit ${out.status}):\n${out.stderr.slice(-2000)}`);
  const json = JSON.parse(out.stdout) as { services: { name: string; startedMs?: number }[] };
  const services: Record<string, number | null> = {};
  for (const s of json.services) services[s.name] = s.startedMs === undefined ? null : s.startedMs / 1000;
  return { ...services, __seconds: seconds };
}

function stackDown(stackDir: string) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/stack-down.ts'], { cwd: projectRoot, env: { ...process.env, KIT_STACK_DIR: stackDir }, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`stack:down failed: ${out.stderr}`);
}

function timing(kind: string, r: ReturnType<typeof stackUp>): Timing {
  const { __seconds, ...services } = r;
  return { kind, seconds: Number(__seconds.toFixed(1)), services };
}

await run(program, async () => {
  const o = program.opts<{ rounds: number; skipCold?: boolean; json?: boolean }>();
  for (const service of SERVICES) {
    for (const port of service.ports) {
      if (await portOpen('127.0.0.1', port)) throw new UsageError(`port ${port} (${service.name}) is taken: stop the running stack first (npm run stack:down)`);
    }
  }
  const results: Timing[] = [];
  const dirs: string[] = [];
  const fresh = (tag: string) => {
    const d = mkdtempSync(path.join(os.tmpdir(), `kit-bench-stack-${tag}-`));
    dirs.push(d);
    return d;
  };
  try {
    if (!o.skipCold) {
      const dir = fresh('cold');
      const m2 = fresh('m2');
      process.stderr.write('cold: empty stack dir and empty Maven repository...\n');
      results.push(timing('cold (downloads from Maven Central)', stackUp(dir, { MAVEN_OPTS: `-Dmaven.repo.local=${m2}` })));
      stackDown(dir);
    }
    for (let i = 0; i < o.rounds; i++) {
      const dir = fresh('warm');
      process.stderr.write(`warm cache, fresh data, round ${i + 1}...\n`);
      results.push(timing('warm cache, first start (format storage)', stackUp(dir, {})));
      stackDown(dir);
      process.stderr.write(`restart with data, round ${i + 1}...\n`);
      results.push(timing('restart (existing data)', stackUp(dir, {})));
      stackDown(dir);
    }
  } finally {
    // A failed start may have left some services up: each dir's own stack:down stops exactly those.
    for (const d of dirs) {
      try {
        stackDown(d);
      } catch (e) {
        process.stderr.write(`${String(e)}\n`);
      }
      rmSync(d, { recursive: true, force: true });
    }
  }
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, load: os.loadavg() };
  if (o.json) {
    printJson({ machine, results });
    return;
  }
  const names = SERVICES.map((s) => s.name);
  console.log(table(['run', 'stack:up wall (s)', ...names.map((n) => `${n} ready (s)`)], results.map((r) => [r.kind, r.seconds, ...names.map((n) => r.services[n] ?? '-')])));
  console.log(`machine: ${machine.cpus} x ${machine.cpu}, ${machine.memGiB} GiB, node ${machine.node}, load ${machine.load.map((l) => l.toFixed(2)).join(' ')}`);
});
