/**
 * The Connect worker's plugin path: `connect-file` (from Maven Central) always,
 * and the official ClickHouse sink connector when it can be had.
 *
 * The ClickHouse connector is not on Maven Central; it ships as a GitHub release
 * zip. `stack:fetch` builds it from its source release (connector/), or installs a
 * local release zip named by KIT_CLICKHOUSE_CONNECTOR_ZIP, or tries the release URL
 * with `--download-connector` where GitHub is reachable. Every install is laid out as
 * the release zip is and carries a provenance.json saying where it came from.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { StackPaths } from '../paths.js';
import { jdkTool } from './connector/build.js';
import { sha256 } from './connector/digest.js';
import { installStaged, makeStagingDir } from './connector/layout.js';
import { PINNED_SOURCE } from './connector/pinned.js';
import { describeProvenance, readProvenance, writeProvenance, type Provenance } from './connector/provenance.js';
import { resolveConnectorSource, SOURCE_ENV, vendorTarball, ZIP_ENV } from './connector/source.js';

export const CLICKHOUSE_CONNECTOR_VERSION = PINNED_SOURCE.version;
export const CLICKHOUSE_CONNECTOR_URL = `https://github.com/ClickHouse/clickhouse-kafka-connect/releases/download/${CLICKHOUSE_CONNECTOR_VERSION}/clickhouse-kafka-connect-${CLICKHOUSE_CONNECTOR_VERSION}.zip`;
export const CLICKHOUSE_SINK_CLASS = 'com.clickhouse.kafka.connect.ClickHouseSinkConnector';

export function pluginPathEntries(paths: StackPaths): string[] {
  return [paths.plugins];
}

export function connectorDir(paths: StackPaths): string {
  return path.join(paths.plugins, 'clickhouse-kafka-connect');
}

export interface ConnectorPresence {
  installed: boolean;
  detail: string;
  provenance?: Provenance;
}

export function clickhouseConnectorPresence(paths: StackPaths): ConnectorPresence {
  const dir = connectorDir(paths);
  const jars = connectorJars(dir);
  if (jars.length > 0) {
    const provenance = readProvenance(dir);
    if (provenance) return { installed: true, detail: `installed in ${dir}: ${describeProvenance(provenance)}`, provenance };
    return { installed: true, detail: `installed in ${dir} (${jars.length} jars; origin unknown: no provenance file)` };
  }
  return { installed: false, detail: `ABSENT: ${absentReason(paths)}` };
}

function absentReason(paths: StackPaths): string {
  const base = 'the official ClickHouse sink connector is not on Maven Central and its GitHub release cannot be downloaded here. ';
  const others =
    `or set ${ZIP_ENV}=/path/to/clickhouse-kafka-connect-${CLICKHOUSE_CONNECTOR_VERSION}.zip and run \`npm run stack:fetch\`, ` +
    'or `npm run stack:fetch -- --download-connector` where GitHub is reachable. The Kafka-engine pipeline runs without it.';
  let source;
  try {
    source = resolveConnectorSource(process.env, paths.projectRoot);
  } catch (e) {
    return `${base}${(e as Error).message}; ${others}`;
  }
  if (source) return `${base}Its source is at ${source.path}: \`npm run stack:fetch\` builds it with Maven; ${others}`;
  return (
    `${base}No source to build it from: ${SOURCE_ENV} is unset and ${vendorTarball(paths.projectRoot)} does not exist. ` +
    `Set ${SOURCE_ENV} to the connector's ${CLICKHOUSE_CONNECTOR_VERSION} tag tarball or its unpacked tree, ${others}`
  );
}

export function connectorJars(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jar'));
}

/** Unpacks a release zip with the JDK's `jar` tool into a staging folder, then swaps it onto the plugin path. */
export function installClickhouseConnector(paths: StackPaths, zip: string, from: 'release-zip' | 'download' = 'release-zip', url?: string): Provenance {
  const file = path.resolve(zip);
  if (!existsSync(file)) throw new UsageError(`${ZIP_ENV} names ${file}, which does not exist`);
  const started = Date.now();
  const bytes = readFileSync(file);
  const staging = makeStagingDir(paths.base);
  try {
    const out = spawnSync(jdkTool('jar'), ['xf', file], { cwd: staging, encoding: 'utf8' });
    if (out.status !== 0 || connectorJars(staging).length === 0) {
      throw new UsageError(`could not unpack ${file} as a connector release zip: ${(out.stderr || out.error?.message) ?? 'no jar inside'}`);
    }
    const provenance: Provenance = {
      from,
      path: file,
      sha256: sha256(bytes),
      ...(url ? { url } : {}),
      version: zipVersion(staging),
      builtAt: new Date().toISOString(),
      buildSeconds: (Date.now() - started) / 1000,
    };
    writeProvenance(staging, provenance);
    installStaged(staging, connectorDir(paths));
    return provenance;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The version its manifest.json states, else the one the kit pins. */
function zipVersion(dir: string): string {
  for (const entry of readdirSync(dir)) {
    const manifest = path.join(dir, entry, 'manifest.json');
    if (!existsSync(manifest)) continue;
    try {
      const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version;
      if (typeof version === 'string') return version;
    } catch {
      // an unreadable manifest does not make the jars unusable
    }
  }
  return CLICKHOUSE_CONNECTOR_VERSION;
}

/** Tries the release URL once; returns a reason when it cannot be had. */
export async function downloadClickhouseConnector(paths: StackPaths): Promise<string | undefined> {
  try {
    const res = await fetch(CLICKHOUSE_CONNECTOR_URL, { signal: AbortSignal.timeout(20_000) });
    if (!res.ok) return `GET ${CLICKHOUSE_CONNECTOR_URL} answered ${res.status}`;
    const zip = path.join(paths.base, `clickhouse-kafka-connect-${CLICKHOUSE_CONNECTOR_VERSION}.zip`);
    mkdirSync(paths.base, { recursive: true });
    writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
    installClickhouseConnector(paths, zip, 'download', CLICKHOUSE_CONNECTOR_URL);
    return undefined;
  } catch (e) {
    return `GET ${CLICKHOUSE_CONNECTOR_URL} failed: ${(e as Error).message}`;
  }
}
