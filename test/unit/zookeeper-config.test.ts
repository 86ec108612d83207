import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stackPaths } from '../../src/paths.js';
import { zookeeperCommand } from '../../src/stack/probe.js';
import { zookeeper, ZOOKEEPER_PORT, zookeeperProperties, zookeeperReady } from '../../src/stack/services/zookeeper.js';
import { tempDir } from '../temp-dir.js';

function parse(cfg: string): Map<string, string> {
  const entries = cfg
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i), l.slice(i + 1)] as [string, string];
    });
  return new Map(entries);
}

function tempContext() {
  const saved = process.env.KIT_STACK_DIR;
  const dir = tempDir('kit-zk-');
  process.env.KIT_STACK_DIR = dir;
  try {
    return { paths: stackPaths(), log: () => {}, env: {} };
  } finally {
    if (saved === undefined) delete process.env.KIT_STACK_DIR;
    else process.env.KIT_STACK_DIR = saved;
  }
}

/** A fake server answering each connection with `reply` (then closing), or never answering. */
async function fakeServer(reply: string | undefined): Promise<{ port: number; close: () => void; received: string[] }> {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (d) => {
      received.push(d.toString());
      if (reply !== undefined) socket.end(reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, received, close: () => server.close() };
}

const servers: { close: () => void }[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => s.close());
});

describe('zookeeper config', () => {
  it('listens on 127.0.0.1:2181 only, standalone, admin server off', () => {
    const cfg = parse(zookeeperProperties('/x/data/zookeeper'));
    expect(ZOOKEEPER_PORT).toBe(2181);
    expect(cfg.get('clientPort')).toBe('2181');
    expect(cfg.get('clientPortAddress')).toBe('127.0.0.1');
    expect(cfg.get('admin.enableServer')).toBe('false');
    expect(cfg.get('dataDir')).toBe('/x/data/zookeeper');
    expect(cfg.get('4lw.commands.whitelist')).toBe('srvr');
    expect(cfg.get('autopurge.purgeInterval')).toBe('1');
    expect(Number(cfg.get('autopurge.snapRetainCount'))).toBeGreaterThanOrEqual(3);
    // No quorum members, no other listeners.
    expect([...cfg.keys()].filter((k) => /^server\.|secureClientPort|admin\.serverPort|Address$/.test(k))).toEqual(['clientPortAddress']);
    expect(zookeeperProperties('/d')).not.toMatch(/0\.0\.0\.0/);
  });

  it('prepare writes zoo.cfg into the run dir and data under <stack>/data/zookeeper', async () => {
    const ctx = tempContext();
    await zookeeper.prepare(ctx);
    const cfg = parse(readFileSync(path.join(ctx.paths.run, 'zoo.cfg'), 'utf8'));
    expect(cfg.get('dataDir')).toBe(path.join(ctx.paths.base, 'data', 'zookeeper'));
    expect(existsSync(path.join(ctx.paths.base, 'data', 'zookeeper'))).toBe(true);
    expect(existsSync(path.join(ctx.paths.run, 'log4j2.properties'))).toBe(true);
  });

  it('launches QuorumPeerMain from its own classpath, recognised by its zoo.cfg', () => {
    const ctx = tempContext();
    const spec = zookeeper.launch(ctx);
    const cp = spec.args[spec.args.indexOf('-cp') + 1];
    expect(cp).toBe(path.join(ctx.paths.base, 'zookeeper', 'lib', '*'));
    expect(spec.args.slice(-2)).toEqual(['org.apache.zookeeper.server.quorum.QuorumPeerMain', path.join(ctx.paths.run, 'zoo.cfg')]);
    expect(spec.marker).toBe(path.join(ctx.paths.run, 'zoo.cfg'));
    expect(spec.args).toContain('-Xmx256m');
    expect(zookeeper.ports).toEqual([2181]);
    expect(zookeeper.endpoint).toBe('127.0.0.1:2181');
  });
});

describe('zookeeper readiness probe', () => {
  it('sends srvr and is ready on "Mode: standalone"', async () => {
    const s = await fakeServer('Zookeeper version: 3.9.4\nLatency min/avg/max: 0/0.0/0\nMode: standalone\nNode count: 5\n');
    servers.push(s);
    expect(await zookeeperReady(s.port)).toBe(true);
    expect(s.received).toEqual(['srvr']);
  });

  it('is not ready while ZooKeeper is not serving yet', async () => {
    const s = await fakeServer('This ZooKeeper instance is not currently serving requests\n');
    servers.push(s);
    expect(await zookeeperReady(s.port)).toBe(false);
  });

  it('gives up after its timeout on a server that never answers, and on a closed port', async () => {
    const s = await fakeServer(undefined);
    servers.push(s);
    const began = Date.now();
    expect(await zookeeperCommand('127.0.0.1', s.port, 'srvr', 300)).toBeUndefined();
    expect(Date.now() - began).toBeLessThan(2000);
    s.close();
    expect(await zookeeperReady(s.port, 300)).toBe(false);
  });
});
