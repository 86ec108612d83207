/**
 * Starting, tracking and stopping the embedded stack's service processes.
 *
 * Each service runs detached in its own process group, its output in a log file,
 * its PID in `<run>/<name>.pid` with the start time /proc gave that PID. A PID is only
 * ever signalled while /proc shows the same start time, so a PID reused by another
 * program is never touched. The start time, unlike the command line, holds through the
 * execs of a launcher chain (a pyenv shim runs env, bash, pyenv, then Python) and reads
 * the same while an exec or an exit is under way, when the command line reads empty.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PidRecord {
  name: string;
  pid: number;
  startedAt: string;
  /** A string that appears in the process's command line as launched (for people; records without `startTime` are recognised by it). */
  marker: string;
  /** The PID's start time in clock ticks since boot (/proc/PID/stat field 22). */
  startTime?: string;
  log: string;
}

export interface LaunchSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  marker: string;
}

const KILL_DEADLINE_MS = 60_000;

export class ProcessTable {
  constructor(
    private readonly runDir: string,
    private readonly logDir: string,
  ) {}

  private pidFile(name: string) {
    return path.join(this.runDir, `${name}.pid`);
  }

  logFile(name: string) {
    return path.join(this.logDir, `${name}.log`);
  }

  read(name: string): PidRecord | undefined {
    const file = this.pidFile(name);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
    } catch {
      return undefined;
    }
  }

  /**
   * The recorded process, if it is still the one we started. A stale record stays until
   * stop or the next launch replaces it: removing it here could remove the record a
   * concurrent stack:up just wrote.
   */
  alive(name: string): PidRecord | undefined {
    const record = this.read(name);
    return record && isOurs(record) ? record : undefined;
  }

  launch(spec: LaunchSpec): PidRecord {
    mkdirSync(this.runDir, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    const log = this.logFile(spec.name);
    const fd = openSync(log, 'a');
    try {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
      child.unref();
      const record: PidRecord = {
        name: spec.name,
        pid: child.pid,
        startedAt: new Date().toISOString(),
        marker: spec.marker,
        startTime: procStat(child.pid)?.startTime,
        log,
      };
      // Renamed into place: another command reading the table never sees half a record.
      const file = this.pidFile(spec.name);
      writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
      renameSync(`${file}.tmp`, file);
      return record;
    } finally {
      closeSync(fd);
    }
  }

  /** SIGTERM to the service's process group, SIGKILL after `graceMs`; with 0, SIGKILL at once (kill -9). */
  async stop(name: string, graceMs = 20_000): Promise<'stopped' | 'killed' | 'not-running'> {
    const record = this.alive(name);
    if (!record) {
      rmSync(this.pidFile(name), { force: true });
      return 'not-running';
    }
    signalGroup(record.pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!pidExists(record.pid)) break;
      await sleep(200);
    }
    let outcome: 'stopped' | 'killed' = graceMs > 0 ? 'stopped' : 'killed';
    if (pidExists(record.pid)) {
      signalGroup(record.pid, 'SIGKILL');
      outcome = 'killed';
    }
    // A killed process still holds its ports while the kernel tears down its memory (seconds for
    // a large JVM on a loaded machine): return only once it is gone, so a restart finds them free.
    const gone = Date.now() + KILL_DEADLINE_MS;
    while (pidExists(record.pid) && Date.now() < gone) await sleep(100);
    if (pidExists(record.pid)) throw new Error(`${name} (pid ${record.pid}) is still exiting ${KILL_DEADLINE_MS / 1000} s after SIGKILL`);
    rmSync(this.pidFile(name), { force: true });
    return outcome;
  }

  /** Sends a signal to a running service (e.g. SIGKILL for fault tests). */
  signal(name: string, signal: NodeJS.Signals): boolean {
    const record = this.alive(name);
    if (!record) return false;
    signalGroup(record.pid, signal);
    return true;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie child still answers signal 0; /proc tells it apart.
  return procStat(pid)?.state !== 'Z';
}

/** A /proc/PID/stat line's state (field 3) and start time (field 22); the command name (field 2) may hold spaces and parentheses. */
export function parseStat(stat: string): { state: string; startTime?: string } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[22 - 3];
  return { state: fields[0] ?? '', startTime: startTime && /^\d+$/.test(startTime) ? startTime : undefined };
}

function procStat(pid: number): ReturnType<typeof parseStat> | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function isOurs(record: PidRecord): boolean {
  if (record.startTime) {
    // One read of /proc: a PID gone, a zombie, or one that started at another time (reused) is not ours.
    const stat = procStat(record.pid);
    return stat !== undefined && stat.state !== 'Z' && stat.startTime === record.startTime;
  }
  if (!pidExists(record.pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(record.marker);
  } catch {
    return false;
  }
}
