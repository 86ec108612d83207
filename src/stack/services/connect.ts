/** A Kafka Connect distributed worker with its REST API on 127.0.0.1:8083. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { javaBin, jvmArgs } from '../jvm.js';
import { pluginPathEntries } from '../plugins.js';
import { httpOk } from '../probe.js';
import { KAFKA_PORT } from './kafka.js';
import { HOST, type ServiceDef, type StackContext } from './types.js';

export const CONNECT_PORT = 8083;
export const CONNECT_GROUP = 'kit-connect';

function configFile(ctx: StackContext) {
  return path.join(ctx.paths.run, 'connect-distributed.properties');
}

export function connectProperties(pluginPath: string[]): string {
  return `# Written by the embedded stack.
bootstrap.servers=${HOST}:${KAFKA_PORT}
group.id=${CONNECT_GROUP}
listeners=http://${HOST}:${CONNECT_PORT}
rest.advertised.host.name=${HOST}
rest.advertised.port=${CONNECT_PORT}
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
config.storage.topic=_kit-connect-configs
offset.storage.topic=_kit-connect-offsets
status.storage.topic=_kit-connect-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.flush.interval.ms=1000
plugin.path=${pluginPath.join(',')}
plugin.discovery=hybrid_warn
# Secrets reach connectors through ConfigProviders, never as literals in their configs.
config.providers=env,file
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
connector.client.config.override.policy=All
`;
}

export const connect: ServiceDef = {
  name: 'connect',
  title: 'Kafka Connect worker (distributed)',
  ports: [CONNECT_PORT],
  endpoint: `http://${HOST}:${CONNECT_PORT}`,
  after: ['kafka'],
  readyTimeoutMs: 90_000,
  prepare(ctx) {
    mkdirSync(ctx.paths.run, { recursive: true });
    writeFileSync(configFile(ctx), connectProperties(pluginPathEntries(ctx.paths)));
  },
  launch(ctx) {
    return {
      name: 'connect',
      command: javaBin(),
      args: [...jvmArgs(ctx.paths, '1g'), 'org.apache.kafka.connect.cli.ConnectDistributed', configFile(ctx)],
      env: ctx.env,
      marker: configFile(ctx),
    };
  },
  // The REST API answers before the worker has joined its group; /connectors answers 200 only after.
  ready: () => httpOk(`http://${HOST}:${CONNECT_PORT}/connectors`, 3000),
};
