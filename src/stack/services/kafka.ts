/** An Apache Kafka broker in KRaft mode (combined broker and controller), single node. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { javaBin, jvmArgs } from '../jvm.js';
import { portOpen } from '../probe.js';
import { HOST, type ServiceDef, type StackContext } from './types.js';

export const KAFKA_PORT = 9092;
export const CONTROLLER_PORT = 9093;

function files(ctx: StackContext) {
  return {
    config: path.join(ctx.paths.run, 'kafka-server.properties'),
    logDir: path.join(ctx.paths.data, 'kafka'),
    clusterId: path.join(ctx.paths.data, 'kafka-cluster-id'),
  };
}

export function kafkaProperties(logDir: string): string {
  return `# Written by the embedded stack.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${CONTROLLER_PORT}
listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDir}
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
`;
}

/**
 * A cluster id as Kafka makes them (16 random bytes, base64url), never starting with "-":
 * Kafka's own Uuid.randomUuid() draws again then, since a command line would read it as a flag.
 */
export function newClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export const kafka: ServiceDef = {
  name: 'kafka',
  title: 'Kafka broker (KRaft)',
  ports: [KAFKA_PORT, CONTROLLER_PORT],
  endpoint: `${HOST}:${KAFKA_PORT}`,
  after: [],
  readyTimeoutMs: 60_000,
  prepare(ctx) {
    const f = files(ctx);
    mkdirSync(f.logDir, { recursive: true });
    writeFileSync(f.config, kafkaProperties(f.logDir));
    if (existsSync(path.join(f.logDir, 'meta.properties'))) return;
    // First start: format the storage with a cluster id kept beside the data.
    if (!existsSync(f.clusterId)) writeFileSync(f.clusterId, newClusterId());
    const clusterId = readFileSync(f.clusterId, 'utf8').trim();
    const format = spawnSync(
      javaBin(),
      [...jvmArgs(ctx.paths, '256m'), 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', f.config],
      { encoding: 'utf8', env: ctx.env },
    );
    if (format.status !== 0) {
      throw new Error(`formatting Kafka storage failed:\n${(format.stdout + format.stderr).trim()}`);
    }
    ctx.log(`formatted Kafka storage in ${f.logDir} (cluster ${clusterId})`);
  },
  launch(ctx) {
    const f = files(ctx);
    return {
      name: 'kafka',
      command: javaBin(),
      args: [...jvmArgs(ctx.paths, '1g'), 'kafka.Kafka', f.config],
      env: ctx.env,
      marker: f.config,
    };
  },
  ready: () => portOpen(HOST, KAFKA_PORT),
};
