/**
 * The embedded stack's own behaviour, against the stack the integration run uses:
 * up twice is harmless, status tells each service, and a second stack directory
 * (no PIDs of its own) refuses the taken ports by name and stops nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { tempDir } from '../temp-dir.js';

function npmScript(script: string, args: string[] = [], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 180_000,
  });
}

interface StatusJson {
  allReady: boolean;
  services: { name: string; ready: boolean; running: boolean; pid?: number; endpoint: string }[];
  clickhouseConnector: { installed: boolean; detail: string };
}

describe('embedded stack', () => {
  it('stack:status shows every service ready, with its PID and endpoint, and where the ClickHouse connector came from', () => {
    const out = npmScript('stack-status', ['--json']);
    expect(out.status, out.stderr).toBe(0);
    const status = JSON.parse(out.stdout) as StatusJson;
    expect(status.allReady).toBe(true);
    expect(status.services.map((s) => s.name).sort()).toEqual(['clickhouse', 'connect', 'kafka', 'registry', 'zookeeper']);
    for (const s of status.services) {
      expect(s.pid).toBeGreaterThan(1);
      expect(s.endpoint).toMatch(/127\.0\.0\.1/);
    }
    // .ci/run builds it from ../shared/vendor with stack:fetch.
    expect(status.clickhouseConnector.installed).toBe(true);
    expect(status.clickhouseConnector.detail).toMatch(/v1\.5\.0 built from the source (tarball|directory) .*(sha256|tree digest) [0-9a-f]{64}/);
  });

  it('stack:up on a running stack is harmless: same PIDs, every service already running', () => {
    const before = JSON.parse(npmScript('stack-status', ['--json']).stdout) as StatusJson;
    const up = npmScript('stack-up');
    expect(up.status, up.stderr).toBe(0);
    for (const name of ['kafka', 'registry', 'connect', 'clickhouse']) expect(up.stderr).toContain(`${name}: already running`);
    const after = JSON.parse(npmScript('stack-status', ['--json']).stdout) as StatusJson;
    expect(after.services.map((s) => s.pid)).toEqual(before.services.map((s) => s.pid));
  });

  it('a second stack directory refuses the taken ports with a clear message and exit 2, starting nothing', () => {
    const dir = tempDir('kit-stack-');
    const up = npmScript('stack-up', [], { KIT_STACK_DIR: dir });
    expect(up.status).toBe(2);
    expect(up.stderr).toMatch(/port 127\.0\.0\.1:9092 is already taken by another process/);
    expect(up.stderr).toMatch(/port 127\.0\.0\.1:8123 is already taken/);
    expect(up.stderr).toMatch(/port 127\.0\.0\.1:2181 is already taken/);
    const status = JSON.parse(npmScript('stack-status', ['--json'], { KIT_STACK_DIR: dir }).stdout) as StatusJson;
    expect(status.services.every((s) => !s.running)).toBe(true);
    // Refused before anything slow: nothing resolved, nothing built.
    expect(existsSync(path.join(dir, 'lib'))).toBe(false);
    expect(existsSync(path.join(dir, 'plugins'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("stack:down of another stack directory stops nothing that is not its own", () => {
    const dir = tempDir('kit-stack-');
    const down = npmScript('stack-down', ['--json'], { KIT_STACK_DIR: dir });
    expect(down.status).toBe(0);
    expect((JSON.parse(down.stdout) as { outcome: string }[]).every((o) => o.outcome === 'not-running')).toBe(true);
    const status = JSON.parse(npmScript('stack-status', ['--json']).stdout) as StatusJson;
    expect(status.allReady).toBe(true);
  });

  it('every command answers --help and exits 2 on an unknown flag', () => {
    for (const script of ['stack-up', 'stack-down', 'stack-status', 'stack-fetch', 'stack-restart', 'sql-apply', 'produce-avro', 'verify-parity', 'demo']) {
      const help = npmScript(script, ['--help']);
      expect(help.status, script).toBe(0);
      expect(help.stdout, script).toMatch(/Usage:/);
      const bad = npmScript(script, ['--no-such-flag']);
      expect(bad.status, script).toBe(2);
      expect(bad.stderr, script).toMatch(/unknown option '--no-such-flag'/);
    }
  });
});
