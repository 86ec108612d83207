/** Whether a source is the pinned release, and the error that says why not. */
import { UsageError } from '../../errors.js';
import { PINNED_SOURCE, type PinnedSource } from './pinned.js';
import { SOURCE_ENV, type ConnectorSource } from './source.js';

export interface SourceIdentity {
  /** The archive's SHA-256; a directory has none. */
  sha256?: string;
  treeDigest: string;
}

export type SourceVerdict = { accepted: true; matched: 'archive' | 'tree' } | { accepted: false };

export function sourceVerdict(id: SourceIdentity, pinned: PinnedSource = PINNED_SOURCE): SourceVerdict {
  if (id.sha256 !== undefined && id.sha256 === pinned.archiveSha256) return { accepted: true, matched: 'archive' };
  if (id.treeDigest === pinned.treeDigest) return { accepted: true, matched: 'tree' };
  return { accepted: false };
}

export function sourceMismatchError(source: ConnectorSource, id: SourceIdentity, pinned: PinnedSource = PINNED_SOURCE): UsageError {
  const what =
    source.kind === 'tarball'
      ? `its SHA-256 is ${id.sha256} (expected ${pinned.archiveSha256}) and the tree it unpacks to has digest ${id.treeDigest} (expected ${pinned.treeDigest})`
      : `it is a directory (no archive hash) and its tree digest is ${id.treeDigest} (expected ${pinned.treeDigest})`;
  const fix =
    source.origin === 'env'
      ? `point ${SOURCE_ENV} at the connector's ${pinned.version} tag tarball (${PINNED_SOURCE.tagTarballUrl}) or its unpacked, unmodified tree, or unset it to use the kit's vendored copy`
      : `restore the vendored tarball (see shared/vendor/README.md), or set ${SOURCE_ENV} to the ${pinned.version} tag tarball or its unpacked tree`;
  return new UsageError(
    `${source.path} is not the ClickHouse connector ${pinned.version} source: ${what}. Nothing was built or installed. Fix: ${fix}`,
  );
}
