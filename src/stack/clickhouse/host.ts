/**
 * Serves ClickHouse's HTTP interface over the in-process engine from npm `chdb`,
 * well enough that @clickhouse/client and the kit's scripts run unchanged.
 *
 * Statements run one at a time on one engine session: per-request settings and
 * the request's database are applied before a statement and reset after it.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Session } from 'chdb';
import { AccessError, authenticate, authorize, type HostUser } from './access.js';
import {
  BadRequestError,
  contentType,
  isInsertWithFormat,
  outputFormat,
  parseRequest,
  redactSql,
  statusForCode,
  withInfile,
  type ParsedRequest,
} from './request.js';

export interface HostOptions {
  dataDir: string;
  host: string;
  port: number;
  users: HostUser[];
  log?: (line: string) => void;
}

interface EngineError {
  code: number;
  message: string;
}

/** Runs tasks one after another. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function engineError(e: unknown): EngineError {
  if (e instanceof AccessError) {
    return { code: e.code, message: `Code: ${e.code}. DB::Exception: ${e.message} (${e.codeName})` };
  }
  if (e instanceof BadRequestError) {
    return { code: 62, message: `Code: 62. DB::Exception: ${e.message}. (SYNTAX_ERROR)` };
  }
  const err = e as { clickhouseCode?: number; message?: string };
  const fromText = /^Code: (\d+)\./.exec(err.message ?? '');
  const code = err.clickhouseCode ?? (fromText ? Number(fromText[1]) : 1001);
  const message = err.message?.startsWith('Code:')
    ? err.message
    : `Code: ${code}. DB::Exception: ${err.message ?? String(e)}`;
  return { code, message };
}

function credentials(req: http.IncomingMessage, url: URL): { name: string; password: string } {
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { name: decoded.slice(0, colon < 0 ? undefined : colon), password: colon < 0 ? '' : decoded.slice(colon + 1) };
  }
  const name = (req.headers['x-clickhouse-user'] as string | undefined) ?? url.searchParams.get('user') ?? 'default';
  const password = (req.headers['x-clickhouse-key'] as string | undefined) ?? url.searchParams.get('password') ?? '';
  return { name, password };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

function summaryOf(readRows: number, readBytes: number, writtenRows: number, writtenBytes: number, elapsedSec: number, resultBytes = 0) {
  return {
    read_rows: String(readRows),
    read_bytes: String(readBytes),
    written_rows: String(writtenRows),
    written_bytes: String(writtenBytes),
    total_rows_to_read: '0',
    result_rows: '0',
    result_bytes: String(resultBytes),
    elapsed_ns: String(Math.round(elapsedSec * 1e9)),
  };
}

const quoteIdent = (name: string) => '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
const quoteString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export class ClickHouseHost {
  private readonly session: Session;
  private readonly queue = new SerialQueue();
  private readonly server: http.Server;
  private readonly spoolDir: string;
  private readonly log: (line: string) => void;
  readonly engineVersion: string;

  constructor(private readonly options: HostOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.spoolDir = path.join(options.dataDir, '..', 'clickhouse-spool');
    rmSync(this.spoolDir, { recursive: true, force: true });
    mkdirSync(this.spoolDir, { recursive: true });
    this.session = new Session(options.dataDir);
    this.engineVersion = this.session.query('SELECT version()', 'TSVRaw').trim();
    this.log = options.log ?? ((line) => process.stdout.write(line + '\n'));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.log(`internal error: ${String(e)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.server.keepAliveTimeout = 10_000;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.queue.run(async () => this.session.close());
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const started = process.hrtime.bigint();
    if (url.pathname === '/ping' || (url.pathname === '/' && !url.searchParams.has('query') && req.method !== 'POST')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/') {
      this.sendError(res, { code: 1001, message: `Code: 1001. DB::Exception: No handler for ${url.pathname}` }, 404, undefined);
      return;
    }

    let request: ParsedRequest | undefined;
    let userName = '?';
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    try {
      const creds = credentials(req, url);
      userName = creds.name;
      const user = authenticate(this.options.users, creds.name, creds.password);
      request = parseRequest(url, await readBody(req), String(req.headers['accept-encoding'] ?? ''));
      if (req.method === 'GET' && !/^\s*(SELECT|WITH|SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN)\b/i.test(request.sql)) {
        throw new AccessError(164, 'READONLY', 'Cannot execute query in readonly mode: use POST for statements that change data.');
      }
      const database = request.database ?? 'default';
      authorize(user, request.sql, database);
      const parsed = request;
      const result = await this.queue.run(() => this.execute(parsed, queryId));
      const format = outputFormat(request.sql, request.defaultFormat);
      const headers: http.OutgoingHttpHeaders = {
        'Content-Type': contentType(format),
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Timezone': 'UTC',
        'X-ClickHouse-Server-Display-Name': 'kit-embedded-clickhouse',
        'X-ClickHouse-Summary': JSON.stringify(result.summary),
      };
      let payload = Buffer.from(result.bytes);
      if (request.compressResponse && payload.length > 0) {
        payload = gzipSync(payload);
        headers['Content-Encoding'] = 'gzip';
      }
      res.writeHead(200, headers).end(payload);
      this.logRequest(userName, queryId, request.sql, started, 200);
    } catch (e) {
      const err = engineError(e);
      const status = statusForCode(err.code);
      this.sendError(res, err, status, queryId);
      this.logRequest(userName, queryId, request?.sql ?? '', started, status, err.message);
    }
  }

  private sendError(res: http.ServerResponse, err: EngineError, status: number, queryId: string | undefined) {
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(err.code),
    };
    if (queryId) headers['X-ClickHouse-Query-Id'] = queryId;
    res.writeHead(status, headers).end(`${err.message} (version ${this.engineVersion} (chdb))\n`);
  }

  private logRequest(user: string, queryId: string, sql: string, started: bigint, status: number, error?: string) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const statement = redactSql(sql).replace(/\s+/g, ' ').slice(0, 300);
    this.log(
      `${new Date().toISOString()} ${status} user=${user} query_id=${queryId} ${ms.toFixed(1)}ms ${statement}${error ? ` error=${error.split('\n')[0]}` : ''}`,
    );
  }

  /** Runs one request's statement with its settings and database, then puts the session back. */
  private async execute(request: ParsedRequest, queryId: string) {
    const applied: string[] = [];
    let spool: string | undefined;
    try {
      for (const [name, value] of Object.entries(request.settings)) {
        await this.session.queryAsync(`SET ${name} = ${quoteString(value)}`);
        applied.push(name);
      }
      if (request.database) await this.session.queryAsync(`USE ${quoteIdent(request.database)}`);

      let sql = request.sql;
      if (!request.data && isInsertWithFormat(sql)) {
        // An INSERT with an empty body inserts nothing, as on a server.
        return { bytes: new Uint8Array(0), summary: summaryOf(0, 0, 0, 0, 0) };
      }
      if (request.data) {
        spool = path.join(this.spoolDir, `${queryId.replace(/[^\w-]/g, '_')}-${randomUUID()}.data`);
        writeFileSync(spool, request.data);
        sql = withInfile(sql, spool);
      }
      const opts = { format: request.defaultFormat };
      const result =
        Object.keys(request.params).length > 0
          ? await this.session.queryBindAsync(sql, request.params, opts)
          : await this.session.queryAsync(sql, opts);
      const isInsert = /^\s*INSERT\b/i.test(request.sql);
      const bytes = result.bytes();
      const [rows, size] = [result.rowsRead, result.bytesRead];
      return {
        bytes,
        summary: isInsert
          ? summaryOf(0, 0, rows, size, result.elapsed, bytes.length)
          : summaryOf(rows, size, 0, 0, result.elapsed, bytes.length),
      };
    } finally {
      if (spool) rmSync(spool, { force: true });
      for (const name of applied) await this.session.queryAsync(`SET ${name} = DEFAULT`).catch(() => undefined);
      if (request.database) await this.session.queryAsync('USE default').catch(() => undefined);
    }
  }
}
