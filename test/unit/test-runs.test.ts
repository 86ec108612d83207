/**
 * `npm test` with Docker present: the integration project's embedded stack and the
 * Docker e2e suite publish the same host ports, so they run in separate vitest runs, and
 * `.ci/run` sums the summaries of both.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTests, TEST_RUNS } from '../../src/test-runs.js';
import config from '../../vitest.config.js';
import { tempDir } from '../temp-dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The projects one run selects, for `--project=name` and `--project=!name` filters. */
function selected(projects: string[], run: readonly string[]): string[] {
  const filters = run.filter((a) => a.startsWith('--project=')).map((a) => a.slice('--project='.length));
  return projects.filter((p) => filters.some((f) => (f.startsWith('!') ? p !== f.slice(1) : p === f)));
}

describe('npm test', () => {
  const projects = (config.test?.projects ?? []).map((p) => (p as { test: { name: string } }).test.name);

  it('runs every project exactly once, the e2e suite in a later run than the embedded stack', () => {
    expect(projects).toEqual(expect.arrayContaining(['unit', 'static', 'integration', 'e2e']));
    const runs = TEST_RUNS.map((r) => selected(projects, r));
    expect(runs.flat().sort()).toEqual([...projects].sort());
    const stackRun = runs.findIndex((r) => r.includes('integration'));
    const e2eRun = runs.findIndex((r) => r.includes('e2e'));
    expect(e2eRun).toBeGreaterThan(stackRun);
  });

  it('runs them one after the other, the second even when the first failed, and fails with the first failure', async () => {
    const calls: string[] = [];
    const status = await runTests({
      run: async (command, args) => {
        calls.push([command, ...args].join(' '));
        return calls.length === 1 ? 1 : 0;
      },
    });
    expect(calls).toEqual(['npx vitest run --project=!e2e', 'npx vitest run --project=e2e']);
    expect(status).toBe(1);
  });

  it('passes filters to each run, and starts no run after Ctrl-C', async () => {
    const calls: string[][] = [];
    let interrupted = false;
    const status = await runTests({
      extra: ['test/unit/config.test.ts'],
      interrupted: () => interrupted,
      run: async (_command, args) => {
        calls.push(args);
        interrupted = true;
        return 1;
      },
    });
    expect(calls).toEqual([['vitest', 'run', '--project=!e2e', '--passWithNoTests', 'test/unit/config.test.ts']]);
    expect(status).toBe(130);
  });
});

describe('.ci/vitest-totals', () => {
  const totals = (output: string) => spawnSync('bash', ['.ci/vitest-totals'], { cwd: root, input: output, encoding: 'utf8' });

  // The tails of the two vitest runs of `npm test`, colours as vitest prints them.
  const first =
    '\x1b[2m Test Files \x1b[22m \x1b[1m\x1b[31m1 failed\x1b[39m\x1b[22m\x1b[2m | \x1b[22m\x1b[1m\x1b[32m33 passed\x1b[39m\x1b[22m\x1b[90m (34)\x1b[39m\n' +
    '\x1b[2m      Tests \x1b[22m \x1b[1m\x1b[31m2 failed\x1b[39m\x1b[22m\x1b[2m | \x1b[22m\x1b[1m\x1b[32m231 passed\x1b[39m\x1b[22m\x1b[2m | \x1b[22m\x1b[33m1 skipped\x1b[39m\x1b[90m (234)\x1b[39m\n' +
    '\x1b[2m   Start at \x1b[22m 12:00:00\n\x1b[2m   Duration \x1b[22m 412.5s\n';
  const second =
    '\n*** DOCKER E2E SKIPPED: no Docker engine answers (docker info failed: command not found). ***\n' +
    '\x1b[2m Test Files \x1b[22m \x1b[33m1 skipped\x1b[39m\x1b[90m (1)\x1b[39m\n' +
    '\x1b[2m      Tests \x1b[22m \x1b[33m4 skipped\x1b[39m\x1b[90m (4)\x1b[39m\n';

  it('sums the Tests lines of both runs, not the Test Files lines', () => {
    const r = totals(`${first}some test output\n${second}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('231 2 5\n');
  });

  it('reads one run, and nothing as zeros', () => {
    expect(totals(first).stdout).toBe('231 2 1\n');
    expect(totals('npm ERR! missing script: test\n').stdout).toBe('0 0 0\n');
  });

  it('gives .ci/run its final line', () => {
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8');
    const summary = ci.slice(ci.indexOf('read -r passed'), ci.lastIndexOf('exit "$status"'));
    expect(summary).toContain('.ci/vitest-totals');
    const dir = tempDir('kit-ci-');
    const finalLine = (output: string, status: number) => {
      writeFileSync(path.join(dir, 'log'), output);
      const r = spawnSync('bash', ['-c', `set -uo pipefail; log=${path.join(dir, 'log')}; status=${status}; ${summary}`], { cwd: root, encoding: 'utf8' });
      return r.stdout.trim();
    };
    expect(finalLine(first + second, 1)).toBe('231 passed, 2 failed, 5 skipped');
    expect(finalLine(second.replace('4 skipped', '4 passed'), 0)).toBe('4 passed, 0 failed');
    expect(finalLine('npm ERR! missing script: test\n', 1)).toBe('0 passed, 1 failed');
  });
});
