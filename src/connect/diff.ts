/**
 * What a PUT would change: the desired config against the live one, key by key,
 * compared on the real values and printed with secrets redacted.
 */
import { redactValue } from './redact.js';

export type ChangeKind = 'add' | 'remove' | 'change';

export interface Change {
  key: string;
  kind: ChangeKind;
  /** Redacted. */
  from?: string;
  /** Redacted. */
  to?: string;
  /** True when both sides are redacted: the secret changed, its values are not shown. */
  secret?: boolean;
}

export function diffConfigs(
  live: Readonly<Record<string, string>> | undefined,
  desired: Readonly<Record<string, string>>,
): Change[] {
  const before = live ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(desired)])].sort();
  const changes: Change[] = [];
  for (const key of keys) {
    const a = before[key];
    const b = desired[key];
    if (a === b) continue;
    const from = redactValue(key, a);
    const to = redactValue(key, b);
    const kind: ChangeKind = a === undefined ? 'add' : b === undefined ? 'remove' : 'change';
    const change: Change = { key, kind };
    if (from !== undefined) change.from = from;
    if (to !== undefined) change.to = to;
    if (kind === 'change' && from === to) change.secret = true;
    changes.push(change);
  }
  return changes;
}

export function formatChanges(changes: readonly Change[]): string[] {
  return changes.map((c) => {
    if (c.kind === 'add') return `+ ${c.key} = ${c.to}`;
    if (c.kind === 'remove') return `- ${c.key} = ${c.from}`;
    return c.secret ? `~ ${c.key}: ${c.to} (changed)` : `~ ${c.key}: ${c.from} -> ${c.to}`;
  });
}
