/**
 * The kit's RowBinary (what the topic witness loads the topic's records with) against
 * ClickHouse's own reading of the same Avro values: for every type the mapping carries, the
 * edge values are written once as RowBinary by the kit and once as an Avro file that
 * ClickHouse's Avro reader (the Kafka engine's) decodes; both tables must hold the same
 * values, row by row, and ClickHouse must write the kit's rows back as the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import avro from 'avsc';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { loadConfig } from '../../src/config.js';
import { caseSchema, TYPE_CASES } from '../../src/conformance/catalogue.js';
import { parseSchema } from '../../src/pipeline/avro.js';
import { display, renderType, hashArgument, type ChType } from '../../src/pipeline/clickhouse-type.js';
import { edgeValues } from '../../src/pipeline/edges.js';
import { chTypeOf, type Refusal } from '../../src/pipeline/mapping.js';
import { RowBinaryWriter, writeValue } from '../../src/pipeline/rowbinary.js';
import { avroType, toColumnValue } from '../../src/pipeline/values.js';

const config = loadConfig();
const db = `it_rowbinary_${randomBytes(4).toString('hex')}`;
let ch: ClickHouseClient;

async function post(query: string, body?: Buffer): Promise<Buffer> {
  const url = new URL(config.clickhouse.url);
  url.searchParams.set('query', query);
  const auth = Buffer.from(`${config.clickhouse.admin.user}:${config.clickhouse.admin.password}`).toString('base64');
  const res = await fetch(url, { method: 'POST', headers: { Authorization: `Basic ${auth}` }, body: body ? new Uint8Array(body) : undefined });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${bytes.toString('utf8')}`);
  return bytes;
}

/** An Avro object container file (no codec) of `records`, its header holding the schema as written. */
function containerFile(schema: Record<string, unknown>, records: unknown[]): Buffer {
  const type = avroType(schema);
  const sync = randomBytes(16);
  const meta = avro.Type.forSchema({ type: 'map', values: 'bytes' }).toBuffer({ 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from('null') });
  const body = Buffer.concat(records.map((r) => type.toBuffer(r)));
  const long = avro.Type.forSchema('long');
  return Buffer.concat([Buffer.from('Obj\x01', 'latin1'), meta, sync, long.toBuffer(records.length), long.toBuffer(body.length), body, sync]);
}

const cases = TYPE_CASES.flatMap((c) => {
  const schema = caseSchema(c);
  const parsed = parseSchema(JSON.stringify(schema), c.name);
  const node = parsed.root.fields.find((f) => f.name === 'v')!.type;
  const refusals: Refusal[] = [];
  const type = chTypeOf(node, 'v', refusals);
  return refusals.length > 0 ? [] : [{ c, node, type, values: edgeValues(node) }];
});

beforeAll(async () => {
  ch = clickhouseClient(config, 'admin');
  await ch.command({ query: `CREATE DATABASE ${db}` });
});

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  await ch?.close();
});

describe("the kit's RowBinary against ClickHouse's Avro reader, per type", () => {
  it.each(cases.map((x) => [x.c.name, x] as const))('%s: the same values as ClickHouse reads from Avro, and the same bytes back', async (name, x) => {
    const t = renderType(x.type);
    for (const table of ['rb', 'avro']) await ch.command({ query: `CREATE TABLE ${db}.${name}_${table} (i Int32, v ${t}) ENGINE = MergeTree ORDER BY i` });
    const w = new RowBinaryWriter();
    x.values.forEach((e, i) => {
      const unfit: string[] = [];
      w.int32(i);
      writeValue(w, x.type, toColumnValue(x.node, x.type, e.value, 'v', unfit));
      expect(unfit, e.label).toEqual([]);
    });
    const ours = w.take();
    await post(`INSERT INTO ${db}.${name}_rb FORMAT RowBinary`, ours);
    const schema = { type: 'record', name: 'Row', fields: [{ name: 'i', type: 'int' }, { name: 'v', type: x.c.type }] };
    await post(`INSERT INTO ${db}.${name}_avro FORMAT Avro`, containerFile(schema, x.values.map((e, i) => ({ i, v: e.value }))));
    const rows = await (
      await ch.query({
        query: `SELECT i, cityHash64(${hashArgument('a.v', x.type)}) = cityHash64(${hashArgument('b.v', x.type)}) AS same, toString(a.v) AS ours, toString(b.v) AS clickhouse
                FROM ${db}.${name}_rb AS a INNER JOIN ${db}.${name}_avro AS b USING (i) ORDER BY i`,
        format: 'JSONEachRow',
      })
    ).json<{ i: number; same: number; ours: string; clickhouse: string }>();
    expect(rows).toHaveLength(x.values.length);
    for (const r of rows) expect({ value: x.values[r.i]!.label, same: r.same, ours: r.ours }).toEqual({ value: x.values[r.i]!.label, same: 1, ours: r.clickhouse });
    const back = await post(`SELECT i, v FROM ${db}.${name}_rb ORDER BY i FORMAT RowBinary`);
    expect(back.equals(ours), 'ClickHouse writes the same bytes back').toBe(true);
  });
});

describe('a number in an enum column that is none of its symbols', () => {
  // The Kafka engine inserts 0 for an enum field its record lacks; ClickHouse refuses to print it.
  it('prints as <not a symbol: N> at any depth, every symbol as itself, so parity can show the row', async () => {
    const level: ChType = { t: 'Enum', symbols: ['LOW', 'MID'] };
    const type: ChType = { t: 'Tuple', fields: [{ name: 'e', type: level }, { name: 'n', type: { t: 'Nullable', of: level } }, { name: 'a', type: { t: 'Array', of: level } }, { name: 'm', type: { t: 'Map', value: level } }] };
    await ch.command({ query: `CREATE TABLE ${db}.enum_zero (i Int32, v ${renderType(type)}) ENGINE = MergeTree ORDER BY i` });
    const w = new RowBinaryWriter();
    const row = (i: number, e: number, n: number | null, a: number[], m: [string, number][]) => {
      w.int32(i);
      w.int8(e);
      if (n === null) w.uint8(1);
      else (w.uint8(0), w.int8(n));
      w.uleb128(a.length);
      a.forEach((x) => w.int8(x));
      w.uleb128(m.length);
      m.forEach(([k, x]) => (w.string(k), w.int8(x)));
    };
    row(0, 0, 0, [1, 0], [['k', 0]]);
    row(1, 2, null, [2], [['k', 1]]);
    await post(`INSERT INTO ${db}.enum_zero FORMAT RowBinary`, w.take());
    await expect(ch.query({ query: `SELECT v FROM ${db}.enum_zero`, format: 'JSONEachRow' }).then((r) => r.json())).rejects.toThrow(/Unexpected value 0 in enum/);
    const rows = await (await ch.query({ query: `SELECT ${display('v', type)} AS shown, toString(${display('v', type)}) AS text FROM ${db}.enum_zero ORDER BY i`, format: 'JSONEachRow' })).json<{ shown: unknown; text: string }>();
    expect(rows).toEqual([
      { shown: { e: '<not a symbol: 0>', n: '<not a symbol: 0>', a: ['LOW', '<not a symbol: 0>'], m: { k: '<not a symbol: 0>' } }, text: "('<not a symbol: 0>','<not a symbol: 0>',['LOW','<not a symbol: 0>'],{'k':'<not a symbol: 0>'})" },
      { shown: { e: 'MID', n: null, a: ['MID'], m: { k: 'LOW' } }, text: "('MID',NULL,['MID'],{'k':'LOW'})" },
    ]);
  });
});
