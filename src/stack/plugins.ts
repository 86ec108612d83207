/**
 * The Connect worker's plugin path: `connect-file` (from Maven Central) always,
 * and the official ClickHouse sink connector when its release zip can be had.
 *
 * The ClickHouse connector is not on Maven Central; it ships as a GitHub release
 * zip. Name a local copy with KIT_CLICKHOUSE_CONNECTOR_ZIP, or let
 * `stack:fetch --download-connector` try the release URL where GitHub is reachable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StackPaths } from '../paths.js';

export const CLICKHOUSE_CONNECTOR_VERSION = 'v1.5.0';
export const CLICKHOUSE_CONNECTOR_URL = `https://github.com/ClickHouse/clickhouse-kafka-connect/releases/download/${CLICKHOUSE_CONNECTOR_VERSION}/clickhouse-kafka-connect-${CLICKHOUSE_CONNECTOR_VERSION}.zip`;
export const CLICKHOUSE_SINK_CLASS = 'com.clickhouse.kafka.connect.ClickHouseSinkConnector';

export function pluginPathEntries(paths: StackPaths): string[] {
  return [paths.plugins];
}

function connectorDir(paths: StackPaths) {
  return path.join(paths.plugins, 'clickhouse-kafka-connect');
}

export interface ConnectorPresence {
  installed: boolean;
  detail: string;
}

export function clickhouseConnectorPresence(paths: StackPaths): ConnectorPresence {
  const dir = connectorDir(paths);
  const jars = existsSync(dir) ? findJars(dir) : [];
  if (jars.length > 0) return { installed: true, detail: `installed in ${dir} (${jars.length} jars)` };
  return {
    installed: false,
    detail:
      'ABSENT: the official ClickHouse sink connector is not on Maven Central and its GitHub release cannot be downloaded here. ' +
      `Set KIT_CLICKHOUSE_CONNECTOR_ZIP=/path/to/clickhouse-kafka-connect-${CLICKHOUSE_CONNECTOR_VERSION}.zip and run \`npm run stack:fetch\`, ` +
      'or `npm run stack:fetch -- --download-connector` where GitHub is reachable. The Kafka-engine pipeline runs without it.',
  };
}

function findJars(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jar'));
}

/** Unpacks a release zip into the plugin path with the JDK's `jar` tool. */
export function installClickhouseConnector(paths: StackPaths, zip: string): void {
  if (!existsSync(zip)) throw new Error(`KIT_CLICKHOUSE_CONNECTOR_ZIP names ${zip}, which does not exist`);
  const dir = connectorDir(paths);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const jarTool = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'jar') : 'jar';
  const out = spawnSync(jarTool, ['xf', path.resolve(zip)], { cwd: dir, encoding: 'utf8' });
  if (out.status !== 0 || findJars(dir).length === 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not unpack ${zip} as a connector release zip: ${(out.stderr || out.error?.message) ?? ''}`);
  }
}

/** Tries the release URL once; returns a reason when it cannot be had. */
export async function downloadClickhouseConnector(paths: StackPaths): Promise<string | undefined> {
  try {
    const res = await fetch(CLICKHOUSE_CONNECTOR_URL, { signal: AbortSignal.timeout(20_000) });
    if (!res.ok) return `GET ${CLICKHOUSE_CONNECTOR_URL} answered ${res.status}`;
    const zip = path.join(paths.base, `clickhouse-kafka-connect-${CLICKHOUSE_CONNECTOR_VERSION}.zip`);
    mkdirSync(paths.base, { recursive: true });
    writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
    installClickhouseConnector(paths, zip);
    return undefined;
  } catch (e) {
    return `GET ${CLICKHOUSE_CONNECTOR_URL} failed: ${(e as Error).message}`;
  }
}
