/**
 * The official ClickHouse sink connector built from its source release with Maven, in
 * temporary stack dirs: the shaded jar and the release layout, provenance, reuse without
 * Maven, a directory source, and tampered sources refused with exit 2 and nothing installed.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, UsageError } from '../../src/errors.js';
import { projectRoot, stackPaths, type StackPaths } from '../../src/paths.js';
import { connectorBuildDir, jarEntries, jdkTool } from '../../src/stack/connector/build.js';
import { sha256 } from '../../src/stack/connector/digest.js';
import { planClickhouseConnector, recipeDigest, type ConnectorOutcome } from '../../src/stack/connector/install.js';
import { PINNED_SOURCE } from '../../src/stack/connector/pinned.js';
import { prepareSource } from '../../src/stack/connector/prepare.js';
import { readProvenance } from '../../src/stack/connector/provenance.js';
import { vendorTarball } from '../../src/stack/connector/source.js';
import { clickhouseConnectorPresence, connectorDir } from '../../src/stack/plugins.js';

const VENDOR = vendorTarball(projectRoot);
const RELEASE = `clickhouse-kafka-connect-${PINNED_SOURCE.version}`;
const JAR_NAME = `${RELEASE}-confluent.jar`;
const scratch = mkdtempSync(path.join(tmpdir(), 'kit-connector-build-'));
const log = (line: string) => process.stderr.write(`[connector] ${line}\n`);

function pathsFor(stackDir: string): StackPaths {
  const saved = process.env.KIT_STACK_DIR;
  process.env.KIT_STACK_DIR = stackDir;
  try {
    return stackPaths();
  } finally {
    if (saved === undefined) delete process.env.KIT_STACK_DIR;
    else process.env.KIT_STACK_DIR = saved;
  }
}

function newStack(name: string): StackPaths {
  const dir = path.join(scratch, name);
  mkdirSync(dir);
  return pathsFor(dir);
}

async function fetchConnector(paths: StackPaths, env: NodeJS.ProcessEnv = {}): Promise<ConnectorOutcome> {
  const plan = planClickhouseConnector(paths, { env });
  try {
    return await plan.install(log);
  } finally {
    plan.dispose();
  }
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const out = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (out.error) throw out.error;
  return out;
}

function unzipText(jar: string, entry: string): string {
  const out = run('unzip', ['-p', jar, entry]);
  expect(out.status, out.stderr).toBe(0);
  return out.stdout;
}

/** The vendored tarball unpacked: <dir>/clickhouse-kafka-connect-1.5.0. */
function unpackVendor(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir);
  expect(run('tar', ['-xzf', VENDOR, '-C', dir]).status).toBe(0);
  return path.join(dir, PINNED_SOURCE.topFolder);
}

/** No staging or source copies left behind in the stack's build area. */
function leftovers(paths: StackPaths): string[] {
  const area = path.join(paths.base, 'build');
  return existsSync(area) ? readdirSync(area).filter((f) => f.startsWith('staging-') || f.startsWith('connector-src-')) : [];
}

