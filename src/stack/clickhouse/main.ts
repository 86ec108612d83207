/**
 * Entry of the embedded ClickHouse host process, started by the embedded stack:
 * `node --import tsx src/stack/clickhouse/main.ts <dataDir> <port>`.
 */
import { loadConfig } from '../../config.js';
import type { HostUser } from './access.js';
import { ClickHouseHost } from './host.js';

const [dataDir, port = '8123'] = process.argv.slice(2);
if (!dataDir) {
  console.error('usage: main.ts <dataDir> [port]');
  process.exit(2);
}

const config = loadConfig();
const { admin, connector, reader, database } = config.clickhouse;
const users: HostUser[] = [
  { ...toUser(admin), role: 'admin' },
  { ...toUser(connector), role: 'inserter', insertInto: [`${database}.${config.tables.connector}`] },
  { ...toUser(reader), role: 'reader' },
];

function toUser(c: { user: string; password: string }) {
  return { name: c.user, password: c.password };
}

const host = new ClickHouseHost({ dataDir, host: '127.0.0.1', port: Number(port), users });
try {
  await host.listen();
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  console.error(
    err.code === 'EADDRINUSE'
      ? `port 127.0.0.1:${port} is already taken; stop what holds it or set the ClickHouse port elsewhere`
      : `cannot listen on 127.0.0.1:${port}: ${err.message}`,
  );
  process.exit(1);
}
console.log(`embedded ClickHouse ${host.engineVersion} (chdb) serving HTTP on 127.0.0.1:${port}, data in ${dataDir}`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing the engine`);
    host.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`close failed: ${String(e)}`);
        process.exit(1);
      },
    );
  });
}
