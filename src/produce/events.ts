/**
 * The user event as the kit's Avro schema (sql/user_event.avsc) defines it, and a
 * deterministic generator: the same seed gives the same events, run after run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { UsageError } from '../cli.js';
import { projectRoot } from '../paths.js';

export const SCHEMA_FILE = path.join(projectRoot, 'sql', 'user_event.avsc');

export interface UserEvent {
  id: string;
  user_id: string;
  action: string;
  /** timestamp-millis: epoch milliseconds (avsc encodes the logical type as its long). */
  event_time: number;
  version: number;
  referrer: string | null;
}

export function readSchema(file = SCHEMA_FILE): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`schema file ${file}: ${(e as Error).message}`);
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UsageError(`schema file ${file} is not JSON: ${(e as Error).message}`);
  }
  return text;
}

export const ACTIONS = ['view', 'click', 'add_to_cart', 'purchase', 'signup', 'logout'] as const;
const REFERRERS = ['search', 'newsletter', 'ads', 'partner', 'social'] as const;
/** Events start here and advance a few milliseconds each, so event times are reproducible too. */
const EPOCH_MS = Date.UTC(2026, 0, 1);
export const USERS = 10_000;

/** Two hex digits per byte value, for the UUIDs. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const hex32 = (w: number) => HEX[w >>> 24]! + HEX[(w >>> 16) & 0xff]! + HEX[(w >>> 8) & 0xff]! + HEX[w & 0xff]!;
/** `user-00000` ... : the user ids, made once. */
const USER_IDS = Array.from({ length: USERS }, (_, i) => `user-${i.toString().padStart(5, '0')}`);

export class EventGenerator {
  private readonly rng;
  private index = 0;
  private clock = EPOCH_MS;

  constructor(readonly seed: number) {
    this.rng = xoroshiro128plus(seed);
  }

  private int(max: number): number {
    return uniformInt(this.rng, 0, max - 1);
  }

  /** An RFC 4122 version-4 UUID from four 32-bit draws (version nibble and variant bits set). */
  private uuid(): string {
    const a = this.rng.next() >>> 0;
    const b = this.rng.next() >>> 0;
    const c = this.rng.next() >>> 0;
    const d = this.rng.next() >>> 0;
    const bHex = hex32(b);
    const cHex = hex32(c);
    // Variant 10xx: the top two bits of c's first hex digit become 10.
    const variant = (((c >>> 28) & 0x3) | 0x8).toString(16);
    return `${hex32(a)}-${bHex.slice(0, 4)}-4${bHex.slice(5, 8)}-${variant}${cHex.slice(1, 4)}-${cHex.slice(4, 8)}${hex32(d)}`;
  }

  next(): UserEvent {
    this.index++;
    this.clock += 1 + this.int(50);
    const hasReferrer = this.int(10) < 7;
    return {
      id: this.uuid(),
      user_id: USER_IDS[this.int(USERS)]!,
      action: ACTIONS[this.int(ACTIONS.length)]!,
      event_time: this.clock,
      version: 1,
      referrer: hasReferrer ? REFERRERS[this.int(REFERRERS.length)]! : null,
    };
  }

  take(n: number): UserEvent[] {
    return Array.from({ length: n }, () => this.next());
  }
}
