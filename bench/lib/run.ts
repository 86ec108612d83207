/** What the benchmarks share: running a command and timing its CPU, medians. */
import { spawn, spawnSync } from 'node:child_process';
import { projectRoot } from '../../src/paths.js';

/** The median; NaN of nothing. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** stdout and stderr of a short command (`java -version` prints to stderr). */
export function sh(cmd: string, args: string[]): string {
  const out = spawnSync(cmd, args, { encoding: 'utf8' });
  return out.error ? out.error.message : `${out.stdout}${out.stderr}`.trim();
}

/**
 * Runs a command to completion and returns its stdout and the CPU seconds (user +
 * system, all threads) it used, as bash's `times` reports for its children.
 */
export function spawnCollect(cmd: string, args: string[], label: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; cpuSec?: number }> {
  return new Promise((resolve, reject) => {
    const script = '"$@"; rc=$?; times >&2; exit $rc';
    // Its own process group, so an interrupt reaches the command under bash too.
    const child = spawn('bash', ['-c', script, 'bench', cmd, ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGINT');
      } catch {
        child.kill('SIGINT');
      }
    };
    process.once('SIGINT', stop);
    child.on('error', reject);
    child.on('close', (code) => {
      process.off('SIGINT', stop);
      if (code !== 0) return reject(new Error(`${label} exited ${code}:\n${(err || out).slice(-3000)}`));
      // `times`: the shell's own user/system times, then its children's: "0m4.240s 0m0.490s".
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(err.trimEnd());
      const cpuSec = m ? Number((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])).toFixed(2)) : undefined;
      resolve({ stdout: out, cpuSec });
    });
  });
}
