/**
 * The stack's Apache ZooKeeper: its own classpath, loopback only, znodes kept across a
 * restart, and a kill -9 it comes back from.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { javaBin } from '../../src/stack/jvm.js';
import { pidExists } from '../../src/stack/process.js';
import { EmbeddedStack } from '../../src/stack/stack.js';
import { HOST } from '../../src/stack/services/types.js';
import { ZOOKEEPER_PORT } from '../../src/stack/services/zookeeper.js';

const stack = new EmbeddedStack();
const znode = `/kit-it-${process.pid}`;

function cli(...command: string[]) {
  const out = spawnSync(
    javaBin(),
    ['-cp', path.join(stack.paths.zookeeperLib, '*'), 'org.apache.zookeeper.ZooKeeperMain', '-server', `${HOST}:${ZOOKEEPER_PORT}`, ...command],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('embedded ZooKeeper', () => {
  it('runs from its own lib folder with one SLF4J binding', () => {
    const jars = readdirSync(stack.paths.zookeeperLib);
    expect(jars).toContain('zookeeper-3.9.4.jar');
    for (const needed of ['metrics-core-', 'snappy-java-', 'commons-cli-', 'log4j-slf4j2-impl-']) {
      expect(jars.some((j) => j.startsWith(needed)), needed).toBe(true);
    }
    expect(jars.filter((j) => /^(log4j-slf4j|logback-classic|slf4j-(simple|reload4j|log4j12|nop))/.test(j))).toEqual(['log4j-slf4j2-impl-2.24.3.jar']);
  });

  it('listens on 127.0.0.1:2181 only', () => {
    const record = stack.processes.alive('zookeeper')!;
    expect(record).toBeDefined();
    const ss = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' });
    expect(ss.error).toBeUndefined();
    const listening = ss.stdout.split('\n').filter((l) => l.includes(`pid=${record.pid},`)).map((l) => l.trim().split(/\s+/)[3]);
    expect(listening.length).toBeGreaterThan(0);
    for (const address of listening) expect(address).toMatch(/^(\[::ffff:)?127\.0\.0\.1\]?:2181$/);
  });

  it('keeps a znode across a clean restart and a kill -9', async () => {
    expect(cli('create', znode, 'x').status).toBe(0);
    for (const graceMs of [20_000, 0]) {
      const before = stack.processes.alive('zookeeper')!;
      expect(await stack.stop('zookeeper', graceMs)).toBe(graceMs > 0 ? 'stopped' : 'killed');
      expect(pidExists(before.pid)).toBe(false);
      await stack.up();
      const got = cli('get', znode);
      expect(got.status, got.stderr).toBe(0);
      expect(got.stdout.split('\n')).toContain('x');
    }
    expect(cli('delete', znode).status).toBe(0);
  });
});
