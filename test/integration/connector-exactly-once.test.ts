/**
 * The sink connector with exactlyOnce=true on the embedded stack: its state lives in a
 * real KeeperMap table (through the stack's ZooKeeper), and `connector offsets --reset
 * --yes` clears exactly that state, so a replay into an emptied table lands every
 * offset once again.
 */
import { spawnSync } from 'node:child_process';
import type { ResolvedPipeline } from '../../src/pipelines.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { clickhouseClient } from '../../src/clickhouse/client.js';
import { queryRows } from '../../src/clickhouse/query.js';
import { projectRoot } from '../../src/paths.js';
import { legsOf } from '../../src/parity/legs.js';
import { contentOf } from '../../src/pipeline/content.js';
import { verifyParity, type LegReport } from '../../src/parity/verify.js';
import { produceAvro, type ProduceSummary } from '../../src/produce/producer.js';
import { deployPipelineSink, type DeployedSink } from '../../src/connect/pipeline-sink.js';
import { resolveEnv } from '../../src/config.js';
import { produceOptions, type IsolatedKit, userEventsKit } from './helpers.js';

let kit: IsolatedKit;
let up: ResolvedPipeline;
let db: string;
let ch: ClickHouseClient;
let kafka: Kafka;
let admin: Admin;
let sink: DeployedSink;
let run: ProduceSummary;

async function connectorLeg(): Promise<LegReport & { settled: boolean }> {
  const reader = clickhouseClient(kit.config, 'reader');
  try {
    const report = await verifyParity(reader, kafka, admin, {
      topic: up.pipeline.topic.name,
      content: contentOf(up.schema.columns),
      legs: legsOf(up.pipeline).filter((l) => l.name === 'connector'),
      run,
      wait: true,
      timeoutMs: 180_000,
      require: 'both',
      diffLimit: 5,
    });
    return { ...report.legs[0]!, settled: report.settled };
  } finally {
    await reader.close();
  }
}

const stateRows = () =>
  queryRows<{ key: string; minOffset: string; maxOffset: string; state: string }>(ch, {
    query: `SELECT key, minOffset, maxOffset, state FROM ${db}.connect_state WHERE startsWith(key, {prefix:String}) ORDER BY key`,
    params: { prefix: `${up.pipeline.topic.name}-` },
  });

function connectorCli(...args: string[]) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/connector.ts', ...args], { cwd: projectRoot, env: kit.env(), encoding: 'utf8', timeout: 180_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

beforeAll(async () => {
  ({ kit, r: up } = await userEventsKit('exactly_once'));
  db = kit.config.clickhouse.database;
  ch = kit.admin;
  kafka = new Kafka({ brokers: kit.config.kafka.brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  sink = await deployPipelineSink(kit.config, resolveEnv(), [up.pipeline], { exactlyOnce: true });
  run = await produceAvro(produceOptions(kit, up, { count: 1500, seed: 5, poison: 1 }));
});

afterAll(async () => {
  await sink?.remove();
  await kit?.drop();
  await admin?.deleteTopics({ topics: [up.pipeline.topic.name, up.pipeline.connector.dlqTopic] }).catch(() => undefined);
  await admin?.disconnect();
});

describe('exactly-once on the connector leg', () => {
  it('lands the run exactly, keeping per-partition state in a KeeperMap table the connector created', async () => {
    const leg = await connectorLeg();
    expect(leg.settled).toBe(true);
    expect(leg.exact).toBe(true);
    expect(leg.totals).toMatchObject({ landed: 1500, deadLettered: 1, duplicates: 0, missing: 0 });
    const [engine] = await queryRows<{ engine: string }>(ch, {
      query: `SELECT engine FROM system.tables WHERE database = {db:String} AND name = 'connect_state'`,
      params: { db },
    });
    expect(engine?.engine).toBe('KeeperMap');
    const rows = await stateRows();
    expect(rows.map((r) => r.key)).toEqual([0, 1, 2].map((p) => `${up.pipeline.topic.name}-${p}`));
    for (const r of rows) expect(r.state).toBe('AFTER_PROCESSING');
  });

  it('offsets --reset without --yes only says what it would do, including the state rows it would delete', async () => {
    const dry = connectorCli('offsets', '--reset', '--name', sink.name);
    expect(dry.code).toBe(2);
    expect(dry.stderr).toMatch(/delete the exactly-once state rows \(KeeperMap\)/);
    expect(dry.stderr).toMatch(/Nothing was done/);
    expect(await stateRows()).toHaveLength(3);
  });

  it('offsets --reset --yes clears that state, so a replay into the emptied table is exact again', async () => {
    await ch.command({ query: `TRUNCATE TABLE ${db}.events_connect` });
    const reset = connectorCli('offsets', '--reset', '--yes', '--name', sink.name, '--json');
    expect(reset.code, reset.stderr).toBe(0);
    const result = JSON.parse(reset.stdout) as { reset: { name: string; keeperRowsDeleted: number }[] };
    expect(result.reset).toEqual([expect.objectContaining({ name: sink.name, keeperRowsDeleted: 3 })]);
    expect(await stateRows()).toEqual([]);

    const resumed = connectorCli('resume', '--name', sink.name);
    expect(resumed.code, resumed.stderr).toBe(0);
    const leg = await connectorLeg();
    expect(leg.settled).toBe(true);
    expect(leg.totals).toMatchObject({ landed: 1500, deadLettered: 1, duplicates: 0, missing: 0 });
    expect(leg.exact).toBe(true);
  });
});
