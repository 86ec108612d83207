/**
 * Puts a private copy of the source in a work folder and verifies that copy, so what
 * is verified is exactly what Maven builds (a tarball is read once: hashed, then unpacked
 * from the same bytes).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { sha256, treeDigest } from './digest.js';
import { PINNED_SOURCE } from './pinned.js';
import type { ConnectorSource } from './source.js';
import { sourceMismatchError, sourceVerdict, type SourceIdentity } from './verify.js';

export interface PreparedSource extends SourceIdentity {
  source: ConnectorSource;
  /** The verified copy: the folder with VERSION, build.gradle.kts and src/. */
  root: string;
  matched: 'archive' | 'tree';
  /** From the source's VERSION file, e.g. v1.5.0. */
  version: string;
}

/** Throws a UsageError (and leaves nothing in `workDir`) when the source is not the pinned release. */
export function prepareSource(source: ConnectorSource, workDir: string): PreparedSource {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  try {
    const copy = path.join(workDir, 'tree');
    const archiveSha256 = source.kind === 'tarball' ? unpackTarball(source.path, copy) : copyTree(source.path, copy);
    const root = singleTopFolder(copy);
    const id: SourceIdentity = { sha256: archiveSha256, treeDigest: treeDigest(root) };
    const verdict = sourceVerdict(id);
    if (!verdict.accepted) throw sourceMismatchError(source, id);
    const versionFile = path.join(root, 'VERSION');
    const version = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : PINNED_SOURCE.version;
    return { source, root, ...id, matched: verdict.matched, version };
  } catch (e) {
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}

function unpackTarball(file: string, into: string): string {
  const bytes = readFileSync(file);
  mkdirSync(into, { recursive: true });
  const tar = spawnSync('tar', ['-xzf', '-', '--no-same-owner', '-C', into], { input: bytes, encoding: 'utf8' });
  if (tar.error || tar.status !== 0) {
    throw new UsageError(`${file} could not be unpacked as a .tar.gz (${(tar.stderr || String(tar.error)).trim()}). Nothing was built or installed. Fix: use the connector's ${PINNED_SOURCE.version} tag tarball (${PINNED_SOURCE.tagTarballUrl}) or its unpacked tree`);
  }
  return sha256(bytes);
}

function copyTree(dir: string, into: string): undefined {
  const skip = path.join(dir, '.git');
  cpSync(dir, into, { recursive: true, verbatimSymlinks: true, filter: (src) => src !== skip });
  return undefined;
}

/** A tag tarball holds one top folder; a directory source may be that folder or the one holding it. */
function singleTopFolder(dir: string): string {
  if (existsSync(path.join(dir, 'VERSION'))) return dir;
  const entries = readdirSync(dir, { withFileTypes: true });
  return entries.length === 1 && entries[0]!.isDirectory() ? path.join(dir, entries[0]!.name) : dir;
}
