/**
 * Where the ClickHouse connector comes from: a release zip (KIT_CLICKHOUSE_CONNECTOR_ZIP),
 * the GitHub release (`--download-connector`), or its source (KIT_CLICKHOUSE_CONNECTOR_SRC:
 * a tag tarball or an unpacked tree; by default the kit's vendored tarball beside the project).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { PINNED_SOURCE } from './pinned.js';

export const ZIP_ENV = 'KIT_CLICKHOUSE_CONNECTOR_ZIP';
export const SOURCE_ENV = 'KIT_CLICKHOUSE_CONNECTOR_SRC';

export interface ConnectorSource {
  kind: 'tarball' | 'directory';
  path: string;
  /** Named by KIT_CLICKHOUSE_CONNECTOR_SRC, or the vendored default. */
  origin: 'env' | 'vendor';
}

export type ConnectorOrigin =
  | { kind: 'release-zip'; path: string }
  /** The source, when one is found, is the fallback for a download that fails. */
  | { kind: 'download'; fallback?: ConnectorSource }
  | { kind: 'source'; source: ConnectorSource }
  | { kind: 'none' };

export type PathKind = 'file' | 'directory' | undefined;

export function pathKind(p: string): PathKind {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return undefined;
  return st.isDirectory() ? 'directory' : 'file';
}

export function vendorTarball(projectRoot: string): string {
  return path.resolve(projectRoot, '..', 'shared', 'vendor', PINNED_SOURCE.tarballName);
}

/** KIT_CLICKHOUSE_CONNECTOR_SRC when set (it must exist), else the vendored tarball where it exists. */
export function resolveConnectorSource(env: NodeJS.ProcessEnv, projectRoot: string, kindOf = pathKind): ConnectorSource | undefined {
  const named = env[SOURCE_ENV];
  if (named) {
    const full = path.resolve(named);
    const kind = kindOf(full);
    if (!kind) {
      throw new UsageError(
        `${SOURCE_ENV} names ${full}, which does not exist. Point it at the connector's ${PINNED_SOURCE.version} tag tarball ` +
          `(${PINNED_SOURCE.tagTarballUrl}) or its unpacked tree, or unset it to use ${vendorTarball(projectRoot)}`,
      );
    }
    return { kind: kind === 'directory' ? 'directory' : 'tarball', path: full, origin: 'env' };
  }
  const vendored = vendorTarball(projectRoot);
  return kindOf(vendored) === 'file' ? { kind: 'tarball', path: vendored, origin: 'vendor' } : undefined;
}

/** Precedence: a release zip, then a download, then a source (named, then vendored). */
export function resolveConnectorOrigin(
  env: NodeJS.ProcessEnv,
  projectRoot: string,
  { downloadConnector = false } = {},
  kindOf = pathKind,
): ConnectorOrigin {
  const zip = env[ZIP_ENV];
  if (zip) {
    const full = path.resolve(zip);
    if (kindOf(full) !== 'file') throw new UsageError(`${ZIP_ENV} names ${full}, which does not exist or is not a file. Point it at clickhouse-kafka-connect-${PINNED_SOURCE.version}.zip, or unset it`);
    return { kind: 'release-zip', path: full };
  }
  const source = resolveConnectorSource(env, projectRoot, kindOf);
  if (downloadConnector) return source ? { kind: 'download', fallback: source } : { kind: 'download' };
  return source ? { kind: 'source', source } : { kind: 'none' };
}
