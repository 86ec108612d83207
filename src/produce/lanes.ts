/**
 * Lanes: worker threads, each with its own idempotent kafkajs producer, owning a
 * fixed set of partitions with at most one produce request in flight. Each
 * partition thus has one writer (one producer id, gapless sequence numbers) and
 * ordered offsets, while several lanes spread kafkajs's record encoding over cores.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { LaneBatchWriter } from './wire.js';

const WORKER_FILE = fileURLToPath(new URL('./lane-worker.cjs', import.meta.url));

/**
 * One lane unless asked: with the patched kafkajs (patches/) one lane keeps up with
 * the main thread's generation and Avro encoding on two cores, and more lanes only
 * add threads competing with the broker for them (BENCHMARKS.md). More cores and
 * partitions can use more (`--lanes`).
 */
export const DEFAULT_LANES = 1;

/** Lanes for a topic: as asked, at least one and at most one per partition. */
export function laneCount(partitions: number, lanes = DEFAULT_LANES): number {
  return Math.max(1, Math.min(partitions, lanes));
}

export function laneOf(partition: number, lanes: number): number {
  return partition % lanes;
}

/** Batches generated ahead or in flight at once. */
export const PIPELINE_DEPTH = 3;

interface LaneResult {
  partition: number;
  baseOffset?: string;
}

type LaneReply =
  | { type: 'ready'; error?: { name: string; message: string } }
  | { type: 'done'; seq: number; results?: LaneResult[]; error?: { name: string; message: string } }
  | { type: 'closed' };

function laneError(lane: number, e: { name: string; message: string }): Error {
  const err = new Error(`lane ${lane}: ${e.message}`);
  err.name = e.name;
  return err;
}

/** The main thread's handle on a lane's worker. */
export class Lane {
  private readonly pending = new Map<number, { resolve: (r: LaneResult[]) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private exited?: Error;
  private closed?: () => void;

  private constructor(
    readonly index: number,
    private readonly worker: Worker,
  ) {}

  static start(index: number, data: Record<string, unknown>): Promise<Lane> {
    const worker = new Worker(WORKER_FILE, { workerData: data });
    const lane = new Lane(index, worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: LaneReply) => {
        if (m.type === 'ready') {
          if (m.error) reject(laneError(index, m.error));
          else resolve(lane);
        } else if (m.type === 'done') {
          const p = lane.pending.get(m.seq);
          lane.pending.delete(m.seq);
          if (m.error) p?.reject(laneError(index, m.error));
          else p?.resolve(m.results ?? []);
        } else lane.closed?.();
      });
      const fail = (e: Error) => {
        lane.exited = e;
        reject(e);
        for (const p of lane.pending.values()) p.reject(e);
        lane.pending.clear();
        lane.closed?.();
      };
      worker.on('error', (e) => fail(laneError(index, e)));
      worker.on('exit', (code) => fail(new Error(`lane ${index}: its worker exited (code ${code})`)));
    });
  }

  send(batch: LaneBatchWriter, producedAt: string): Promise<LaneResult[]> {
    if (this.exited) return Promise.reject(this.exited);
    const seq = this.seq++;
    const { buf, bounds, partitions } = batch;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage(
        { type: 'batch', seq, buffer: buf.buffer, length: batch.pos, bounds, partitions, count: batch.count, producedAt },
        [buf.buffer as ArrayBuffer, bounds.buffer as ArrayBuffer, partitions.buffer as ArrayBuffer],
      );
    });
  }

  /** Disconnects the lane's producer (after the batches already handed over) and ends the worker. */
  async close(): Promise<void> {
    if (!this.exited) {
      const closed = new Promise<void>((resolve) => (this.closed = resolve));
      this.worker.postMessage({ type: 'close' });
      // Unref'd: a pending timer must not hold the process open once the lane has closed.
      await Promise.race([closed, sleep(10_000, undefined, { ref: false })]);
    }
    await this.worker.terminate().catch(() => undefined);
  }
}
