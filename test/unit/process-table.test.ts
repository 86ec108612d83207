import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidExists, ProcessTable } from '../../src/stack/process.js';
import { tempDir } from '../temp-dir.js';

const table = () => {
  const dir = tempDir('kit-proc-');
  return { dir, t: new ProcessTable(path.join(dir, 'run'), path.join(dir, 'logs')) };
};

describe('process table', () => {
  it('launches a tracked process, logs it, and stops it by its PID', async () => {
    const { t } = table();
    const marker = `kit-test-${process.pid}-${Date.now()}`;
    const record = t.launch({ name: 'sleeper', command: process.execPath, args: ['-e', 'console.log("started"); setTimeout(() => {}, 30000)', marker], marker });
    expect(t.alive('sleeper')?.pid).toBe(record.pid);
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(t.logFile('sleeper'), 'utf8')).toContain('started');
    expect(await t.stop('sleeper')).toBe('stopped');
    expect(pidExists(record.pid)).toBe(false);
    expect(t.read('sleeper')).toBeUndefined();
    expect(await t.stop('sleeper')).toBe('not-running');
  });

  it('kills at once with no grace', async () => {
    const { t } = table();
    const marker = `kit-test-kill-${Date.now()}`;
    const record = t.launch({ name: 'k', command: process.execPath, args: ['-e', 'process.on("SIGTERM", () => {}); setTimeout(() => {}, 30000)', marker], marker });
    expect(await t.stop('k', 0)).toBe('killed');
    expect(pidExists(record.pid)).toBe(false);
  });

  it('never signals a PID whose command line is not the one it started', async () => {
    const { dir, t } = table();
    // A record pointing at this very test process, with a marker it does not carry.
    mkdirSync(path.join(dir, 'run'), { recursive: true });
    writeFileSync(path.join(dir, 'run', 'other.pid'), JSON.stringify({ name: 'other', pid: process.pid, startedAt: '', marker: 'not-in-this-cmdline-xyz', log: '' }));
    expect(t.alive('other')).toBeUndefined();
    expect(await t.stop('other')).toBe('not-running');
    expect(pidExists(process.pid)).toBe(true);
  });
});
