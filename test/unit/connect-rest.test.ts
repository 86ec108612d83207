import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, EXIT, ServiceUnreachableError } from '../../src/errors.js';
import { backoffMs, ConnectClient, ConnectHttpError, DEFAULT_RETRY, WorkerUnreachableError } from '../../src/connect/rest.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

const noSleep = { sleep: async () => {} };

describe('ConnectClient', () => {
  it('backs off exponentially up to a cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, DEFAULT_RETRY))).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
  });

  it('retries 409 while the group rebalances, then succeeds', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      if (calls <= 2) json(res, 409, { error_code: 409, message: 'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)' });
      else json(res, 200, { version: '4.1.1', commit: 'abc' });
    });
    const log: string[] = [];
    const info = await new ConnectClient({ url, ...noSleep, log: (l) => log.push(l) }).serverInfo();
    expect(info.version).toBe('4.1.1');
    expect(calls).toBe(3);
    expect(log.filter((l) => /409, the Connect group is rebalancing/.test(l))).toHaveLength(2);
  });

  it('gives up on 409 after its deadline with the worker message', async () => {
    const url = await serve((_req, res) => json(res, 409, { error_code: 409, message: 'rebalance in progress' }));
    const client = new ConnectClient({ url, retry: { rebalanceMs: 50, baseDelayMs: 10 } });
    await expect(client.serverInfo()).rejects.toThrow(/GET \/ answered 409: rebalance in progress/);
  });

  it('retries an unreachable worker with backoff, then says so clearly (exit 3)', async () => {
    // Bind and close a port so nothing listens on it.
    const url = await serve(() => {});
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const waits: number[] = [];
    const client = new ConnectClient({ url, sleep: async (ms) => void waits.push(ms), retry: { unreachableAttempts: 4 } });
    const err = (await client.serverInfo().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(WorkerUnreachableError);
    expect(err).toBeInstanceOf(ServiceUnreachableError);
    expect(classifyError(err).exitCode).toBe(EXIT.unreachable);
    expect(err.message).toMatch(/worker at http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\) after 4 attempts/);
    expect(err.message).toMatch(/npm run stack:up/);
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('does not retry other errors, and keeps the worker message', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 500, { error_code: 500, message: 'Failed to find any class that implements Connector' });
    });
    const err = (await new ConnectClient({ url, ...noSleep }).connectorPlugins().catch((e: unknown) => e)) as ConnectHttpError;
    expect(err).toBeInstanceOf(ConnectHttpError);
    expect(err.status).toBe(500);
    expect(err.detail).toMatch(/Failed to find any class/);
    expect(calls).toBe(1);
  });

  it('maps 404 to undefined where absence is an answer, and tells create from update', async () => {
    const seen: string[] = [];
    const url = await serve((req, res, body) => {
      seen.push(`${req.method} ${req.url} ${body}`);
      if (req.method === 'GET') json(res, 404, { error_code: 404, message: 'Connector x not found' });
      else json(res, req.url === '/connectors/new/config' ? 201 : 200, { name: 'x', config: {}, tasks: [] });
    });
    const client = new ConnectClient({ url, ...noSleep });
    expect(await client.getConfig('x')).toBeUndefined();
    expect(await client.status('x')).toBeUndefined();
    expect(await client.putConfig('new', { a: '1' })).toBe(true);
    expect(await client.putConfig('old y', { a: '1' })).toBe(false);
    expect(seen).toContain('PUT /connectors/old%20y/config {"a":"1"}');
  });

  it('checks answers against their schema', async () => {
    const url = await serve((_req, res) => json(res, 200, { connector: 'not a status' }));
    await expect(new ConnectClient({ url, ...noSleep }).status('x')).rejects.toThrow(/unexpected answer/);
  });

  it('sends the restart flags as query parameters', async () => {
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(204).end();
    });
    const client = new ConnectClient({ url, ...noSleep });
    await client.restart('c', { includeTasks: true, onlyFailed: true });
    await client.pause('c');
    await client.resume('c');
    await client.stop('c');
    await client.delete('c');
    expect(seen).toEqual([
      'POST /connectors/c/restart?includeTasks=true&onlyFailed=true',
      'PUT /connectors/c/pause',
      'PUT /connectors/c/resume',
      'PUT /connectors/c/stop',
      'DELETE /connectors/c',
    ]);
  });
});
