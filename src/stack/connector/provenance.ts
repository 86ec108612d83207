/** `provenance.json` beside an installed connector: where it came from and when. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PROVENANCE_FILE = 'provenance.json';

export interface Provenance {
  from: 'source-tarball' | 'source-directory' | 'release-zip' | 'download';
  /** The tarball, directory or zip it was made from. */
  path: string;
  /** Of the tarball or zip. */
  sha256?: string;
  /** Of the source tree (source builds). */
  treeDigest?: string;
  /** Which pinned value the source matched. */
  matched?: 'archive' | 'tree';
  url?: string;
  version: string;
  builtAt: string;
  buildSeconds: number;
  /** Tree digest of src/stack/jvm/connector (the pom and its template) it was built with. */
  recipeDigest?: string;
}

export function readProvenance(dir: string): Provenance | undefined {
  const file = path.join(dir, PROVENANCE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Provenance;
  } catch {
    return undefined;
  }
}

export function writeProvenance(dir: string, provenance: Provenance): void {
  writeFileSync(path.join(dir, PROVENANCE_FILE), JSON.stringify(provenance, null, 2) + '\n');
}

const FROM_TEXT: Record<Provenance['from'], string> = {
  'source-tarball': 'built from the source tarball',
  'source-directory': 'built from the source directory',
  'release-zip': 'from the release zip',
  download: 'downloaded from',
};

export function describeProvenance(p: Provenance): string {
  const digest = p.sha256 ? `sha256 ${p.sha256}` : `tree digest ${p.treeDigest}`;
  return `${p.version} ${FROM_TEXT[p.from]} ${p.url ?? p.path} (${digest}) at ${p.builtAt} in ${p.buildSeconds.toFixed(1)} s`;
}
