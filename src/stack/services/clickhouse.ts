/** ClickHouse's own server (the engine inside npm `chdb`) with its HTTP interface on 127.0.0.1:8123. */
import path from 'node:path';
import { httpOk } from '../probe.js';
import { reconcileDeduplicationLogs } from '../clickhouse/dedup-log.js';
import { pythonProblem, serverLaunchSpec, serverUsersOutdated, writeServerFiles } from '../clickhouse/server.js';
import type { StackPaths } from '../../paths.js';
import { kitUsersFor } from '../../clickhouse/users.js';
import { HOST, SetupError, type ServiceDef, type StackContext } from './types.js';

export const CLICKHOUSE_PORT = 8123;

function dirs(ctx: StackContext) {
  return { configDir: path.join(ctx.paths.run, 'clickhouse'), dataDir: path.join(ctx.paths.data, 'clickhouse') };
}

/** Users files added to the kit's at every start (see writeServerFiles). */
export function extraUsersDir(paths: StackPaths): string {
  return path.join(paths.base, 'clickhouse-users.d');
}

export const clickhouse: ServiceDef = {
  name: 'clickhouse',
  title: 'ClickHouse server (engine from npm chdb)',
  ports: [CLICKHOUSE_PORT],
  endpoint: `http://${HOST}:${CLICKHOUSE_PORT}`,
  // KeeperMap tables (the sink's exactly-once state) attach through ZooKeeper.
  after: ['zookeeper'],
  readyTimeoutMs: 60_000,
  prepare(ctx) {
    const problem = pythonProblem();
    if (problem) throw new SetupError(problem);
    writeServerFiles(dirs(ctx).configDir, kitUsersFor(ctx.env, (l) => ctx.log(`clickhouse: ${l}`)), extraUsersDir(ctx.paths));
  },
  outdated: (ctx) => serverUsersOutdated(dirs(ctx).configDir, kitUsersFor(ctx.env), extraUsersDir(ctx.paths)),
  launch(ctx) {
    // The server is stopped here: its deduplication logs may only name blocks it stored.
    for (const r of reconcileDeduplicationLogs(dirs(ctx).dataDir)) {
      ctx.log(`clickhouse: ${r.dropped.length} deduplication log line(s) of blocks with no part on disk (the server stopped before committing them) removed from ${r.file}, so their retries are written`);
    }
    return serverLaunchSpec({ name: 'clickhouse', ...dirs(ctx), port: CLICKHOUSE_PORT, env: ctx.env });
  },
  ready: () => httpOk(`http://${HOST}:${CLICKHOUSE_PORT}/ping`),
};
