/**
 * The release zip's layout, made from a build, and its atomic installation:
 *   clickhouse-kafka-connect-<v>/lib/clickhouse-kafka-connect-<v>-confluent.jar
 *   clickhouse-kafka-connect-<v>/manifest.json, assets/, doc/README.md, doc/LICENSE
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { shadedJarName } from './build.js';

/** A fresh folder beside the plugin path (same filesystem, so the final rename is atomic). */
export function makeStagingDir(stackDir: string): string {
  const area = path.join(stackDir, 'build');
  mkdirSync(area, { recursive: true });
  return mkdtempSync(path.join(area, 'staging-'));
}

/** As Gradle's `expand(project.properties)` does for the two placeholders manifest.json has. */
export function expandManifest(template: string, version: string, releaseDate: string): string {
  return template.replaceAll('${project.version}', version).replaceAll('${project.releaseDate}', releaseDate);
}

export function stageRelease(opts: { srcRoot: string; jar: string; version: string; into: string; releaseDate: string }): void {
  const release = path.join(opts.into, `clickhouse-kafka-connect-${opts.version}`);
  mkdirSync(path.join(release, 'lib'), { recursive: true });
  copyFileSync(opts.jar, path.join(release, 'lib', shadedJarName(opts.version)));
  const archive = path.join(opts.srcRoot, 'config', 'archive');
  const manifest = readFileSync(path.join(archive, 'manifest.json'), 'utf8');
  writeFileSync(path.join(release, 'manifest.json'), expandManifest(manifest, opts.version, opts.releaseDate));
  if (existsSync(path.join(archive, 'assets'))) cpSync(path.join(archive, 'assets'), path.join(release, 'assets'), { recursive: true });
  mkdirSync(path.join(release, 'doc'));
  for (const doc of ['README.md', 'LICENSE']) copyFileSync(path.join(opts.srcRoot, doc), path.join(release, 'doc', doc));
}

/** Replaces `target` with `staged` by renames; `target` is never left half-written. */
export function installStaged(staged: string, target: string): void {
  mkdirSync(path.dirname(target), { recursive: true });
  const previous = `${staged}.previous`;
  const hadPrevious = existsSync(target);
  if (hadPrevious) renameSync(target, previous);
  try {
    renameSync(staged, target);
  } catch (e) {
    if (hadPrevious) renameSync(previous, target);
    throw e;
  }
  rmSync(previous, { recursive: true, force: true });
}
