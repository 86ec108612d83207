/** Where the project and the embedded stack's runtime files live. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The embedded stack's state: jars, plugins, data, logs, pids. `KIT_STACK_DIR` overrides. */
export function stackDir(root = projectRoot): string {
  return process.env.KIT_STACK_DIR ? path.resolve(process.env.KIT_STACK_DIR) : path.join(root, '.stack');
}

export function stackPaths(root = projectRoot) {
  const base = stackDir(root);
  return {
    projectRoot: root,
    base,
    lib: path.join(base, 'lib'),
    /** ZooKeeper's own classpath, apart from Kafka's (each has its SLF4J binding). */
    zookeeperLib: path.join(base, 'zookeeper', 'lib'),
    plugins: path.join(base, 'plugins'),
    data: path.join(base, 'data'),
    run: path.join(base, 'run'),
    logs: path.join(base, 'logs'),
    envFile: path.join(base, 'stack.env'),
    pom: path.join(root, 'src', 'stack', 'jvm', 'pom.xml'),
    registryPom: path.join(root, 'src', 'stack', 'jvm', 'registry', 'pom.xml'),
    converterPom: path.join(root, 'src', 'stack', 'jvm', 'apicurio-converter', 'pom.xml'),
    /** Builds the ClickHouse sink connector from its source release (src/stack/connector/). */
    connectorPom: path.join(root, 'src', 'stack', 'jvm', 'connector', 'pom.xml'),
    zookeeperPom: path.join(root, 'src', 'stack', 'jvm', 'zookeeper', 'pom.xml'),
  };
}

export type StackPaths = ReturnType<typeof stackPaths>;
