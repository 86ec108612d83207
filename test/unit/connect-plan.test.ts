import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli.js';
import type { ConnectorStatus, PluginInfo, ValidateResponse } from '../../src/connect/api.js';
import type { RenderedDefinition } from '../../src/connect/definitions.js';
import { deploy } from '../../src/connect/deploy.js';
import { fieldErrors, findPlugin, planAction, pluginMissingMessage, PlanRejected } from '../../src/connect/plan.js';
import { REDACTED } from '../../src/connect/redact.js';
import type { ConnectClient } from '../../src/connect/rest.js';

const plugins: PluginInfo[] = [
  { class: 'org.apache.kafka.connect.file.FileStreamSinkConnector', type: 'sink', version: '4.1.1' },
  { class: 'org.apache.kafka.connect.file.FileStreamSourceConnector', type: 'source', version: '4.1.1' },
];

function rendered(name: string, config: Record<string, string> = {}, secrets: string[] = []): RenderedDefinition {
  return {
    name,
    file: `${name}.json`,
    config: { 'connector.class': 'FileStreamSink', topics: 't', file: `/tmp/${name}`, name, ...config },
    envRefs: [],
    secrets,
  };
}

const validation = (errors: Record<string, { value?: string; errors: string[] }> = {}): ValidateResponse => ({
  name: 'FileStreamSink',
  error_count: Object.keys(errors).length,
  groups: ['Common'],
  configs: [
    { value: { name: 'topics', value: 't', errors: [] } },
    ...Object.entries(errors).map(([name, e]) => ({ value: { name, value: e.value ?? null, errors: e.errors } })),
  ],
});

const running = (name: string): ConnectorStatus => ({
  name,
  connector: { state: 'RUNNING', worker_id: 'w:8083' },
  tasks: [{ id: 0, state: 'RUNNING', worker_id: 'w:8083' }],
  type: 'sink',
});

/** A worker double recording what was sent. */
function fakeWorker(opts: { live?: Record<string, Record<string, string>>; invalid?: Record<string, ValidateResponse>; status?: (name: string) => ConnectorStatus }) {
  const puts: string[] = [];
  const client = {
    url: 'http://w:8083',
    connectorPlugins: async () => plugins,
    validate: async (_cls: string, config: Record<string, string>) => opts.invalid?.[config.name!] ?? validation(),
    getConfig: async (name: string) => opts.live?.[name],
    putConfig: async (name: string) => {
      puts.push(name);
      return !opts.live?.[name];
    },
    status: async (name: string) => (opts.status ?? running)(name),
  };
  return { client: client as unknown as ConnectClient, puts };
}

const fast = { settleMs: 0, pollMs: 1, timeoutMs: 200 };

describe('plan pieces', () => {
  it('decides create, update or unchanged', () => {
    expect(planAction(undefined, [])).toBe('create');
    expect(planAction({ a: '1' }, [])).toBe('unchanged');
    expect(planAction({ a: '1' }, [{ key: 'a', kind: 'change', from: '1', to: '2' }])).toBe('update');
  });

  it('finds a plugin by class, simple name or alias, like Connect does', () => {
    for (const name of ['org.apache.kafka.connect.file.FileStreamSinkConnector', 'FileStreamSinkConnector', 'FileStreamSink']) {
      expect(findPlugin(plugins, name)?.type).toBe('sink');
    }
    expect(findPlugin(plugins, 'com.clickhouse.kafka.connect.ClickHouseSinkConnector')).toBeUndefined();
  });

  it('names the missing class and lists what the worker has', () => {
    const msg = pluginMissingMessage('com.clickhouse.kafka.connect.ClickHouseSinkConnector', plugins, 'http://w:8083');
    expect(msg).toMatch(/no connector plugin com\.clickhouse\.kafka\.connect\.ClickHouseSinkConnector/);
    expect(msg).toMatch(/FileStreamSinkConnector \(sink 4\.1\.1\)/);
    expect(msg).toMatch(/FileStreamSourceConnector \(source 4\.1\.1\)/);
  });

  it('keeps each failing field with its messages, secrets redacted and scrubbed', () => {
    const res = validation({
      'tasks.max': { errors: ['Invalid value x for configuration tasks.max: Not a number of type INT'] },
      'ssl.key.password': { value: 'pw-in-clear', errors: ['Invalid value pw-in-clear for configuration ssl.key.password'] },
    });
    expect(fieldErrors(res, ['pw-in-clear'])).toEqual([
      { key: 'tasks.max', errors: ['Invalid value x for configuration tasks.max: Not a number of type INT'] },
      { key: 'ssl.key.password', value: REDACTED, errors: [`Invalid value ${REDACTED} for configuration ssl.key.password`] },
    ]);
  });
});

