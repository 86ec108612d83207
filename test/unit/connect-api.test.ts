/**
 * What Kafka Connect 4.1's REST API really answers, read the way the kit reads it:
 * Jackson writes absent values as null, fields may be left out, and a newer worker
 * may add states. Payloads follow Connect's ConnectorStateInfo, ServerInfo,
 * PluginInfo, ConnectorOffsets and the `?expand=status&expand=info` listing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorStatus, ExpandedConnectors, Offsets, PluginList, ServerInfo, ValidateResponse } from '../../src/connect/api.js';
import { offsetRows } from '../../src/connect/offsets.js';
import { ConnectClient } from '../../src/connect/rest.js';
import { failureTraces, formatTraces, statusTable, taskTable, UNKNOWN_WORKER } from '../../src/connect/status.js';
import { classify, waitForState } from '../../src/connect/wait.js';

const TRACE = 'org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\n\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:636)';

/** GET /connectors/{name}/status while the connector restarts (seen from a 4.1.1 worker). */
const restarting = {
  name: 'clickhouse-sink',
  connector: { state: 'RESTARTING', worker_id: '127.0.0.1:8083', version: null },
  tasks: [{ id: 0, state: 'RESTARTING', worker_id: '127.0.0.1:8083', version: null }],
  type: 'sink',
};

/** Running, with the plugin version 4.1 reports per connector and task. */
const running = {
  name: 'clickhouse-sink',
  connector: { state: 'RUNNING', worker_id: 'connect:8083', version: 'v1.5.0' },
  tasks: [
    { id: 0, state: 'RUNNING', worker_id: 'connect:8083', version: 'v1.5.0' },
    { id: 1, state: 'FAILED', worker_id: 'connect:8083', trace: TRACE, version: 'v1.5.0' },
  ],
  type: 'sink',
};

