/**
 * `npm test` as two vitest runs, one after the other. The integration project's global
 * setup holds the embedded stack on the host ports the Docker end-to-end suite publishes
 * (9092, 8081, 8083, 8123), so the e2e project starts only after that run has stopped it.
 */
import { spawn } from 'node:child_process';

/** Every project but e2e (unit, static, integration and any added later), then e2e. */
export const TEST_RUNS: readonly (readonly string[])[] = [['--project=!e2e'], ['--project=e2e']];

/** Runs a command with inherited stdio; resolves with its exit status (null when a signal ended it). */
export type Run = (command: string, args: string[]) => Promise<number | null>;

const inherit: Run = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });

export interface RunTestsOptions {
  /** Arguments for every run (a file filter, `-t`); a run may then find nothing to run. */
  extra?: readonly string[];
  run?: Run;
  /** True once the user pressed Ctrl-C: no further run starts. */
  interrupted?: () => boolean;
}

/** Runs every run even when one fails, so CI sees both summaries; the first failing status, or 0. */
export async function runTests({ extra = [], run = inherit, interrupted = () => false }: RunTestsOptions = {}): Promise<number> {
  let status = 0;
  for (const projects of TEST_RUNS) {
    if (interrupted()) return 130;
    const filters = extra.length > 0 ? ['--passWithNoTests', ...extra] : [];
    const code = await run('npx', ['vitest', 'run', ...projects, ...filters]);
    if (code !== 0 && status === 0) status = code ?? 1;
  }
  return interrupted() ? 130 : status;
}
