/**
 * The JVM side of the embedded stack: resolving jars from Maven Central with the
 * stack's pom, and the java command line the services share.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StackPaths } from '../paths.js';

export interface MavenRun {
  pom: string;
  goals: string[];
}

/** The stack's poms: the main one aggregates the others (see its header). */
function stackPoms(paths: StackPaths): string[] {
  return [paths.pom, paths.registryPom, paths.converterPom, paths.zookeeperPom];
}

/** One Maven run resolves every pom: each execution is bound to process-resources. */
export function mavenRuns(paths: StackPaths): MavenRun[] {
  return [{ pom: paths.pom, goals: ['process-resources'] }];
}

export function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function pomStamp(paths: StackPaths): string {
  const hash = createHash('sha256');
  for (const pom of stackPoms(paths)) hash.update(readFileSync(pom));
  return hash.digest('hex');
}

export function jarsResolved(paths: StackPaths): boolean {
  const stamp = path.join(paths.lib, '.pom-sha256');
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === pomStamp(paths);
}

/** The directories the poms' copy-dependencies executions fill (their outputDirectory). */
export function copiedJarDirs(paths: StackPaths): string[] {
  return [paths.lib, path.join(paths.plugins, 'connect-file'), path.join(paths.plugins, 'apicurio-converter'), paths.zookeeperLib];
}

/**
 * Removes the jars a previous resolution copied: Maven only adds, so a version a pom no longer
 * names would stay beside its successor on the classpath. (A service still running keeps the
 * jars it opened until it restarts.)
 */
export function removeCopiedJars(paths: StackPaths): number {
  let removed = 0;
  for (const dir of copiedJarDirs(paths)) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.jar')) continue;
      rmSync(path.join(dir, f));
      removed++;
    }
  }
  return removed;
}

/** Runs Maven when the jars are missing or the pom changed; Maven's own cache (~/.m2) makes reruns cheap. */
export function resolveJars(paths: StackPaths, log: (line: string) => void): void {
  if (jarsResolved(paths)) return;
  log('resolving Kafka, Kafka Connect, Apicurio Registry and ZooKeeper from Maven Central (mvn dependency:copy-dependencies / unpack)...');
  const started = Date.now();
  removeCopiedJars(paths);
  for (const run of mavenRuns(paths)) runMaven(paths, run);
  mkdirSync(paths.lib, { recursive: true });
  writeFileSync(path.join(paths.lib, '.pom-sha256'), pomStamp(paths));
  const jars = readdirSync(paths.lib).filter((f) => f.endsWith('.jar')).length;
  log(`resolved ${jars} jars and the registry in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Runs one pom's executions into the stack dir. */
export function runMaven(paths: StackPaths, run: MavenRun): void {
  const mvn = spawnSync('mvn', ['-B', '-q', '-f', run.pom, ...run.goals, `-Dstack.dir=${paths.base}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (mvn.error || mvn.status !== 0) {
    const detail = mvn.error ? String(mvn.error) : (mvn.stdout + mvn.stderr).trim().split('\n').slice(-15).join('\n');
    throw new Error(`Maven could not resolve ${path.relative(process.cwd(), run.pom)} (is \`mvn\` installed and Maven Central reachable?)\n${detail}`);
  }
}

export function javaVersion(): number | undefined {
  const out = spawnSync(javaBin(), ['-version'], { encoding: 'utf8' });
  if (out.error) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out.stderr);
  if (!m?.[1]) return undefined;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

export const LOG4J2_PROPERTIES = `# Written by the embedded stack: console logging, captured in the service's log file.
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
# ZooKeeper logs every four-letter probe and client disconnect at INFO.
logger.zkcnxn.name = org.apache.zookeeper.server.NIOServerCnxn
logger.zkcnxn.level = WARN
`;

/** `classpath` defaults to the shared Kafka/Connect lib folder. */
export function jvmArgs(paths: StackPaths, heap: string, classpath = path.join(paths.lib, '*')): string[] {
  return [
    `-Xms128m`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(paths.run, 'log4j2.properties')}`,
    '-cp',
    classpath,
  ];
}
