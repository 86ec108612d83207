/** The ClickHouse engine from npm `chdb`, hosted behind ClickHouse's HTTP interface. */
import path from 'node:path';
import { projectRoot } from '../../paths.js';
import { httpOk } from '../probe.js';
import { HOST, type ServiceDef, type StackContext } from './types.js';

export const CLICKHOUSE_PORT = 8123;

function dataDir(ctx: StackContext) {
  return path.join(ctx.paths.data, 'clickhouse');
}

export const clickhouse: ServiceDef = {
  name: 'clickhouse',
  title: 'ClickHouse engine (chdb) on the HTTP interface',
  ports: [CLICKHOUSE_PORT],
  endpoint: `http://${HOST}:${CLICKHOUSE_PORT}`,
  after: [],
  readyTimeoutMs: 30_000,
  prepare() {},
  launch(ctx) {
    return {
      name: 'clickhouse',
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        path.join(projectRoot, 'src', 'stack', 'clickhouse', 'main.ts'),
        dataDir(ctx),
        String(CLICKHOUSE_PORT),
      ],
      cwd: projectRoot,
      env: ctx.env,
      marker: dataDir(ctx),
    };
  },
  ready: () => httpOk(`http://${HOST}:${CLICKHOUSE_PORT}/ping`),
};
