/**
 * Turns a ClickHouse HTTP request (URL parameters, headers, body) into what the
 * engine runs: the statement, its inline data, settings and bound parameters.
 * Pure functions, so they are unit tested without an engine.
 */

/** URL parameters that belong to the HTTP interface, not to the engine's settings. */
const HTTP_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'role',
  'stacktrace',
  'client_protocol_version',
  // Settings that only shape the HTTP response; the engine rejects or ignores them.
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'http_response_buffer_size',
  'buffer_size',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
]);

export interface ParsedRequest {
  sql: string;
  /** INSERT data that followed the statement (binary-safe). */
  data?: Buffer;
  database?: string;
  defaultFormat: string;
  queryId?: string;
  settings: Record<string, string>;
  params: Record<string, string>;
  compressResponse: boolean;
}

export class BadRequestError extends Error {}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * With the statement in the `query` parameter the body is INSERT data; without it,
 * the body holds the statement, and for `INSERT ... FORMAT X` the data after its line.
 */
export function parseRequest(url: URL, body: Buffer, acceptEncoding = ''): ParsedRequest {
  const q = url.searchParams;
  const settings: Record<string, string> = {};
  const params: Record<string, string> = {};
  for (const [key, value] of q) {
    if (key.startsWith('param_')) params[key.slice('param_'.length)] = value;
    else if (!HTTP_PARAMS.has(key)) {
      if (!SETTING_NAME.test(key)) throw new BadRequestError(`Invalid setting name: ${key}`);
      settings[key] = value;
    }
  }

  let sql: string;
  let data: Buffer | undefined;
  const fromParam = q.get('query');
  if (fromParam !== null) {
    sql = fromParam;
    data = body.length > 0 ? body : undefined;
    // A statement can start in the parameter and go on in the body.
    if (data && !isInsertWithFormat(sql)) {
      sql = `${sql}\n${data.toString('utf8')}`;
      data = undefined;
    }
  } else {
    const split = splitInsertBody(body);
    sql = split.sql;
    data = split.data;
  }
  if (sql.trim() === '') throw new BadRequestError('Empty query');

  return {
    sql,
    data,
    database: q.get('database') ?? undefined,
    defaultFormat: q.get('default_format') ?? 'TabSeparated',
    queryId: q.get('query_id') ?? undefined,
    settings,
    params,
    compressResponse: q.get('enable_http_compression') === '1' && /\bgzip\b/.test(acceptEncoding),
  };
}

const INSERT_WITH_FORMAT = /^\s*INSERT\s+INTO\b[\s\S]*?\bFORMAT\s+[A-Za-z0-9_]+/i;

export function isInsertWithFormat(sql: string): boolean {
  return INSERT_WITH_FORMAT.test(sql) && !/\bFROM\s+INFILE\b/i.test(sql);
}

function splitInsertBody(body: Buffer): { sql: string; data?: Buffer } {
  // The statement is text; find its end without decoding binary data after it.
  const head = body.subarray(0, 64 * 1024).toString('latin1');
  const m = INSERT_WITH_FORMAT.exec(head);
  if (!m) return { sql: body.toString('utf8') };
  const lineEnd = head.indexOf('\n', m[0].length);
  if (lineEnd === -1) return { sql: body.toString('utf8') };
  const rest = body.subarray(lineEnd + 1);
  return { sql: body.subarray(0, lineEnd).toString('utf8'), data: rest.length > 0 ? rest : undefined };
}

/** `INSERT INTO t (a) [SETTINGS ...] FORMAT X` -> reads its data from a file instead. */
export function withInfile(sql: string, file: string): string {
  const literal = `'${file.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const settingsAt = /\sSETTINGS\s/i.exec(sql);
  const formatAt = /\sFORMAT\s+[A-Za-z0-9_]+\s*;?\s*$/i.exec(sql);
  const at = settingsAt?.index ?? formatAt?.index;
  if (at === undefined) throw new BadRequestError('INSERT with data needs a FORMAT clause');
  return `${sql.slice(0, at)} FROM INFILE ${literal}${sql.slice(at)}`;
}

/** The output format a statement asks for, or the request's default. */
export function outputFormat(sql: string, defaultFormat: string): string {
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(sql)?.[1] ?? defaultFormat;
}

export function contentType(format: string): string {
  if (/^JSON/i.test(format)) return 'application/json; charset=UTF-8';
  if (/^(TabSeparated|TSV)/i.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (/^CSV/i.test(format)) return 'text/csv; charset=UTF-8; header=absent';
  if (/^(Pretty|Vertical|Markdown)/i.test(format)) return 'text/plain; charset=UTF-8';
  return 'application/octet-stream';
}

/** ClickHouse's HTTP status for an exception code. */
export function statusForCode(code: number): number {
  if ([516, 192, 193, 194, 195, 497, 164].includes(code)) return 403;
  if ([60, 81, 47, 46].includes(code)) return 404;
  if ([62, 26, 27, 115, 457, 36, 6, 117].includes(code)) return 400;
  if (code === 159) return 504;
  return 500;
}

/** Hides passwords in statements before they reach a log. */
export function redactSql(sql: string): string {
  return sql
    .replace(/(IDENTIFIED\s+(?:WITH\s+\w+\s+)?BY\s+)'(?:[^'\\]|\\.)*'/gi, "$1'[redacted]'")
    .replace(/(password\s*=\s*)'(?:[^'\\]|\\.)*'/gi, "$1'[redacted]'");
}