/** A `mvn` first on PATH that records being run and fails: proves whether Maven ran. */
function withFakeMaven<T>(fn: (ran: () => boolean) => Promise<T>): Promise<T> {
  const bin = mkdtempSync(path.join(scratch, 'fake-mvn-'));
  const record = path.join(bin, 'ran');
  writeFileSync(path.join(bin, 'mvn'), `#!/bin/sh\necho "$@" > '${record}'\necho "fake maven: [ERROR] the last line Maven printed" >&2\nexit 1\n`);
  chmodSync(path.join(bin, 'mvn'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${saved ?? ''}`;
  return fn(() => existsSync(record)).finally(() => {
    process.env.PATH = saved;
  });
}

beforeAll(() => {
  // Not a skip: without the vendored source this suite has nothing to build, which is a failure.
  expect(existsSync(VENDOR), `the vendored connector source ${VENDOR} is missing (see shared/vendor/README.md)`).toBe(true);
  expect(sha256(readFileSync(VENDOR))).toBe(PINNED_SOURCE.archiveSha256);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('built from the vendored source tarball', () => {
  let paths: StackPaths;
  let first: ConnectorOutcome;
  let release: string;
  let jar: string;

  beforeAll(async () => {
    paths = newStack('stack-tarball');
    first = await fetchConnector(paths);
    release = path.join(connectorDir(paths), RELEASE);
    jar = path.join(release, 'lib', JAR_NAME);
  });

  it('is installed on the plugin path as the release zip lays it out, with nothing left over', () => {
    expect(first.action).toBe('built');
    expect(first.installed).toBe(true);
    expect(readdirSync(connectorDir(paths)).sort()).toEqual([RELEASE, 'provenance.json']);
    expect(readdirSync(path.join(release, 'lib'))).toEqual([JAR_NAME]);
    for (const f of ['manifest.json', 'assets/logo.svg', 'doc/README.md', 'doc/LICENSE']) expect(existsSync(path.join(release, f)), f).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(release, 'manifest.json'), 'utf8')) as { name: string; version: string; release_date: string };
    expect(manifest.name).toBe('clickhouse-kafka-connect');
    expect(manifest.version).toBe('v1.5.0');
    expect(manifest.release_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(readFileSync(path.join(release, 'manifest.json'), 'utf8')).not.toContain('${');
    expect(leftovers(paths)).toEqual([]);
  });

  it('ships one shaded jar: the connector, the generated Version class, the ClickHouse clients, httpclient5, gson, jackson, and no Kafka', () => {
    const entries = jarEntries(jar);
    const has = (prefix: string) => entries.some((e) => e.startsWith(prefix) && e.endsWith('.class'));
    expect(entries).toContain('com/clickhouse/kafka/connect/ClickHouseSinkConnector.class');
    expect(entries).toContain('com/clickhouse/kafka/connect/sink/Version.class');
    for (const p of ['com/clickhouse/client/', 'com/clickhouse/client/api/', 'com/clickhouse/client/http/', 'com/clickhouse/data/', 'org/apache/hc/client5/', 'com/google/gson/', 'com/fasterxml/jackson/databind/']) {
      expect(has(p), p).toBe(true);
    }
    expect(entries.filter((e) => e.startsWith('org/apache/kafka/'))).toEqual([]);
    expect(entries.filter((e) => e.startsWith('META-INF/maven/dev.kit'))).toEqual([]);
    expect(unzipText(jar, 'META-INF/services/org.apache.kafka.connect.sink.SinkConnector').trim().split('\n')).toContain('com.clickhouse.kafka.connect.ClickHouseSinkConnector');
    const manifest = unzipText(jar, 'META-INF/MANIFEST.MF');
    expect(manifest).toMatch(/^Implementation-Title: ClickHouse-Kafka-Connect\r?$/m);
    expect(manifest).toMatch(/^Implementation-Version: v1\.5\.0\r?$/m);
  });

  it('generates Version.ARTIFACT_VERSION = "v1.5.0", compiled for Java 11', () => {
    const cls = spawnSync('unzip', ['-p', jar, 'com/clickhouse/kafka/connect/sink/Version.class']).stdout;
    expect(cls.readUInt32BE(0)).toBe(0xcafebabe);
    expect(cls.readUInt16BE(6)).toBe(55);
    expect(cls.includes('ARTIFACT_VERSION')).toBe(true);
    expect(cls.includes('v1.5.0')).toBe(true);
    const javap = run(jdkTool('javap'), ['-constants', '-cp', jar, 'com.clickhouse.kafka.connect.sink.Version']);
    expect(javap.stdout).toContain('public static final java.lang.String ARTIFACT_VERSION = "v1.5.0";');
  });

  it("reports v1.5.0 from the connector's version(), which reads the shaded manifest", () => {
    const m2 = path.join(homedir(), '.m2', 'repository', 'org', 'apache', 'kafka');
    const cp = [jar, path.join(m2, 'connect-api', '2.7.0', 'connect-api-2.7.0.jar'), path.join(m2, 'kafka-clients', '2.7.0', 'kafka-clients-2.7.0.jar')];
    for (const f of cp) expect(existsSync(f), `${f} (Maven resolved it for the build)`).toBe(true);
    const main = path.join(scratch, 'VersionCheck.java');
    writeFileSync(
      main,
      'public class VersionCheck { public static void main(String[] a) throws Exception {\n' +
        '  Object c = Class.forName("com.clickhouse.kafka.connect.ClickHouseSinkConnector").getDeclaredConstructor().newInstance();\n' +
        '  System.out.println("version=" + c.getClass().getMethod("version").invoke(c)); } }\n',
    );
    const out = run(jdkTool('java'), ['-cp', cp.join(path.delimiter), main]);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('version=v1.5.0');
  });

  it('writes provenance: from the source tarball, its path, SHA-256 and tree digest, version, when and how long', () => {
    const p = readProvenance(connectorDir(paths));
    expect(p).toMatchObject({
      from: 'source-tarball',
      path: VENDOR,
      sha256: PINNED_SOURCE.archiveSha256,
      treeDigest: PINNED_SOURCE.treeDigest,
      matched: 'archive',
      version: 'v1.5.0',
      recipeDigest: recipeDigest(paths),
    });
    expect(Number.isNaN(Date.parse(p!.builtAt))).toBe(false);
    expect(p!.buildSeconds).toBeGreaterThan(0);
    const presence = clickhouseConnectorPresence(paths);
    expect(presence.installed).toBe(true);
    expect(presence.detail).toContain(`v1.5.0 built from the source tarball ${VENDOR} (sha256 ${PINNED_SOURCE.archiveSha256})`);
  });

  it('is reused by a second fetch: Maven does not run, nothing on the plugin path changes', async () => {
    const marker = path.join(connectorBuildDir(paths.base), 'marker');
    writeFileSync(marker, 'a rebuild clears this folder');
    const before = { provenance: readProvenance(connectorDir(paths)), ino: statSync(jar).ino };
    await withFakeMaven(async (mavenRan) => {
      const again = await fetchConnector(paths);
      expect(again.action).toBe('reused');
      expect(mavenRan()).toBe(false);
    });
    expect(existsSync(marker)).toBe(true);
    expect(readProvenance(connectorDir(paths))).toEqual(before.provenance);
    expect(statSync(jar).ino).toBe(before.ino);
  });

  it('is rebuilt when the pom changes; a failing Maven is reported with its last lines and leaves the install as it was', async () => {
    const recipe = path.join(scratch, 'changed-recipe');
    cpSync(path.dirname(paths.connectorPom), recipe, { recursive: true });
    appendFileSync(path.join(recipe, 'pom.xml'), '<!-- changed -->\n');
    const changed = { ...paths, connectorPom: path.join(recipe, 'pom.xml') };
    const before = readProvenance(connectorDir(paths));
    await withFakeMaven(async (mavenRan) => {
      await expect(fetchConnector(changed)).rejects.toThrow(/Maven could not build the ClickHouse connector[\s\S]*fake maven: \[ERROR\] the last line Maven printed/);
      expect(mavenRan()).toBe(true);
    });
    expect(readProvenance(connectorDir(paths))).toEqual(before);
    expect(existsSync(jar)).toBe(true);
    expect(leftovers(paths)).toEqual([]);
  });

  it('a tampered source is refused without touching the installed connector', () => {
    const tree = unpackVendor('tampered-over-installed');
    appendFileSync(path.join(tree, 'README.md'), ' ');
    const before = readProvenance(connectorDir(paths));
    expect(() => planClickhouseConnector(paths, { env: { KIT_CLICKHOUSE_CONNECTOR_SRC: tree } })).toThrow(UsageError);
    expect(readProvenance(connectorDir(paths))).toEqual(before);
    expect(leftovers(paths)).toEqual([]);
  });

  it('a release zip (KIT_CLICKHOUSE_CONNECTOR_ZIP) is installed with its provenance, reused, then kept over the vendored source', async () => {
    const zip = path.join(scratch, `${RELEASE}.zip`);
    expect(run(jdkTool('jar'), ['cfM', zip, '-C', connectorDir(paths), RELEASE]).status).toBe(0);
    const other = newStack('stack-zip');
    const installed = await fetchConnector(other, { KIT_CLICKHOUSE_CONNECTOR_ZIP: zip });
    expect(installed.action).toBe('installed');
    expect(readProvenance(connectorDir(other))).toMatchObject({ from: 'release-zip', path: zip, sha256: sha256(readFileSync(zip)), version: 'v1.5.0' });
    expect(existsSync(path.join(connectorDir(other), RELEASE, 'lib', JAR_NAME))).toBe(true);
    expect(clickhouseConnectorPresence(other).detail).toContain(`v1.5.0 from the release zip ${zip}`);
    await withFakeMaven(async (mavenRan) => {
      expect((await fetchConnector(other, { KIT_CLICKHOUSE_CONNECTOR_ZIP: zip })).action).toBe('reused');
      expect((await fetchConnector(other)).action).toBe('kept');
      expect(mavenRan()).toBe(false);
    });
    expect(readProvenance(connectorDir(other))?.from).toBe('release-zip');
    expect(leftovers(other)).toEqual([]);
  });

  it('`npm run stack:fetch -- --json` resolves the jars and reuses the built connector', () => {
    const out = run('npm', ['run', '--silent', 'stack:fetch', '--', '--json'], {
      cwd: projectRoot,
      env: { ...process.env, KIT_STACK_DIR: paths.base, KIT_CLICKHOUSE_CONNECTOR_SRC: '', KIT_CLICKHOUSE_CONNECTOR_ZIP: '' },
    });
    expect(out.status, out.stderr).toBe(0);
    const summary = JSON.parse(out.stdout) as { stackDir: string; jarsResolved: boolean; clickhouseConnector: ConnectorOutcome };
    expect(summary.stackDir).toBe(paths.base);
    expect(summary.jarsResolved).toBe(true);
    expect(summary.clickhouseConnector).toMatchObject({ action: 'reused', installed: true, provenance: { from: 'source-tarball', version: 'v1.5.0' } });
    expect(out.stderr).toMatch(/\[stack\] ClickHouse sink connector: reused/);
  });
});

describe('other sources', () => {
  it('builds from a directory source (the unpacked tree), recording its tree digest', async () => {
    const paths = newStack('stack-directory');
    const tree = unpackVendor('directory-source');
    const outcome = await fetchConnector(paths, { KIT_CLICKHOUSE_CONNECTOR_SRC: tree });
    expect(outcome.action).toBe('built');
    const p = readProvenance(connectorDir(paths));
    expect(p).toMatchObject({ from: 'source-directory', path: tree, treeDigest: PINNED_SOURCE.treeDigest, matched: 'tree', version: 'v1.5.0' });
    expect(p!.sha256).toBeUndefined();
    expect(existsSync(path.join(connectorDir(paths), RELEASE, 'lib', JAR_NAME))).toBe(true);
    expect(leftovers(paths)).toEqual([]);
  });

  it('accepts a tag tarball with other gzip bytes but the same tree, by its tree digest', () => {
    const tree = unpackVendor('repacked');
    const tarball = path.join(scratch, 'repacked.tar.gz');
    expect(run('tar', ['-czf', tarball, '-C', path.dirname(tree), PINNED_SOURCE.topFolder]).status).toBe(0);
    expect(sha256(readFileSync(tarball))).not.toBe(PINNED_SOURCE.archiveSha256);
    const work = path.join(scratch, 'repacked-work');
    const prepared = prepareSource({ kind: 'tarball', path: tarball, origin: 'env' }, work);
    expect(prepared).toMatchObject({ matched: 'tree', treeDigest: PINNED_SOURCE.treeDigest, version: 'v1.5.0' });
    rmSync(work, { recursive: true, force: true });
  });
});

describe('tampered sources are refused with exit 2 and nothing installed', () => {
  let tamperedTree: string;
  let tamperedTarball: string;

  beforeAll(() => {
    tamperedTree = unpackVendor('tampered');
    const file = path.join(tamperedTree, 'src/main/java/com/clickhouse/kafka/connect/ClickHouseSinkConnector.java');
    const bytes = readFileSync(file);
    bytes[100] = bytes[100]! ^ 0x01;
    writeFileSync(file, bytes);
    tamperedTarball = path.join(scratch, 'tampered.tar.gz');
    expect(run('tar', ['-czf', tamperedTarball, '-C', path.dirname(tamperedTree), PINNED_SOURCE.topFolder]).status).toBe(0);
  });

  function expectRefused(paths: StackPaths, source: string, mentions: string[]): void {
    let error: unknown;
    try {
      planClickhouseConnector(paths, { env: { KIT_CLICKHOUSE_CONNECTOR_SRC: source } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const { exitCode, message } = classifyError(error);
    expect(exitCode).toBe(2);
    for (const m of [source, 'is not the ClickHouse connector v1.5.0 source', 'Nothing was built or installed', 'Fix:', ...mentions]) expect(message).toContain(m);
    expect(existsSync(connectorDir(paths))).toBe(false);
    expect(leftovers(paths)).toEqual([]);
  }

  it('an unpacked copy with one byte changed', () => {
    expectRefused(newStack('stack-tampered-dir'), tamperedTree, [`(expected ${PINNED_SOURCE.treeDigest})`, 'no archive hash']);
  });

  it('a tarball whose hash and tree both differ', () => {
    const actual = sha256(readFileSync(tamperedTarball));
    expectRefused(newStack('stack-tampered-tarball'), tamperedTarball, [`SHA-256 is ${actual} (expected ${PINNED_SOURCE.archiveSha256})`, `(expected ${PINNED_SOURCE.treeDigest})`]);
  });

  it('`npm run stack:fetch` with KIT_CLICKHOUSE_CONNECTOR_SRC naming a bad file exits 2, installing nothing', () => {
    const stack = path.join(scratch, 'stack-npm-bad');
    const out = run('npm', ['run', '--silent', 'stack:fetch'], {
      cwd: projectRoot,
      env: { ...process.env, KIT_STACK_DIR: stack, KIT_CLICKHOUSE_CONNECTOR_SRC: tamperedTarball, KIT_CLICKHOUSE_CONNECTOR_ZIP: '' },
    });
    expect(out.status, out.stdout + out.stderr).toBe(2);
    expect(out.stderr).toContain(`error: ${tamperedTarball} is not the ClickHouse connector v1.5.0 source`);
    expect(existsSync(path.join(stack, 'plugins'))).toBe(false);
    expect(existsSync(path.join(stack, 'lib'))).toBe(false);
  });
});
