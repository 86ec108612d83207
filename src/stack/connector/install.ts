/**
 * Getting the ClickHouse connector onto the worker's plugin path, in two steps so bad
 * input is refused before anything slow runs: `planClickhouseConnector` resolves and
 * verifies (throws a UsageError), `install` builds or installs, or reuses what is there.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { StackPaths } from '../../paths.js';
import { clickhouseConnectorPresence, connectorDir, downloadClickhouseConnector, installClickhouseConnector } from '../plugins.js';
import { buildConnectorJar } from './build.js';
import { sha256, treeDigest } from './digest.js';
import { installStaged, makeStagingDir, stageRelease } from './layout.js';
import { prepareSource, type PreparedSource } from './prepare.js';
import { readProvenance, writeProvenance, type Provenance } from './provenance.js';
import { resolveConnectorOrigin, type ConnectorSource } from './source.js';

export type ConnectorAction = 'built' | 'reused' | 'installed' | 'downloaded' | 'kept' | 'absent';

export interface ConnectorOutcome {
  action: ConnectorAction;
  installed: boolean;
  detail: string;
  /** Time this step took (Maven's build included). */
  seconds: number;
  provenance?: Provenance;
}

export interface ConnectorPlan {
  install(log: (line: string) => void): Promise<ConnectorOutcome>;
  /** Removes the verified source copy; call when done, whether or not install ran. */
  dispose(): void;
}

/** The pom and its template: a change to either means a rebuild. */
export function recipeDigest(paths: StackPaths): string {
  return treeDigest(path.dirname(paths.connectorPom));
}

export function planClickhouseConnector(paths: StackPaths, opts: { env?: NodeJS.ProcessEnv; downloadConnector?: boolean } = {}): ConnectorPlan {
  const origin = resolveConnectorOrigin(opts.env ?? process.env, paths.projectRoot, { downloadConnector: opts.downloadConnector });
  const current = readProvenance(connectorDir(paths));
  // Installed from a release, or by hand before provenance files existed.
  const releaseInstalled = clickhouseConnectorPresence(paths).installed && (!current || current.from === 'release-zip' || current.from === 'download');

  if (origin.kind === 'release-zip') return { install: async () => installZip(paths, origin.path), dispose: () => {} };

  const source = origin.kind === 'source' ? origin.source : origin.kind === 'download' ? origin.fallback : undefined;
  // Such an install stays unless a source is named explicitly.
  const keepRelease = releaseInstalled && origin.kind !== 'download' && source?.origin !== 'env';
  const workDir = source && !keepRelease ? makeWorkDir(paths) : undefined;
  const prepared = source && workDir ? prepareSource(source, workDir) : undefined;
  const dispose = () => workDir && rmSync(workDir, { recursive: true, force: true });

  return {
    dispose,
    async install(log) {
      const started = Date.now();
      if (origin.kind === 'download') {
        if (current?.from === 'download' && clickhouseConnectorPresence(paths).installed) return outcome(paths, 'reused', started);
        const failure = await downloadClickhouseConnector(paths);
        if (!failure) return outcome(paths, 'downloaded', started);
        log(`could not download the connector: ${failure}${prepared ? '; building it from source instead' : ''}`);
      }
      if (prepared) return await buildOrReuse(paths, prepared, log);
      return outcome(paths, clickhouseConnectorPresence(paths).installed ? 'kept' : 'absent', started);
    },
  };
}

function makeWorkDir(paths: StackPaths): string {
  const area = path.join(paths.base, 'build');
  mkdirSync(area, { recursive: true });
  return mkdtempSync(path.join(area, 'connector-src-'));
}

function installZip(paths: StackPaths, zip: string): ConnectorOutcome {
  const started = Date.now();
  const current = readProvenance(connectorDir(paths));
  if (current?.from === 'release-zip' && current.sha256 === sha256(readFileSync(zip)) && clickhouseConnectorPresence(paths).installed) {
    return outcome(paths, 'reused', started);
  }
  installClickhouseConnector(paths, zip);
  return outcome(paths, 'installed', started);
}

async function buildOrReuse(paths: StackPaths, prepared: PreparedSource, log: (line: string) => void): Promise<ConnectorOutcome> {
  const started = Date.now();
  const dir = connectorDir(paths);
  const recipe = recipeDigest(paths);
  const current = readProvenance(dir);
  // Keyed on what was built (the tree and the recipe), not on where the tree came from.
  if (
    (current?.from === 'source-tarball' || current?.from === 'source-directory') &&
    current.treeDigest === prepared.treeDigest &&
    current.recipeDigest === recipe &&
    current.version === prepared.version &&
    clickhouseConnectorPresence(paths).installed
  ) {
    return outcome(paths, 'reused', started);
  }
  log(`building the ClickHouse sink connector ${prepared.version} from ${prepared.source.path} with Maven (about 20 s; the first time also downloads its dependencies from Maven Central)...`);
  const jar = await buildConnectorJar({ pom: paths.connectorPom, srcRoot: prepared.root, version: prepared.version, stackDir: paths.base });
  const staging = makeStagingDir(paths.base);
  try {
    stageRelease({ srcRoot: prepared.root, jar, version: prepared.version, into: staging, releaseDate: new Date().toISOString().slice(0, 10) });
    writeProvenance(staging, {
      from: sourceFrom(prepared.source),
      path: prepared.source.path,
      ...(prepared.sha256 ? { sha256: prepared.sha256 } : {}),
      treeDigest: prepared.treeDigest,
      matched: prepared.matched,
      version: prepared.version,
      builtAt: new Date().toISOString(),
      buildSeconds: (Date.now() - started) / 1000,
      recipeDigest: recipe,
    });
    installStaged(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return outcome(paths, 'built', started);
}

function sourceFrom(source: ConnectorSource): Provenance['from'] {
  return source.kind === 'tarball' ? 'source-tarball' : 'source-directory';
}

function outcome(paths: StackPaths, action: ConnectorAction, started: number): ConnectorOutcome {
  const presence = clickhouseConnectorPresence(paths);
  return {
    action,
    installed: presence.installed,
    detail: presence.detail,
    seconds: (Date.now() - started) / 1000,
    ...(presence.provenance ? { provenance: presence.provenance } : {}),
  };
}
