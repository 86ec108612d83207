/**
 * The ClickHouse connector source: the tree digest, where the source comes from
 * (zip, download, named source, vendored tarball), and which sources are accepted.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli.js';
import { classifyError } from '../../src/errors.js';
import { treeDigest } from '../../src/stack/connector/digest.js';
import { expandManifest } from '../../src/stack/connector/layout.js';
import { PINNED_SOURCE } from '../../src/stack/connector/pinned.js';
import { resolveConnectorOrigin, resolveConnectorSource, vendorTarball, type PathKind } from '../../src/stack/connector/source.js';
import { sourceMismatchError, sourceVerdict } from '../../src/stack/connector/verify.js';
import { tempDir } from '../temp-dir.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function tree(files: Record<string, string>): string {
  const root = tempDir('kit-tree-');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
}

describe('treeDigest', () => {
  it('is sha256 over the sorted lines path\\0sha256(content)\\n', () => {
    const root = tree({ 'b.txt': 'bee', 'a/z.java': 'zed', 'a/y.java': 'why' });
    const expected = sha(`a/y.java\0${sha('why')}\na/z.java\0${sha('zed')}\nb.txt\0${sha('bee')}\n`);
    expect(treeDigest(root)).toBe(expected);
  });

  it('does not depend on creation order, modes, times or empty folders', () => {
    const one = tree({ 'x/1': 'one', 'x/2': 'two', VERSION: 'v1.5.0\n' });
    const two = tree({ VERSION: 'v1.5.0\n', 'x/2': 'two', 'x/1': 'one' });
    chmodSync(path.join(two, 'x/1'), 0o755);
    utimesSync(path.join(two, 'x/2'), new Date(0), new Date(0));
    mkdirSync(path.join(two, 'empty'));
    expect(treeDigest(two)).toBe(treeDigest(one));
  });

  it('changes with one byte of content, or a renamed file', () => {
    const base = treeDigest(tree({ 'src/A.java': 'class A {}' }));
    expect(treeDigest(tree({ 'src/A.java': 'class B {}' }))).not.toBe(base);
    expect(treeDigest(tree({ 'src/B.java': 'class A {}' }))).not.toBe(base);
  });

  it('leaves out a top-level .git only', () => {
    const plain = tree({ 'a.txt': 'a' });
    const checkout = tree({ 'a.txt': 'a', '.git/HEAD': 'ref: refs/heads/main' });
    expect(treeDigest(checkout)).toBe(treeDigest(plain));
    expect(treeDigest(tree({ 'a.txt': 'a', 'sub/.git/HEAD': 'x' }))).not.toBe(treeDigest(plain));
  });

  it('counts a symlink by its target', () => {
    const root = tree({ 'a.txt': 'a' });
    symlinkSync('a.txt', path.join(root, 'link'));
    expect(treeDigest(root)).toBe(sha(`a.txt\0${sha('a')}\nlink\0symlink:a.txt\n`));
  });
});

describe('where the connector comes from', () => {
  const root = '/kit/main';
  const vendored = vendorTarball(root);
  const fs = (entries: Record<string, PathKind>) => (p: string) => entries[p];

  it('defaults to the vendored tarball beside the project', () => {
    expect(vendored).toBe(path.resolve('/kit/shared/vendor/clickhouse-kafka-connect-1.5.0.tar.gz'));
    expect(resolveConnectorSource({}, root, fs({ [vendored]: 'file' }))).toEqual({ kind: 'tarball', path: vendored, origin: 'vendor' });
  });

  it('prefers KIT_CLICKHOUSE_CONNECTOR_SRC, a tarball or a directory', () => {
    const kinds = fs({ [vendored]: 'file', '/src/tag.tar.gz': 'file', '/src/tree': 'directory' });
    expect(resolveConnectorSource({ KIT_CLICKHOUSE_CONNECTOR_SRC: '/src/tag.tar.gz' }, root, kinds)).toEqual({ kind: 'tarball', path: '/src/tag.tar.gz', origin: 'env' });
    expect(resolveConnectorSource({ KIT_CLICKHOUSE_CONNECTOR_SRC: '/src/tree' }, root, kinds)).toEqual({ kind: 'directory', path: '/src/tree', origin: 'env' });
  });

  it('refuses a KIT_CLICKHOUSE_CONNECTOR_SRC that does not exist, naming it and the fix', () => {
    const call = () => resolveConnectorSource({ KIT_CLICKHOUSE_CONNECTOR_SRC: '/nowhere.tgz' }, root, fs({ [vendored]: 'file' }));
    expect(call).toThrow(UsageError);
    expect(call).toThrow(/KIT_CLICKHOUSE_CONNECTOR_SRC names \/nowhere\.tgz, which does not exist.*tag tarball.*or unset it/);
  });

  it('finds nothing when neither is there; an empty variable counts as unset', () => {
    expect(resolveConnectorSource({}, root, fs({}))).toBeUndefined();
    expect(resolveConnectorSource({ KIT_CLICKHOUSE_CONNECTOR_SRC: '' }, root, fs({}))).toBeUndefined();
  });

  it('ranks a release zip over a download over a source', () => {
    const kinds = fs({ [vendored]: 'file', '/r.zip': 'file', '/src/tree': 'directory' });
    const env = { KIT_CLICKHOUSE_CONNECTOR_ZIP: '/r.zip', KIT_CLICKHOUSE_CONNECTOR_SRC: '/src/tree' };
    expect(resolveConnectorOrigin(env, root, { downloadConnector: true }, kinds)).toEqual({ kind: 'release-zip', path: '/r.zip' });
    expect(resolveConnectorOrigin({ KIT_CLICKHOUSE_CONNECTOR_SRC: '/src/tree' }, root, { downloadConnector: true }, kinds)).toEqual({
      kind: 'download',
      fallback: { kind: 'directory', path: '/src/tree', origin: 'env' },
    });
    expect(resolveConnectorOrigin({}, root, { downloadConnector: true }, fs({}))).toEqual({ kind: 'download' });
    expect(resolveConnectorOrigin({}, root, {}, kinds)).toEqual({ kind: 'source', source: { kind: 'tarball', path: vendored, origin: 'vendor' } });
    expect(resolveConnectorOrigin({}, root, {}, fs({}))).toEqual({ kind: 'none' });
  });

  it('refuses a KIT_CLICKHOUSE_CONNECTOR_ZIP that does not exist', () => {
    expect(() => resolveConnectorOrigin({ KIT_CLICKHOUSE_CONNECTOR_ZIP: '/gone.zip' }, root, {}, fs({}))).toThrow(/KIT_CLICKHOUSE_CONNECTOR_ZIP names \/gone\.zip/);
  });
});

describe('checksum verdicts', () => {
  const pinned = { version: 'v1.5.0', archiveSha256: 'a'.repeat(64), treeDigest: 't'.repeat(64) };
  const other = 'f'.repeat(64);

  it('accepts the pinned archive hash, or failing that the pinned tree digest', () => {
    expect(sourceVerdict({ sha256: pinned.archiveSha256, treeDigest: pinned.treeDigest }, pinned)).toEqual({ accepted: true, matched: 'archive' });
    // A tag tarball GitHub serves: other gzip bytes, the same tree.
    expect(sourceVerdict({ sha256: other, treeDigest: pinned.treeDigest }, pinned)).toEqual({ accepted: true, matched: 'tree' });
    // A directory has no archive hash.
    expect(sourceVerdict({ treeDigest: pinned.treeDigest }, pinned)).toEqual({ accepted: true, matched: 'tree' });
  });

  it('refuses a source whose hash and tree both differ', () => {
    expect(sourceVerdict({ sha256: other, treeDigest: other }, pinned)).toEqual({ accepted: false });
    expect(sourceVerdict({ treeDigest: other }, pinned)).toEqual({ accepted: false });
  });

  it('names the file, the expected and actual values and the fix; exit 2', () => {
    const tarball = sourceMismatchError({ kind: 'tarball', path: '/x/bad.tar.gz', origin: 'env' }, { sha256: other, treeDigest: 'e'.repeat(64) }, pinned);
    expect(tarball).toBeInstanceOf(UsageError);
    expect(classifyError(tarball).exitCode).toBe(2);
    for (const s of ['/x/bad.tar.gz', other, pinned.archiveSha256, 'e'.repeat(64), pinned.treeDigest, 'Nothing was built or installed', 'Fix: point KIT_CLICKHOUSE_CONNECTOR_SRC']) {
      expect(tarball.message).toContain(s);
    }
    const dir = sourceMismatchError({ kind: 'directory', path: '/x/tree', origin: 'env' }, { treeDigest: other }, pinned);
    expect(dir.message).toMatch(/\/x\/tree is not the ClickHouse connector v1\.5\.0 source: it is a directory \(no archive hash\)/);
    const vendored = sourceMismatchError({ kind: 'tarball', path: '/v.tar.gz', origin: 'vendor' }, { sha256: other, treeDigest: other }, pinned);
    expect(vendored.message).toMatch(/Fix: restore the vendored tarball/);
  });

  it('pins the v1.5.0 release', () => {
    expect(PINNED_SOURCE.version).toBe('v1.5.0');
    expect(PINNED_SOURCE.archiveSha256).toBe('4fd4113289e4faf1c16e54ade8f2749f12e15fca2d0958f052c22a011e825e20');
    expect(PINNED_SOURCE.treeDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the release manifest', () => {
  it('expands the two placeholders as Gradle does', () => {
    const out = expandManifest('{"version":"${project.version}","release_date":"${project.releaseDate}"}', 'v1.5.0', '2026-11-30');
    expect(JSON.parse(out)).toEqual({ version: 'v1.5.0', release_date: '2026-11-30' });
  });
});
