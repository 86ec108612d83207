/**
 * Starts the embedded stack once for the integration run and stops, afterwards,
 * exactly the services this run started (a stack that was already up stays up).
 */
import { EmbeddedStack } from '../../src/stack/stack.js';

export default async function setup(): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);
  const stack = new EmbeddedStack({ log });
  const before = await stack.status();
  const alreadyRunning = new Set(before.services.filter((s) => s.running).map((s) => s.name));
  const started = Date.now();
  await stack.up();
  log(`embedded stack ready for the integration tests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return async () => {
    for (const name of ['connect', 'registry', 'clickhouse', 'kafka']) {
      if (!alreadyRunning.has(name)) log(`${name}: ${await stack.processes.stop(name)}`);
    }
  };
}