/** Just created: no worker has claimed it yet, no tasks list, no type. */
const unassigned = { name: 'clickhouse-sink', connector: { state: 'UNASSIGNED', worker_id: null, trace: null } };

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(routes: Record<string, unknown>): Promise<ConnectClient> {
  server = createServer((req, res) => {
    const body = routes[req.url ?? ''];
    if (body === undefined) res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error_code":404,"message":null}');
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return new ConnectClient({ url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, sleep: async () => {} });
}

describe('Connect REST answers as Connect 4.1 sends them', () => {
  it('reads a status with "version": null during a restart', async () => {
    const client = await serve({ '/connectors/clickhouse-sink/status': restarting });
    const s = await client.status('clickhouse-sink');
    expect(s?.connector).toMatchObject({ state: 'RESTARTING', worker_id: '127.0.0.1:8083' });
    expect(s?.connector.version).toBeUndefined();
    expect(classify(s!, 'RUNNING')).toBe('pending');
  });

  it('reads a status with no worker, null trace, no tasks list and no type', () => {
    const s = ConnectorStatus.parse(unassigned);
    expect(s).toMatchObject({ name: 'clickhouse-sink', connector: { state: 'UNASSIGNED' }, tasks: [] });
    expect(s.connector.worker_id).toBeUndefined();
    expect(s.connector.trace).toBeUndefined();
    expect(s.type).toBeUndefined();
    expect(classify(s, 'RUNNING')).toBe('pending');
    expect(statusTable([s])).toContain(UNKNOWN_WORKER);
    expect(ConnectorStatus.parse({ ...unassigned, tasks: null }).tasks).toEqual([]);
  });

  it('keeps versions and traces, and names an unknown worker in traces', () => {
    const s = ConnectorStatus.parse(running);
    expect(s.tasks[0]?.version).toBe('v1.5.0');
    expect(failureTraces(s).map((t) => t.what)).toEqual(['task clickhouse-sink-1']);
    const failedNowhere = ConnectorStatus.parse({ ...running, connector: { state: 'FAILED', trace: TRACE } });
    expect(formatTraces(failureTraces(failedNowhere))).toMatch(new RegExp(`^connector clickhouse-sink FAILED on \\(worker unknown\\):\\norg\\.apache`));
    expect(taskTable(ConnectorStatus.parse({ ...running, tasks: [{ id: 0, state: 'RUNNING' }] }))).toContain(UNKNOWN_WORKER);
  });

  it('keeps a state it does not know as it came, as not running and not failed', async () => {
    const s = ConnectorStatus.parse({ ...running, connector: { ...running.connector, state: 'DEGRADED' }, tasks: [{ id: 0, state: 'SUSPENDED', worker_id: 'connect:8083' }] });
    expect(s.connector.state).toBe('DEGRADED');
    expect(s.tasks[0]?.state).toBe('SUSPENDED');
    expect(classify(s, 'RUNNING')).toBe('pending');
    const tasksOnly = ConnectorStatus.parse({ ...running, tasks: [{ id: 0, state: 'SUSPENDED', worker_id: 'connect:8083' }] });
    expect(classify(tasksOnly, 'RUNNING')).toBe('pending');
    const waited = await waitForState({ status: async () => tasksOnly }, 'clickhouse-sink', 'RUNNING', { timeoutMs: 20, pollMs: 1, settleMs: 0 });
    expect(waited.outcome).toBe('timeout');
  });

  it('reads /connectors?expand=status&expand=info with nullable fields', async () => {
    const client = await serve({
      '/connectors?expand=status&expand=info': {
        'clickhouse-sink': {
          status: restarting,
          info: { name: 'clickhouse-sink', config: { 'connector.class': 'com.clickhouse.kafka.connect.ClickHouseSinkConnector', name: 'clickhouse-sink' }, tasks: [{ connector: 'clickhouse-sink', task: 0 }], type: 'sink' },
        },
        'file-sink': { status: unassigned, info: { name: 'file-sink', config: {}, tasks: [], type: null } },
      },
    });
    const all = await client.listConnectors();
    expect(all['clickhouse-sink']?.status?.connector.state).toBe('RESTARTING');
    expect(all['file-sink']?.status?.tasks).toEqual([]);
    expect(all['file-sink']?.info?.type).toBeUndefined();
    expect(ExpandedConnectors.parse({ x: { status: null } }).x?.status).toBeNull();
  });

  it('reads the worker root, the plugin list, offsets and validation with nulls', async () => {
    expect(ServerInfo.parse({ version: '4.1.1', commit: null, kafka_cluster_id: null })).toEqual({ version: '4.1.1', commit: undefined, kafka_cluster_id: undefined });
    const plugins = PluginList.parse([
      { class: 'com.clickhouse.kafka.connect.ClickHouseSinkConnector', type: 'sink', version: 'v1.5.0' },
      { class: 'org.apache.kafka.connect.mirror.MirrorCheckpointConnector', type: 'source' },
      { class: 'org.example.Unversioned', type: 'sink', version: null },
    ]);
    expect(plugins.map((p) => p.version)).toEqual(['v1.5.0', undefined, undefined]);
    const offsets = Offsets.parse({
      offsets: [
        { partition: { kafka_topic: 'user_events', kafka_partition: 1 }, offset: { kafka_offset: 7 } },
        { partition: { kafka_topic: 'user_events', kafka_partition: 0 }, offset: null },
      ],
    });
    expect(offsetRows(offsets)).toEqual([
      { partition: 'user_events-0', offset: '(none)' },
      { partition: 'user_events-1', offset: '7' },
    ]);
    expect(Offsets.parse({ offsets: null }).offsets).toEqual([]);
    const v = ValidateResponse.parse({
      name: 'com.clickhouse.kafka.connect.ClickHouseSinkConnector',
      error_count: 1,
      groups: ['Common', 'Transforms'],
      configs: [
        {
          definition: { name: 'hostname', type: 'STRING', required: true, default_value: null, importance: 'HIGH', documentation: 'hostname', group: null, width: 'NONE', display_name: 'hostname', dependents: [], order: 1 },
          value: { name: 'hostname', value: null, recommended_values: [], errors: ['Missing required configuration "hostname" which has no default value.'], visible: true },
        },
      ],
    });
    expect(v.configs[0]?.value.errors).toHaveLength(1);
  });

  it('keeps the worker message of an error body whose fields are null', async () => {
    const client = await serve({});
    await expect(client.offsets('nope')).rejects.toThrow(/GET \/connectors\/nope\/offsets answered 404: Not Found/);
  });
});
