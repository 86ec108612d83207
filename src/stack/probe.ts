/** Probes for readiness: TCP ports, HTTP endpoints, and a bounded wait loop. */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(url: string, timeoutMs = 2000, init: RequestInit = {}): Promise<boolean> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export class ReadinessTimeout extends Error {}

/**
 * Polls `probe` until it holds or `timeoutMs` passes. `abort` is checked too, so a
 * service whose process died is reported at once instead of at the timeout.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs, intervalMs = 250, abort }: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    const reason = abort?.();
    if (reason) throw new ReadinessTimeout(`${what}: ${reason}`);
    if (Date.now() - started > timeoutMs) {
      throw new ReadinessTimeout(`${what} not ready after ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Sends a ZooKeeper four-letter command (e.g. `srvr`) and returns the reply, which
 * ends when the server closes the connection; undefined on error or timeout.
 */
export function zookeeperCommand(host: string, port: number, command: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (reply: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('connect', () => socket.write(command));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => done(Buffer.concat(chunks).toString('utf8')));
    socket.once('error', () => done(undefined));
  });
}
