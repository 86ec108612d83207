import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackPaths } from '../../src/paths.js';
import { copiedJarDirs, removeCopiedJars } from '../../src/stack/jvm.js';
import { tempDir } from '../temp-dir.js';

describe("the embedded stack's copied jars", () => {
  it("are the directories the poms' copy-dependencies executions write", () => {
    const paths = stackPaths();
    const poms = [paths.pom, paths.converterPom, paths.zookeeperPom].map((p) => readFileSync(p, 'utf8')).join('\n');
    const written = [...poms.matchAll(/<outputDirectory>\$\{stack\.dir\}\/([^<]+)<\/outputDirectory>/g)].map((m) => path.join(paths.base, m[1]!));
    expect(copiedJarDirs(paths).sort()).toEqual(written.sort());
  });

  it('go before a new resolution, so no version a pom dropped stays on a classpath; nothing else goes', () => {
    const root = tempDir('kit-jars-');
    const paths = { ...stackPaths(), base: root, lib: path.join(root, 'lib'), plugins: path.join(root, 'plugins'), zookeeperLib: path.join(root, 'zookeeper', 'lib') };
    const converter = path.join(paths.plugins, 'apicurio-converter');
    const connector = path.join(paths.plugins, 'clickhouse-kafka-connect');
    for (const d of [paths.lib, converter, connector]) mkdirSync(d, { recursive: true });
    writeFileSync(path.join(converter, 'avro-1.12.0.jar'), '');
    writeFileSync(path.join(paths.lib, 'kafka_2.13-4.1.1.jar'), '');
    writeFileSync(path.join(paths.lib, '.pom-sha256'), 'x');
    writeFileSync(path.join(connector, 'clickhouse-kafka-connect-v1.5.0-confluent.jar'), '');
    expect(removeCopiedJars(paths)).toBe(2);
    expect(existsSync(path.join(converter, 'avro-1.12.0.jar'))).toBe(false);
    expect(existsSync(path.join(paths.lib, '.pom-sha256'))).toBe(true);
    expect(existsSync(path.join(connector, 'clickhouse-kafka-connect-v1.5.0-confluent.jar'))).toBe(true);
  });
});