describe('deploy', () => {
  it('creates new connectors, leaves matching ones alone, and waits for all of them', async () => {
    const same = rendered('same');
    const { client, puts } = fakeWorker({ live: { same: same.config } });
    const result = await deploy([rendered('fresh'), same], client, fast);
    expect(puts).toEqual(['fresh']);
    expect(result.ok).toBe(true);
    expect(result.connectors.map((c) => [c.name, c.action, c.applied, c.outcome])).toEqual([
      ['fresh', 'create', true, 'reached'],
      ['same', 'unchanged', false, 'reached'],
    ]);
  });

  it('updates a changed connector, showing the diff', async () => {
    const { client, puts } = fakeWorker({ live: { a: { ...rendered('a').config, file: '/tmp/old' } } });
    const result = await deploy([rendered('a')], client, fast);
    expect(puts).toEqual(['a']);
    expect(result.connectors[0]!.plan.changes).toEqual([{ key: 'file', kind: 'change', from: '/tmp/old', to: '/tmp/a' }]);
  });

  it('sends nothing when lint refuses any definition', async () => {
    const { client, puts } = fakeWorker({});
    const bad = rendered('bad', { password: 'clear-text' });
    await expect(deploy([rendered('good'), bad], client, fast)).rejects.toThrow(PlanRejected);
    await expect(deploy([rendered('good'), bad], client, fast)).rejects.toThrow(/plaintext-secret\] password/);
    expect(puts).toEqual([]);
  });

  it('sends nothing when the worker rejects a field of any definition, and lists each field', async () => {
    const invalid = { bad: validation({ 'tasks.max': { value: 'x', errors: ['Not a number of type INT'] } }) };
    const { client, puts } = fakeWorker({ invalid });
    const err = await deploy([rendered('good'), rendered('bad')], client, fast).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/bad \(bad\.json\): the worker rejected 1 field\(s\):\n {2}tasks\.max = x\n {4}- Not a number of type INT/);
    expect(puts).toEqual([]);
  });

  it('refuses a class the worker lacks, naming it and the installed plugins', async () => {
    const { client, puts } = fakeWorker({});
    const ch = rendered('ch', { 'connector.class': 'com.clickhouse.kafka.connect.ClickHouseSinkConnector' });
    await expect(deploy([ch], client, fast)).rejects.toThrow(/no connector plugin com\.clickhouse.*\n.*FileStreamSinkConnector/);
    expect(puts).toEqual([]);
  });

  it('plans only on --dry-run, and needs no worker with --offline', async () => {
    const { client, puts } = fakeWorker({});
    const dry = await deploy([rendered('a')], client, { ...fast, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.connectors[0]!.action).toBe('create');
    expect(puts).toEqual([]);
    const offline = await deploy([rendered('a')], undefined, { offline: true });
    expect(offline.connectors[0]!.action).toBe('planned');
    expect(offline.connectors[0]!.plan.changes.map((c) => c.key)).toContain('connector.class');
  });

  it('reports a failed task with its trace, scrubbed of known secrets', async () => {
    const failed = (name: string): ConnectorStatus => ({
      ...running(name),
      tasks: [{ id: 0, state: 'FAILED', worker_id: 'w:8083', trace: 'ConnectException: login with s3cret-pw refused\n\tat X' }],
    });
    const { client } = fakeWorker({ status: failed });
    const result = await deploy([rendered('a', {}, ['s3cret-pw'])], client, fast);
    expect(result.ok).toBe(false);
    expect(result.connectors[0]!.outcome).toBe('failed');
    expect(result.connectors[0]!.traces).toEqual([
      { what: 'task a-0', worker: 'w:8083', trace: `ConnectException: login with ${REDACTED} refused\n\tat X` },
    ]);
  });
});
