/** SHA-256 of an archive's bytes, and a digest of an unpacked tree that does not depend on how it was archived. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha256 over the sorted lines `path\0sha256(content)\n` of every file under `root`
 * (paths relative to it, with `/`; a symlink hashes its target path). Modes, times and
 * empty folders do not count, so a tag tarball, a `git archive` and its unpacked
 * tree all agree. A top-level `.git` is left out so a checkout of the tag matches too.
 */
export function treeDigest(root: string): string {
  const lines: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (relPath === '.git') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, relPath);
      else if (entry.isFile()) lines.push(`${relPath}\0${sha256(readFileSync(full))}\n`);
      else if (entry.isSymbolicLink()) lines.push(`${relPath}\0symlink:${readlinkSync(full)}\n`);
    }
  };
  walk(root, '');
  lines.sort();
  return sha256(lines.join(''));
}
