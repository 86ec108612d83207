import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStat, pidExists, ProcessTable } from '../../src/stack/process.js';
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

  it('keeps tracking a service whose launcher execs into another program', async () => {
    const { t } = table();
    const marker = `kit-test-exec-${Date.now()}`;
    // Like a pyenv shim: the launched command line (which carries the marker) execs into one that does not.
    const record = t.launch({ name: 'shim', command: '/bin/sh', args: ['-c', `exec ${process.execPath} -e "setTimeout(() => {}, 30000)"`, marker], marker });
    const deadline = Date.now() + 10_000;
    while (readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').includes(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(`/proc/${record.pid}/cmdline`, 'utf8')).not.toContain(marker);
    expect(t.alive('shim')?.pid).toBe(record.pid);
    expect(await t.stop('shim')).toBe('stopped');
    expect(pidExists(record.pid)).toBe(false);
  });

  it('never signals a PID that started at another time than the one it recorded (a reused PID)', async () => {
    const { dir, t } = table();
    const own = parseStat(readFileSync('/proc/self/stat', 'utf8')).startTime!;
    mkdirSync(path.join(dir, 'run'), { recursive: true });
    const record = { name: 'reused', pid: process.pid, startedAt: '', marker: process.argv[1], startTime: String(Number(own) + 1), log: '' };
    writeFileSync(path.join(dir, 'run', 'reused.pid'), JSON.stringify(record));
    expect(t.alive('reused')).toBeUndefined();
    expect(await t.stop('reused')).toBe('not-running');
    writeFileSync(path.join(dir, 'run', 'self.pid'), JSON.stringify({ ...record, name: 'self', startTime: own }));
    expect(t.alive('self')?.pid).toBe(process.pid);
  });

  it('reads the state and start time from a stat line whose command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    expect(parseStat(`4242 (a) b (c) ${fields.join(' ')}`)).toEqual({ state: 'S', startTime: '22' });
    expect(parseStat('4242 (truncated) S 1').startTime).toBeUndefined();
  });
});
