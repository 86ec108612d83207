/**
 * `connector offsets`: read a connector's committed offsets, or reset them.
 *
 * A reset is: stop the connector, `DELETE /connectors/{name}/offsets` (allowed only while
 * it is STOPPED), and, when it is the ClickHouse sink with exactlyOnce=true, clear its
 * KeeperMap state in ClickHouse as well. It re-delivers data, so it states every step and
 * does nothing without --yes.
 */
import { UsageError } from '../errors.js';
import type { Offsets } from './api.js';
import { clearKeeperState, describeStateClear, keeperStateTarget, type SqlRunner } from './keeper-state.js';
import type { ConnectClient } from './rest.js';
import { waitForState, type WaitOptions } from './wait.js';

export interface OffsetRow {
  partition: string;
  offset: string;
}

function isSinkOffset(p: Record<string, unknown>): boolean {
  return 'kafka_topic' in p && 'kafka_partition' in p;
}

export function offsetRows(o: Offsets): OffsetRow[] {
  return o.offsets
    .map((e) => ({
      partition: isSinkOffset(e.partition)
        ? `${String(e.partition.kafka_topic)}-${String(e.partition.kafka_partition)}`
        : JSON.stringify(e.partition),
      offset:
        e.offset === null
          ? '(none)'
          : 'kafka_offset' in e.offset
            ? String(e.offset.kafka_offset)
            : JSON.stringify(e.offset),
    }))
    .sort((a, b) => a.partition.localeCompare(b.partition, undefined, { numeric: true }));
}

async function liveConfig(client: ConnectClient, name: string): Promise<Record<string, string>> {
  const config = await client.getConfig(name);
  if (!config) throw new UsageError(`no connector named ${name} on the worker at ${client.url}`);
  return config;
}

export interface ResetOptions extends WaitOptions {
  yes?: boolean;
  /** Opens the ClickHouse connection, only when exactly-once state must be cleared. */
  sql?: () => SqlRunner | Promise<SqlRunner>;
  log?: (line: string) => void;
}

export interface ResetResult {
  name: string;
  steps: string[];
  message?: string;
  keeperRowsDeleted?: number;
}

export async function resetSteps(client: ConnectClient, name: string): Promise<string[]> {
  const config = await liveConfig(client, name);
  const status = await client.status(name);
  const source = status?.type === 'source';
  const target = keeperStateTarget(config);
  const group = config['consumer.override.group.id'] ?? `connect-${name}`;
  return [
    `stop connector ${name} (PUT /connectors/${name}/stop): its tasks shut down, its config stays`,
    source
      ? `forget its source offsets (DELETE /connectors/${name}/offsets): on resume it reads its source from the start`
      : `delete its committed offsets (DELETE /connectors/${name}/offsets): consumer group ${group} loses its positions, so on resume it reads from consumer auto.offset.reset (earliest unless overridden) and re-delivers whatever the topics still hold`,
    ...(target ? [describeStateClear(target)] : []),
    `leave it STOPPED; \`npm run connector -- resume --name ${name}\` starts it again`,
  ];
}

export async function resetOffsets(client: ConnectClient, name: string, options: ResetOptions = {}): Promise<ResetResult> {
  const log = options.log ?? (() => {});
  const steps = await resetSteps(client, name);
  if (!options.yes) {
    throw new UsageError(
      `offsets --reset would:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\nNothing was done; rerun with --yes to do it.`,
    );
  }
  const config = await liveConfig(client, name);
  await client.stop(name);
  const stopped = await waitForState(client, name, 'STOPPED', options);
  if (stopped.outcome !== 'reached') {
    throw new Error(`${name} did not stop (${stopped.outcome}, state ${stopped.status?.connector.state ?? 'unknown'}); offsets left alone`);
  }
  log(`${name}: stopped`);
  const result: ResetResult = { name, steps };
  const message = await client.resetOffsets(name);
  if (message) result.message = message;
  log(`${name}: ${message ?? 'offsets deleted'}`);
  const target = keeperStateTarget(config);
  if (target) {
    if (!options.sql) throw new Error('exactly-once state must be cleared but no ClickHouse connection was given');
    const sql = await options.sql();
    try {
      result.keeperRowsDeleted = await clearKeeperState(sql, target);
    } finally {
      await sql.close?.();
    }
    log(`${name}: ${result.keeperRowsDeleted} exactly-once state row(s) deleted from ${target.database}.${target.table}`);
  }
  return result;
}
