/**
 * A block the server logged for deduplication but never committed (the server died in
 * between) must not swallow its retry. The state such a kill leaves is made on purpose: a
 * block inserted into a table with a deduplication window, then its part removed while the
 * server is stopped. On the next start the stack reconciles the log with the parts
 * (src/stack/clickhouse/dedup-log.ts), so the retry is written; a retry of a block that is
 * stored stays deduplicated.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/clickhouse/query.js';
import { EmbeddedStack } from '../../src/stack/stack.js';

const DB = `it_dedup_${randomBytes(4).toString('hex')}`;
const config = loadConfig();
const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[dedup-log] ${line}\n`) });
let admin: ClickHouseClient;

const connect = () => createClient({ url: config.clickhouse.url, username: config.clickhouse.admin.user, password: config.clickhouse.admin.password });
const insert = (rows: number[]) => admin.insert({ table: `${DB}.t`, values: rows.map((a) => ({ a })), format: 'JSONEachRow' });
const count = async () => Number((await queryRows<{ n: string }>(admin, { query: `SELECT count() AS n FROM ${DB}.t`, params: {} }))[0]!.n);

beforeAll(async () => {
  admin = connect();
  // Two partitions, so the two blocks stay two parts (merges only join parts of one partition).
  await admin.command({ query: `CREATE DATABASE ${DB}` });
  await admin.command({ query: `CREATE TABLE ${DB}.t (a Int32) ENGINE = MergeTree PARTITION BY a > 3 ORDER BY a SETTINGS non_replicated_deduplication_window = 100` });
});

afterAll(async () => {
  await admin.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` }).catch(() => undefined);
  await admin.close();
});

describe('deduplication log after a server stopped between logging and committing a block', () => {
  it('writes the retry of a block whose part is gone, and still deduplicates a stored one', async () => {
    await insert([1, 2, 3]);
    await insert([4, 5]);
    await insert([4, 5]);
    expect(await count()).toBe(5);
    const [table] = await queryRows<{ path: string }>(admin, { query: `SELECT data_paths[1] AS path FROM system.tables WHERE database = {db:String} AND name = 't'`, params: { db: DB } });
    const [part] = await queryRows<{ name: string }>(admin, { query: `SELECT name FROM system.parts WHERE database = {db:String} AND table = 't' AND active AND rows = 3`, params: { db: DB } });
    await admin.close();

    expect(await stack.stop('clickhouse')).toBe('stopped');
    // The block [1, 2, 3] is in the log; its part is not on disk, as after a kill mid-commit.
    rmSync(path.join(table!.path, part!.name), { recursive: true });
    await stack.up();
    admin = connect();
    expect(await count()).toBe(2);

    await insert([1, 2, 3]);
    await insert([4, 5]);
    expect(await count()).toBe(5);
  });
});
