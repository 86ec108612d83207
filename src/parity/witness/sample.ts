/**
 * A deterministic sample of offsets: an offset is in the sample when a hash of
 * (partition, offset) falls below the sampled fraction, so every run picks the same
 * offsets, and a larger percentage picks a superset of a smaller one.
 */

/** MurmurHash3's 32-bit finalizer: every input bit moves every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_32 = 2 ** 32;

/** A 32-bit hash of (partition, offset); offsets are below 2^53, as Kafka's are in practice. */
export function offsetHash(partition: number, offset: bigint | number): number {
  const o = Number(offset);
  const lo = o >>> 0;
  const hi = Math.floor(o / TWO_32) >>> 0;
  return fmix32(fmix32(fmix32(lo ^ 0x9e3779b9) ^ hi) ^ Math.imul(partition + 1, 0x27d4eb2f));
}

export class OffsetSample {
  /** Hashes below this are sampled. */
  private readonly threshold: number;

  /** `percent` in (0, 100]; 100 takes every offset. */
  constructor(readonly percent: number) {
    if (!(percent > 0 && percent <= 100)) throw new RangeError(`a sample is a percentage in (0, 100], got ${percent}`);
    this.threshold = Math.floor((percent / 100) * TWO_32);
  }

  get all(): boolean {
    return this.percent === 100;
  }

  has(partition: number, offset: bigint | number): boolean {
    return this.all || offsetHash(partition, offset) < this.threshold;
  }
}
