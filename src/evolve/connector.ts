/**
 * The sink connector around the ALTER of its table.
 *
 * Each sink task describes its table when it starts and keeps that description: it
 * describes it again only every `tableRefreshInterval` seconds when that is set (the kit
 * leaves it at 0: never), or after an INSERT with the old column list has failed. Pausing
 * keeps the tasks, and so their old description. Stopping removes the tasks (they commit
 * what they inserted); resuming starts new ones, which describe the table as it is then.
 * So: stop, ALTER, resume, and wait until every task runs again; every task running
 * afterwards has described the table with the new columns, before a v2 record exists.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectorStatus } from '../connect/api.js';
import { WorkerUnreachableError, type ConnectClient } from '../connect/rest.js';
import { failureTraces, formatTraces } from '../connect/status.js';
import { waitForState, type TargetState } from '../connect/wait.js';

type Connect = Pick<ConnectClient, 'status' | 'stop' | 'resume' | 'pause'>;

export interface StoppedConnector {
  name: string;
  /** The state to give it back: what it was asked to be before the stop. */
  restore: TargetState;
  ms: number;
}

function targetOf(s: ConnectorStatus): TargetState {
  if (s.connector.state === 'STOPPED') return 'STOPPED';
  if (s.connector.state === 'PAUSED') return 'PAUSED';
  return 'RUNNING';
}

/**
 * Stops the connector and waits until its tasks are gone; or says why it was left alone:
 * not deployed, or the worker does not answer (a task that starts later describes the
 * table as it is then).
 */
export async function stopConnector(connect: Connect, name: string, timeoutMs: number): Promise<StoppedConnector | string> {
  const started = Date.now();
  let before: ConnectorStatus | undefined;
  try {
    before = await connect.status(name);
  } catch (e) {
    if (e instanceof WorkerUnreachableError) return `${name} not stopped: ${e.message}`;
    throw e;
  }
  if (!before) return `${name} not deployed`;
  const restore = targetOf(before);
  if (restore !== 'STOPPED') await connect.stop(name);
  for (;;) {
    const s = await connect.status(name);
    if (!s) throw new Error(`connector ${name} disappeared while it was being stopped`);
    if (s.connector.state === 'STOPPED' && s.tasks.length === 0) return { name, restore, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`connector ${name} not STOPPED with no tasks after ${timeoutMs / 1000} s: ${s.connector.state}, ${s.tasks.length} task(s)`);
    await delay(250);
  }
}

/**
 * Gives the connector back the state it had: RUNNING (new tasks, waited for), PAUSED
 * (new tasks, which describe the table when they are resumed) or STOPPED.
 */
export async function restoreConnector(connect: Connect, stopped: StoppedConnector, timeoutMs: number, secrets: readonly string[]): Promise<string> {
  const { name, restore } = stopped;
  if (restore === 'STOPPED') return `${name} left STOPPED, as it was`;
  if (restore === 'PAUSED') await connect.pause(name);
  else await connect.resume(name);
  const result = await waitForState(connect, name, restore, { timeoutMs });
  if (result.outcome !== 'reached') {
    const traces = result.status ? formatTraces(failureTraces(result.status, secrets)) : '';
    throw new Error(`connector ${name} did not reach ${restore} after the ALTER: ${result.outcome}${traces ? `\n${traces}` : ''}`);
  }
  return `${name} ${restore} again with ${result.status!.tasks.length} new task(s)`;
}
