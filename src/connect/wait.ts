/**
 * Waiting for a connector and every one of its tasks to reach a state.
 *
 * Connect's status lags a config change: right after an update the old tasks still
 * read RUNNING for a few hundred milliseconds before the new ones fail. So an outcome
 * counts only once it has held for `settleMs` (RUNNING, or FAILED anywhere), and a
 * connector that is RUNNING with no tasks yet is still pending.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectorStatus } from './api.js';
import type { ConnectClient } from './rest.js';

export type TargetState = 'RUNNING' | 'PAUSED' | 'STOPPED';
export type Outcome = 'reached' | 'failed' | 'timeout' | 'missing';

export interface WaitOptions {
  timeoutMs?: number;
  settleMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<unknown>;
}

export interface WaitResult {
  outcome: Outcome;
  status?: ConnectorStatus;
  ms: number;
}

export const DEFAULT_WAIT = { timeoutMs: 60_000, settleMs: 2_000, pollMs: 250 };

export function hasFailure(s: ConnectorStatus): boolean {
  return s.connector.state === 'FAILED' || s.tasks.some((t) => t.state === 'FAILED');
}

/** Where a status stands relative to the target. */
export function classify(s: ConnectorStatus, target: TargetState): 'reached' | 'failed' | 'pending' {
  if (hasFailure(s)) return 'failed';
  if (s.connector.state !== target) return 'pending';
  if (target === 'STOPPED') return s.tasks.length === 0 ? 'reached' : 'pending';
  if (s.tasks.length === 0) return 'pending';
  return s.tasks.every((t) => t.state === target) ? 'reached' : 'pending';
}

function signature(s: ConnectorStatus): string {
  return [s.connector.state, ...s.tasks.map((t) => `${t.id}:${t.state}`)].join(' ');
}

export async function waitForState(
  client: Pick<ConnectClient, 'status'>,
  name: string,
  target: TargetState,
  options: WaitOptions = {},
): Promise<WaitResult> {
  const { timeoutMs, settleMs: settleDefault, pollMs } = { ...DEFAULT_WAIT, ...options };
  // Pausing and stopping cannot be confused with a stale state; running can.
  const settleMs = target === 'RUNNING' ? (options.settleMs ?? settleDefault) : 0;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const started = Date.now();
  let stableSince = 0;
  let lastSig = '';
  let last: ConnectorStatus | undefined;
  let everSeen = false;
  for (;;) {
    const now = Date.now();
    const status = await client.status(name);
    if (status) {
      everSeen = true;
      last = status;
      const sig = signature(status);
      if (sig !== lastSig) {
        lastSig = sig;
        stableSince = now;
      }
      const where = classify(status, target);
      if (where !== 'pending' && now - stableSince >= settleMs) {
        return { outcome: where, status, ms: Date.now() - started };
      }
    }
    if (Date.now() - started >= timeoutMs) {
      const result: WaitResult = { outcome: everSeen ? 'timeout' : 'missing', ms: Date.now() - started };
      if (last) result.status = last;
      return result;
    }
    await sleep(pollMs);
  }
}
