/**
 * Apache ZooKeeper, standalone, on 127.0.0.1:2181: the keeper ClickHouse's KeeperMap
 * tables keep their state in. Runs from its own classpath (.stack/zookeeper/lib).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { javaBin, jvmArgs, LOG4J2_PROPERTIES } from '../jvm.js';
import { zookeeperCommand } from '../probe.js';
import { HOST, type ServiceDef, type StackContext } from './types.js';

export const ZOOKEEPER_PORT = 2181;

function files(ctx: StackContext) {
  return {
    config: path.join(ctx.paths.run, 'zoo.cfg'),
    dataDir: path.join(ctx.paths.data, 'zookeeper'),
  };
}

export function zookeeperProperties(dataDir: string): string {
  return `# Written by the embedded stack.
tickTime=2000
dataDir=${dataDir}
clientPort=${ZOOKEEPER_PORT}
clientPortAddress=${HOST}
maxClientCnxns=60
admin.enableServer=false
4lw.commands.whitelist=srvr
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
`;
}

/** True once ZooKeeper serves requests (before that, `srvr` says it is not serving). */
export async function zookeeperReady(port = ZOOKEEPER_PORT, timeoutMs = 2000): Promise<boolean> {
  const reply = await zookeeperCommand(HOST, port, 'srvr', timeoutMs);
  return reply !== undefined && /^Mode: standalone$/m.test(reply);
}

export const zookeeper: ServiceDef = {
  name: 'zookeeper',
  title: 'Apache ZooKeeper 3.9.4 (standalone, for KeeperMap)',
  ports: [ZOOKEEPER_PORT],
  endpoint: `${HOST}:${ZOOKEEPER_PORT}`,
  after: [],
  readyTimeoutMs: 60_000,
  prepare(ctx) {
    const f = files(ctx);
    mkdirSync(f.dataDir, { recursive: true });
    mkdirSync(ctx.paths.run, { recursive: true });
    writeFileSync(f.config, zookeeperProperties(f.dataDir));
    // stack:up writes it too; written here so the service also starts on its own.
    writeFileSync(path.join(ctx.paths.run, 'log4j2.properties'), LOG4J2_PROPERTIES);
  },
  launch(ctx) {
    const f = files(ctx);
    return {
      name: 'zookeeper',
      command: javaBin(),
      args: [
        ...jvmArgs(ctx.paths, '256m', path.join(ctx.paths.zookeeperLib, '*')),
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        f.config,
      ],
      env: ctx.env,
      marker: f.config,
    };
  },
  ready: () => zookeeperReady(),
};
