import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/pipeline/definition.js';
import { isolatedPipeline, writePipeline } from '../../src/pipeline/isolated.js';
import { checkKeyField, choosePipeline, choosePipelines, pipelineKeySchema, pipelineSchema, pipelinesDir, readSchemaFile, schemaFromText } from '../../src/pipeline/load.js';
import { UnsupportedTypeError } from '../../src/pipeline/mapping.js';
import { projectRoot } from '../../src/paths.js';
import { tempDir } from '../temp-dir.js';
import { PIPELINES_DIR, recordText, SCHEMAS, shippedPipeline, thrown } from './pipeline-fixtures.js';

/** A directory of three pipelines of the user_events schema, none marked default. */
function threePipelines(): string {
  const dir = tempDir('kit-pipelines-');
  for (const name of ['alpha', 'beta', 'gamma']) writePipeline(dir, { name, schema: { file: SCHEMAS.userEvents } }, 'kit');
  return dir;
}

describe('choosePipelines', () => {
  it('reads pipelines/ unless KIT_PIPELINES_DIR names another directory', () => {
    expect(pipelinesDir({})).toBe(path.join(projectRoot, 'pipelines'));
    expect(pipelinesDir({ KIT_PIPELINES_DIR: 'some/where' })).toBe(path.resolve('some/where'));
    expect(choosePipelines({ database: 'kit', env: {} }).map((p) => p.name)).toEqual(['user_events']);
  });

  it('takes --pipeline over KIT_PIPELINE over the default', () => {
    const env = { KIT_PIPELINES_DIR: PIPELINES_DIR, KIT_PIPELINE: 'orders' };
    expect(choosePipeline({ database: 'kit', env }).name).toBe('orders');
    expect(choosePipeline({ database: 'kit', env, requested: 'user_events' }).name).toBe('user_events');
    expect(choosePipeline({ database: 'kit', env: { KIT_PIPELINE: '' } }).name).toBe('user_events');
  });

  it('refuses without a choice among several, listing them, and a name not defined', () => {
    const env = { KIT_PIPELINES_DIR: threePipelines() };
    const e = thrown(() => choosePipelines({ database: 'kit', env }));
    expect(e).toBeInstanceOf(PipelineError);
    expect(e.message).toMatch(/3 pipelines are defined and none is the default: choose one with --pipeline \(or KIT_PIPELINE\): alpha, beta, gamma/);
    expect(thrown(() => choosePipelines({ database: 'kit', env: { ...env, KIT_PIPELINE: 'delta' } })).message).toMatch(/no pipeline named delta in .*; defined: alpha, beta, gamma/);
    expect(choosePipelines({ database: 'kit', env: { ...env, KIT_PIPELINE: 'beta' } }).map((p) => p.name)).toEqual(['beta']);
  });

  it('takes all where the command allows it, each in the database asked for', () => {
    const env = { KIT_PIPELINES_DIR: threePipelines() };
    expect(choosePipelines({ database: 'it_x', env, requested: 'all', allowAll: true }).map((p) => `${p.database}.${p.name}`)).toEqual(['it_x.alpha', 'it_x.beta', 'it_x.gamma']);
    expect(() => choosePipeline({ database: 'kit', env, requested: 'all' })).toThrow(/one pipeline at a time/);
  });
});

