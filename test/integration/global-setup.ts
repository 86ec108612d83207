/**
 * Starts the embedded stack once for the integration run and stops, afterwards,
 * exactly the services this run started (a stack that was already up stays up).
 * The isolated kits' ClickHouse users are added to the stack's users first; a
 * ClickHouse already running without them is restarted.
 */
import { extraUsersDir } from '../../src/stack/services/clickhouse.js';
import { EmbeddedStack, SERVICES } from '../../src/stack/stack.js';
import { installIsolatedUsers } from '../../src/stack/clickhouse/isolated-users.js';

export default async function setup(): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);
  const stack = new EmbeddedStack({ log });
  const before = await stack.status();
  const alreadyRunning = new Set(before.services.filter((s) => s.running).map((s) => s.name));
  if (installIsolatedUsers(extraUsersDir(stack.paths)) && alreadyRunning.has('clickhouse')) {
    log(`clickhouse: ${await stack.stop('clickhouse')} (restarting with the test users)`);
  }
  const started = Date.now();
  await stack.up();
  log(`embedded stack ready for the integration tests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return async () => {
    for (const service of [...SERVICES].reverse()) {
      if (!alreadyRunning.has(service.name)) log(`${service.name}: ${await stack.stop(service.name)}`);
    }
  };
}
