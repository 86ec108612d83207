/**
 * ClickHouse's own server from the engine library inside npm `chdb`: the files it
 * runs with and the command that starts it (serve.py, through Python's ctypes: the
 * engine's command-line entry needs a plain native main thread).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../../paths.js';
import type { LaunchSpec } from '../process.js';
import { SetupError } from '../services/types.js';

const SOURCE_DIR = path.join(projectRoot, 'src', 'stack', 'clickhouse');
/** The name of the kit's users file in the server's users.d (written by src/clickhouse/users.ts). */
export const KIT_USERS_NAME = 'kit-users.xml';

/** The npm package that carries the engine library for this platform. */
const LIB_PACKAGES: Record<string, string> = {
  'linux-x64': '@chdb/lib-linux-x64-gnu',
  'linux-arm64': '@chdb/lib-linux-arm64-gnu',
  'darwin-x64': '@chdb/lib-darwin-x64',
  'darwin-arm64': '@chdb/lib-darwin-arm64',
};

export function libchdbPath(): string {
  const key = `${process.platform}-${process.arch}`;
  const pkg = LIB_PACKAGES[key];
  if (!pkg) throw new SetupError(`npm chdb ships no ClickHouse engine for ${key}; the embedded stack needs Linux or macOS on x64 or arm64`);
  let dir: string;
  try {
    dir = path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new SetupError(`${pkg} is not installed (it comes with npm chdb): run \`npm ci\``);
  }
  const lib = readdirSync(dir).find((f) => /^libchdb\.(so|dylib)$/.test(f));
  if (!lib) throw new SetupError(`no libchdb library in ${dir}: run \`rm -rf node_modules && npm ci\``);
  return path.join(dir, lib);
}

export function python(): string {
  return process.env.KIT_PYTHON ?? 'python3';
}

/** Undefined when Python 3 runs; else why not. */
export function pythonProblem(): string | undefined {
  const out = spawnSync(python(), ['-c', 'import ctypes, sys; print(sys.version_info[0])'], { encoding: 'utf8' });
  if (out.error || out.status !== 0 || out.stdout.trim() !== '3') {
    return `\`${python()}\` (Python 3 with ctypes) is needed to start the embedded ClickHouse server; install python3 (apt-get install python3) or set KIT_PYTHON`;
  }
  return undefined;
}

/**
 * Writes the server's config and users into `dir`; returns the config file. The kit's users
 * (`kitUsersXml`, from src/clickhouse/users.ts) and the users files in `extraUsersDir` (if
 * any): the engine cannot create users with SQL, so that is where more of them come from.
 */
export function writeServerFiles(dir: string, kitUsersXml: string, extraUsersDir?: string): string {
  const usersD = path.join(dir, 'users.d');
  rmSync(usersD, { recursive: true, force: true });
  mkdirSync(usersD, { recursive: true });
  for (const f of ['config.xml', 'users.xml']) copyFileSync(path.join(SOURCE_DIR, f), path.join(dir, f));
  writeFileSync(path.join(usersD, KIT_USERS_NAME), kitUsersXml);
  if (extraUsersDir && existsSync(extraUsersDir)) {
    for (const f of readdirSync(extraUsersDir).filter((n) => n.endsWith('.xml'))) {
      copyFileSync(path.join(extraUsersDir, f), path.join(usersD, `extra-${f}`));
    }
  }
  return path.join(dir, 'config.xml');
}

/**
 * Why a server started from `dir` no longer has the users a start would give it (a users
 * file added, removed or changed since, e.g. a new kit user after an update); undefined
 * when they are the same. Compares what writeServerFiles would copy with the copies.
 */
export function serverUsersOutdated(dir: string, kitUsersXml: string, extraUsersDir?: string): string | undefined {
  const usersD = path.join(dir, 'users.d');
  const want = new Map<string, { source: string; text: string }>([[KIT_USERS_NAME, { source: "the kit's users (its pipelines' grants)", text: kitUsersXml }]]);
  if (extraUsersDir && existsSync(extraUsersDir)) {
    for (const f of readdirSync(extraUsersDir).filter((n) => n.endsWith('.xml'))) {
      const source = path.join(extraUsersDir, f);
      want.set(`extra-${f}`, { source, text: readFileSync(source, 'utf8') });
    }
  }
  const have = existsSync(usersD) ? readdirSync(usersD).filter((n) => n.endsWith('.xml')) : [];
  for (const [name, { source, text }] of want) {
    const copy = path.join(usersD, name);
    if (!existsSync(copy)) return `its users lack ${name}`;
    if (readFileSync(copy, 'utf8') !== text) return `${source} changed since it started`;
  }
  const extra = have.filter((n) => !want.has(n));
  return extra.length > 0 ? `it has users files no longer in use: ${extra.join(', ')}` : undefined;
}

export interface ServerOptions {
  name: string;
  /** Holds the config and users (see writeServerFiles). */
  configDir: string;
  dataDir: string;
  port: number;
  /** Must carry the users file's from_env passwords and the admin's (for a clean stop). */
  env: NodeJS.ProcessEnv;
}

export function serverLaunchSpec(o: ServerOptions): LaunchSpec {
  const config = path.join(o.configDir, 'config.xml');
  if (!existsSync(config)) throw new SetupError(`${config} is missing (writeServerFiles writes it)`);
  mkdirSync(o.dataDir, { recursive: true });
  // The system database lives in memory in this mode; its log tables' data left by the
  // previous run would stop them from being created again.
  rmSync(path.join(o.dataDir, 'data', 'system'), { recursive: true, force: true });
  return {
    name: o.name,
    command: python(),
    // -u: the launcher's own lines reach the log as they happen.
    args: ['-u', path.join(SOURCE_DIR, 'serve.py'), '--lib', libchdbPath(), '--config', config, '--path', o.dataDir + path.sep, '--port', String(o.port)],
    cwd: o.dataDir,
    env: o.env,
    marker: config,
  };
}
