/**
 * Secrets never reach the terminal, logs or --json: values of secret-looking keys
 * become `[redacted]`, credentials inside URLs are masked, and literal secret strings
 * the kit knows of are scrubbed from free text (validation messages, task traces).
 *
 * A value that is only a ConfigProvider reference (`${env:VAR}`, `${file:/p:k}`) is shown
 * as it is: it names where the secret lives, not the secret.
 */
import { isProviderReference } from './placeholders.js';

export const REDACTED = '[redacted]';

const SECRET_KEY =
  /pass(word|wd|phrase)?($|[._-])|secret|token|credential|api[._-]?key|private|(^|[._-])key$|jaas\.config|basic\.auth\.user\.info|user\.info$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `scheme://user:password@host` → `scheme://user:[redacted]@host`. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, `$1:${REDACTED}@`);
}

export function redactValue(key: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (isSecretKey(key) && value !== '' && !isProviderReference(value)) return REDACTED;
  return maskUrlCredentials(value);
}

export function redactConfig(config: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) out[k] = redactValue(k, v)!;
  return out;
}

/** Replaces every occurrence of each known secret (4 characters or more) in `text`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = maskUrlCredentials(text);
  for (const s of [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(REDACTED);
  }
  return out;
}
