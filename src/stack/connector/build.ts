/** Runs the connector's pom (src/stack/jvm/connector/pom.xml) on a verified source tree. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

export const CONNECTOR_CLASS_ENTRY = 'com/clickhouse/kafka/connect/ClickHouseSinkConnector.class';
export const VERSION_CLASS_ENTRY = 'com/clickhouse/kafka/connect/sink/Version.class';

export function jdkTool(name: 'jar' | 'java' | 'javap'): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', name) : name;
}

export function shadedJarName(version: string): string {
  return `clickhouse-kafka-connect-${version}-confluent.jar`;
}

/** Maven's build directory, as the pom sets it from -Dstack.dir. */
export function connectorBuildDir(stackDir: string): string {
  return path.join(stackDir, 'build', 'connector');
}

export function jarEntries(jar: string): string[] {
  const out = spawnSync(jdkTool('jar'), ['tf', jar], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.error || out.status !== 0) throw new Error(`could not list ${jar}: ${(out.stderr || String(out.error)).trim()}`);
  return out.stdout.split('\n').filter(Boolean);
}

/** Runs a command to its end without blocking the event loop (services start meanwhile). */
function runToEnd(command: string, args: string[]): Promise<{ status: number | null; output: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (error) => resolve({ status: null, output: '', error }));
    child.once('close', (status) => resolve({ status, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** `mvn -B -q package`, from a clean build directory; returns the shaded jar. */
export async function buildConnectorJar(opts: { pom: string; srcRoot: string; version: string; stackDir: string }): Promise<string> {
  const buildDir = connectorBuildDir(opts.stackDir);
  rmSync(buildDir, { recursive: true, force: true });
  const args = ['-B', '-q', '-f', opts.pom, 'package', `-Dconnector.src=${opts.srcRoot}`, `-Dconnector.version=${opts.version}`, `-Dstack.dir=${opts.stackDir}`];
  const mvn = await runToEnd('mvn', args);
  if (mvn.error || mvn.status !== 0) {
    const detail = mvn.error ? String(mvn.error) : mvn.output.trim().split('\n').slice(-15).join('\n');
    throw new Error(`Maven could not build the ClickHouse connector (mvn ${args.join(' ')}; is \`mvn\` installed and Maven Central reachable?)\n${detail}`);
  }
  const jar = path.join(buildDir, shadedJarName(opts.version));
  if (!existsSync(jar)) throw new Error(`Maven finished but ${jar} is missing`);
  const entries = new Set(jarEntries(jar));
  for (const entry of [CONNECTOR_CLASS_ENTRY, VERSION_CLASS_ENTRY]) {
    if (!entries.has(entry)) throw new Error(`Maven built ${jar} without ${entry}: was ${opts.srcRoot} the connector's source tree?`);
  }
  return jar;
}