describe('schemas of pipelines', () => {
  it('reads a schema file, naming the file and the line of a problem', () => {
    expect(readSchemaFile(SCHEMAS.orders).parsed.fullName).toBe('dev.kit.shop.Order');
    expect(thrown(() => readSchemaFile('/nope/x.avsc')).message).toBe('schema file /nope/x.avsc does not exist');
    const file = path.join(tempDir('kit-schema-'), 'bad.avsc');
    writeFileSync(file, recordText([{ name: 'a', type: 'int' }, { name: 'b', type: 'Nope' }]));
    const e = thrown(() => readSchemaFile(file));
    expect(e).toBeInstanceOf(PipelineError);
    expect(e.message).toBe(`${file}:6: not a valid Avro schema: undefined type name: Nope`);
  });

  it('maps a schema text to columns, refusing what a leg cannot carry as bad input', () => {
    expect(schemaFromText(recordText([{ name: 'a', type: 'int' }]), 'src').columns.map((c) => c.name)).toEqual(['a']);
    expect(thrown(() => schemaFromText(recordText([{ name: 'a', type: ['int', 'string'] }]), 'src'))).toBeInstanceOf(UnsupportedTypeError);
    expect(thrown(() => schemaFromText('{', 'src'))).toBeInstanceOf(PipelineError);
  });

  it("reads a pipeline's schema from its file, or from the registry's subject", async () => {
    const file = await pipelineSchema(shippedPipeline('orders'));
    expect(file.columns).toHaveLength(28);
    expect(file.source).toBe(path.relative(process.cwd(), SCHEMAS.orders));

    const dir = tempDir('kit-pipelines-');
    const bySubject = writePipeline(dir, { name: 'reg', schema: { subject: 'reg-value', version: 2 } }, 'kit');
    const asked: unknown[] = [];
    const read = await pipelineSchema(bySubject, async (subject, version) => {
      asked.push([subject, version]);
      return { schema: recordText([{ name: 'x', type: 'long' }]), id: 7, version: 2 };
    });
    expect(asked).toEqual([['reg-value', 2]]);
    expect(read.source).toBe('subject reg-value version 2 (pipeline reg)');
    expect(read.columns.map((c) => c.name)).toEqual(['x']);
    await expect(pipelineSchema(bySubject)).rejects.toThrow(/reads its schema from the registry/);
    await expect(
      pipelineSchema(bySubject, async () => {
        throw new Error('Subject not found');
      }),
    ).rejects.toThrow(/reg\.yaml: schema\.subject reg-value version 2: Subject not found/);
  });

  it('wants a key field to be a top-level string, int, long or enum field', async () => {
    const p = shippedPipeline('orders');
    const schema = await pipelineSchema(p);
    expect(() => checkKeyField(p, schema)).not.toThrow();
    const dir = tempDir('kit-pipelines-');
    const missing = writePipeline(dir, { name: 'k1', schema: { file: SCHEMAS.orders }, key: { field: 'customer' } }, 'kit');
    expect(thrown(() => checkKeyField(missing, schema)).message).toMatch(/key\.field customer is not a field of the schema .*; fields: order_id, customer_id, status/);
    const wrong = writePipeline(dir, { name: 'k2', schema: { file: SCHEMAS.orders }, key: { field: 'tags' } }, 'kit');
    expect(thrown(() => checkKeyField(wrong, schema)).message).toMatch(/key\.field tags is a array field; a key field must be a string, int, long or enum/);
  });

  it('reads a key schema of any type', () => {
    const dir = tempDir('kit-pipelines-');
    writeFileSync(path.join(dir, 'key.avsc'), '"long"');
    const p = writePipeline(dir, { name: 'keyed', schema: { file: SCHEMAS.userEvents }, key: { schema: 'key.avsc' } }, 'kit');
    expect(pipelineKeySchema(p)?.root).toEqual({ kind: 'long' });
    expect(pipelineKeySchema(shippedPipeline('user_events'))).toBeUndefined();
    const gone = writePipeline(dir, { name: 'gone', schema: { file: SCHEMAS.userEvents }, key: { schema: 'nope.avsc' } }, 'kit');
    expect(thrown(() => pipelineKeySchema(gone)).message).toMatch(/gone\.yaml: key\.schema .*nope\.avsc does not exist/);
  });
});

describe('pipelines of their own (tests, benchmarks)', () => {
  it('are written as a definition the kit reads back, every name taken from the tag', () => {
    const dir = tempDir('kit-pipelines-');
    const p = isolatedPipeline(dir, 'it_abc', 'it_abc', SCHEMAS.orders, { key: { field: 'customer_id' }, kafkaEngine: { consumers: 2, skipBrokenMessages: 0, errorMode: 'stream', flushIntervalMs: 500 } });
    expect(p.file).toBe(path.join(dir, 'it_abc.yaml'));
    expect(p.database).toBe('it_abc');
    expect(p.topic.name).toBe('it_abc');
    expect(p.schema).toEqual({ file: SCHEMAS.orders });
    expect(p.connector.name).toBe('it-it_abc');
    expect(p.kafkaEngine).toMatchObject({ group: 'it_abc_ch', consumers: 2, flushIntervalMs: 500 });
    expect(p.tables.connector).toBe('it_abc_connect');
    expect(choosePipeline({ database: 'ignored', env: { KIT_PIPELINES_DIR: dir } })).toEqual({ ...p, database: 'it_abc' });
  });

  it('refuse what the kit would refuse', () => {
    expect(() => writePipeline(tempDir('kit-pipelines-'), { name: 'Bad-Name', schema: { file: SCHEMAS.orders } }, 'kit')).toThrow(PipelineError);
  });
});
