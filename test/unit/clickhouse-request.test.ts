import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  isInsertWithFormat,
  outputFormat,
  parseRequest,
  redactSql,
  statusForCode,
  withInfile,
} from '../../src/stack/clickhouse/request.js';
import { authenticate, authorize, insertTarget, leadingKeyword, type HostUser } from '../../src/stack/clickhouse/access.js';

const url = (qs: string) => new URL(`http://127.0.0.1:8123/?${qs}`);

describe('parseRequest', () => {
  it('takes the statement from the body and splits settings from HTTP parameters', () => {
    const r = parseRequest(url('database=kit&default_format=JSON&query_id=q1&max_threads=2&wait_end_of_query=1&param_x=5'), Buffer.from('SELECT {x:UInt8}'));
    expect(r.sql).toBe('SELECT {x:UInt8}');
    expect(r.database).toBe('kit');
    expect(r.defaultFormat).toBe('JSON');
    expect(r.queryId).toBe('q1');
    expect(r.settings).toEqual({ max_threads: '2' });
    expect(r.params).toEqual({ x: '5' });
    expect(r.data).toBeUndefined();
  });

  it('treats the body as INSERT data when the statement is in the query parameter', () => {
    const r = parseRequest(url(`query=${encodeURIComponent('INSERT INTO t FORMAT RowBinary')}`), Buffer.from([0, 1, 2, 10, 255]));
    expect(r.sql).toBe('INSERT INTO t FORMAT RowBinary');
    expect([...r.data!]).toEqual([0, 1, 2, 10, 255]);
  });

  it('splits an INSERT and its data sent together in the body, binary-safe', () => {
    const body = Buffer.concat([Buffer.from('INSERT INTO kit.t (a) FORMAT JSONEachRow\n'), Buffer.from('{"a":1}\n{"a":2}\n')]);
    const r = parseRequest(url(''), body);
    expect(r.sql).toBe('INSERT INTO kit.t (a) FORMAT JSONEachRow');
    expect(r.data!.toString()).toBe('{"a":1}\n{"a":2}\n');
  });

  it('joins a statement continued from the query parameter into the body', () => {
    const r = parseRequest(url(`query=${encodeURIComponent('SELECT 1')}`), Buffer.from(' + 1'));
    expect(r.sql).toBe('SELECT 1\n + 1');
    expect(r.data).toBeUndefined();
  });

  it('refuses an empty statement and a malformed setting name', () => {
    expect(() => parseRequest(url(''), Buffer.alloc(0))).toThrow(BadRequestError);
    expect(() => parseRequest(url('bad-name=1'), Buffer.from('SELECT 1'))).toThrow(/Invalid setting name/);
  });

  it('compresses the response only when asked and accepted', () => {
    expect(parseRequest(url('enable_http_compression=1'), Buffer.from('SELECT 1'), 'gzip, deflate').compressResponse).toBe(true);
    expect(parseRequest(url('enable_http_compression=1'), Buffer.from('SELECT 1'), '').compressResponse).toBe(false);
    expect(parseRequest(url(''), Buffer.from('SELECT 1'), 'gzip').compressResponse).toBe(false);
  });
});

describe('statement rewriting', () => {
  it('reads INSERT data from a file, before SETTINGS when there are any', () => {
    expect(withInfile('INSERT INTO t (a, b) FORMAT RowBinary', '/tmp/x')).toBe("INSERT INTO t (a, b) FROM INFILE '/tmp/x' FORMAT RowBinary");
    expect(withInfile('INSERT INTO t SETTINGS async_insert=0 FORMAT JSONEachRow', "/tmp/it's")).toBe(
      "INSERT INTO t FROM INFILE '/tmp/it\\'s' SETTINGS async_insert=0 FORMAT JSONEachRow",
    );
    expect(() => withInfile('INSERT INTO t VALUES', '/tmp/x')).toThrow(/FORMAT/);
  });

  it('knows an INSERT that expects data', () => {
    expect(isInsertWithFormat('insert into t format CSV')).toBe(true);
    expect(isInsertWithFormat('INSERT INTO t SELECT 1')).toBe(false);
    expect(isInsertWithFormat("INSERT INTO t FROM INFILE 'x' FORMAT CSV")).toBe(false);
  });

  it('finds the output format of a statement', () => {
    expect(outputFormat('SELECT 1 FORMAT JSONEachRow', 'TSV')).toBe('JSONEachRow');
    expect(outputFormat('SELECT 1', 'TabSeparated')).toBe('TabSeparated');
  });

  it('maps exception codes to ClickHouse HTTP statuses', () => {
    expect(statusForCode(516)).toBe(403);
    expect(statusForCode(60)).toBe(404);
    expect(statusForCode(62)).toBe(400);
    expect(statusForCode(241)).toBe(500);
  });

  it('redacts passwords in logged statements', () => {
    expect(redactSql("CREATE USER u IDENTIFIED WITH sha256_password BY 'hunter2'")).not.toContain('hunter2');
    expect(redactSql("SELECT * FROM remote('h', db.t, 'u', password='s3cret')")).not.toContain('s3cret');
  });
});

describe('access', () => {
  const users: HostUser[] = [
    { name: 'admin', password: 'a', role: 'admin' },
    { name: 'conn', password: 'c', role: 'inserter', insertInto: ['kit.events_connect'] },
    { name: 'reader', password: 'r', role: 'reader' },
  ];

  it('authenticates by name and password', () => {
    expect(authenticate(users, 'conn', 'c').role).toBe('inserter');
    expect(() => authenticate(users, 'conn', 'x')).toThrow(/Authentication failed/);
    expect(() => authenticate(users, 'default', '')).toThrow(/Authentication failed/);
  });

  it('lets the inserter write only its own table', () => {
    const conn = users[1]!;
    expect(() => authorize(conn, 'INSERT INTO kit.events_connect FORMAT RowBinary', 'default')).not.toThrow();
    expect(() => authorize(conn, 'INSERT INTO events_connect FORMAT RowBinary', 'kit')).not.toThrow();
    expect(() => authorize(conn, 'INSERT INTO kit.events_kafka FORMAT RowBinary', 'default')).toThrow(/INSERT ON kit.events_kafka/);
    expect(() => authorize(conn, 'DESCRIBE TABLE kit.events_connect', 'default')).not.toThrow();
    expect(() => authorize(conn, 'DROP TABLE kit.events_connect', 'default')).toThrow(/readonly/);
  });

  it('keeps the reader to reads', () => {
    const reader = users[2]!;
    expect(() => authorize(reader, '/* c */ (SELECT 1)', 'default')).not.toThrow();
    expect(() => authorize(reader, 'INSERT INTO kit.events_connect VALUES (1)', 'default')).toThrow(/readonly/);
    expect(() => authorize(reader, 'TRUNCATE TABLE kit.t', 'default')).toThrow();
  });

  it('parses statement heads', () => {
    expect(leadingKeyword('  -- hi\n  with x as (select 1) select * from x')).toBe('WITH');
    expect(insertTarget('INSERT INTO `kit`.`events_connect` (a) FORMAT CSV', 'default')).toBe('kit.events_connect');
    expect(insertTarget('insert into table t values', 'db')).toBe('db.t');
  });
});
