/**
 * Starts the embedded stack once for the integration run and stops, afterwards,
 * exactly the services this run started (a stack that was already up stays up).
 * The run's ClickHouse users (users.ts) are added to the stack's users first; a
 * ClickHouse already running without them is restarted.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { extraUsersDir } from '../../src/stack/services/clickhouse.js';
import { EmbeddedStack, SERVICES } from '../../src/stack/stack.js';
import { TEST_USERS_FILE_NAME, testUsersXml } from './users.js';

function installTestUsers(stack: EmbeddedStack): boolean {
  const dir = extraUsersDir(stack.paths);
  const file = path.join(dir, TEST_USERS_FILE_NAME);
  const xml = testUsersXml();
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* first run */
  }
  if (current === xml) return false;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, xml);
  return true;
}

export default async function setup(): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);
  const stack = new EmbeddedStack({ log });
  const before = await stack.status();
  const alreadyRunning = new Set(before.services.filter((s) => s.running).map((s) => s.name));
  if (installTestUsers(stack) && alreadyRunning.has('clickhouse')) {
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
