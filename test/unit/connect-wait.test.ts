import { describe, expect, it } from 'vitest';
import type { ConnectorStatus } from '../../src/connect/api.js';
import { clip, failureTraces, formatTraces, statusTable, taskSummary } from '../../src/connect/status.js';
import { classify, waitForState } from '../../src/connect/wait.js';

const st = (connector: string, ...tasks: string[]): ConnectorStatus => ({
  name: 'c',
  connector: { state: connector, worker_id: 'w' },
  tasks: tasks.map((state, id) => ({ id, state, worker_id: 'w', ...(state === 'FAILED' ? { trace: `boom ${id}` } : {}) })),
  type: 'sink',
});

/** A status source that plays a script, one entry per read, repeating the last. */
function scripted(...script: (ConnectorStatus | undefined)[]) {
  let i = 0;
  return { reads: () => i, status: async () => script[Math.min(i++, script.length - 1)] };
}

describe('classify', () => {
  it('wants the connector and every task in the target state', () => {
    expect(classify(st('RUNNING', 'RUNNING', 'RUNNING'), 'RUNNING')).toBe('reached');
    expect(classify(st('RUNNING'), 'RUNNING')).toBe('pending');
    expect(classify(st('RUNNING', 'RUNNING', 'UNASSIGNED'), 'RUNNING')).toBe('pending');
    expect(classify(st('RUNNING', 'RUNNING', 'FAILED'), 'RUNNING')).toBe('failed');
    expect(classify(st('FAILED'), 'RUNNING')).toBe('failed');
    expect(classify(st('PAUSED', 'PAUSED'), 'PAUSED')).toBe('reached');
    expect(classify(st('STOPPED'), 'STOPPED')).toBe('reached');
    expect(classify(st('STOPPED', 'RUNNING'), 'STOPPED')).toBe('pending');
  });
});

describe('waitForState', () => {
  const opts = { pollMs: 1, timeoutMs: 2000, sleep: () => new Promise((r) => setTimeout(r, 5)) };

  it('does not trust a RUNNING that turns FAILED within the settle window (stale status after an update)', async () => {
    const s = scripted(st('RUNNING', 'RUNNING'), st('RUNNING', 'FAILED'));
    const r = await waitForState(s, 'c', 'RUNNING', { ...opts, settleMs: 30 });
    expect(r.outcome).toBe('failed');
    expect(r.status?.tasks[0]?.trace).toBe('boom 0');
  });

  it('does not trust a FAILED that recovers (stale status after a restart)', async () => {
    const s = scripted(st('RUNNING', 'FAILED'), st('RUNNING', 'RESTARTING'), st('RUNNING', 'RUNNING'));
    expect((await waitForState(s, 'c', 'RUNNING', { ...opts, settleMs: 30 })).outcome).toBe('reached');
  });

  it('waits through a missing status and pending tasks', async () => {
    const s = scripted(undefined, st('RUNNING'), st('RUNNING', 'UNASSIGNED'), st('RUNNING', 'RUNNING'));
    const r = await waitForState(s, 'c', 'RUNNING', { ...opts, settleMs: 0 });
    expect(r.outcome).toBe('reached');
    expect(s.reads()).toBeGreaterThanOrEqual(4);
  });

  it('times out, or reports the connector missing', async () => {
    expect((await waitForState(scripted(st('RUNNING')), 'c', 'RUNNING', { ...opts, timeoutMs: 30 })).outcome).toBe('timeout');
    expect((await waitForState(scripted(undefined), 'c', 'RUNNING', { ...opts, timeoutMs: 30 })).outcome).toBe('missing');
  });

  it('takes PAUSED and STOPPED at once: they cannot be stale', async () => {
    expect((await waitForState(scripted(st('PAUSED', 'PAUSED')), 'c', 'PAUSED', { ...opts, settleMs: 10_000 })).outcome).toBe('reached');
    expect((await waitForState(scripted(st('STOPPED')), 'c', 'STOPPED', { ...opts, settleMs: 10_000 })).outcome).toBe('reached');
  });
});

describe('status formatting', () => {
  it('summarises tasks, tabulates and clips traces', () => {
    expect(taskSummary(st('RUNNING', 'RUNNING', 'FAILED'))).toBe('0:RUNNING 1:FAILED');
    expect(taskSummary(st('STOPPED'))).toBe('(no tasks)');
    expect(statusTable([st('RUNNING', 'RUNNING')])).toMatch(/c\s+│ sink\s+│ RUNNING\s+│ 0:RUNNING/);
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    expect(clip(long).split('\n')).toHaveLength(16);
    expect(clip(long)).toMatch(/25 more lines/);
    const traces = failureTraces({ ...st('FAILED', 'FAILED'), connector: { state: 'FAILED', worker_id: 'w', trace: 'conn trace' } });
    expect(traces.map((t) => t.what)).toEqual(['connector c', 'task c-0']);
    expect(formatTraces(traces)).toMatch(/^connector c FAILED on w:\nconn trace\n\ntask c-0 FAILED on w:\nboom 0$/);
  });
});
