/**
 * The one source release the kit builds: ClickHouse/clickhouse-kafka-connect tag v1.5.0
 * (commit 483f7c47efe3bc03aaeac1c387a53da6ebecfd23).
 *
 * A source is accepted when its archive's SHA-256 OR its tree digest matches: GitHub's
 * tag tarball has the same tree but may have other gzip bytes, and a directory has no
 * archive at all. The tree digest can be recomputed in a shell, from inside the tree:
 *   find . -type f -printf '%P\n' | LC_ALL=C sort | while IFS= read -r f; do
 *     printf '%s\0%s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done | sha256sum
 */
export const PINNED_SOURCE = {
  version: 'v1.5.0',
  tarballName: 'clickhouse-kafka-connect-1.5.0.tar.gz',
  topFolder: 'clickhouse-kafka-connect-1.5.0',
  tagTarballUrl: 'https://github.com/ClickHouse/clickhouse-kafka-connect/archive/refs/tags/v1.5.0.tar.gz',
  archiveSha256: '4fd4113289e4faf1c16e54ade8f2749f12e15fca2d0958f052c22a011e825e20',
  treeDigest: '2ca0993232801f1a3b85bbd1286672e7fa8d0e090656ef0d996ed4c04dce215b',
} as const;

export type PinnedSource = { version: string; archiveSha256: string; treeDigest: string };
