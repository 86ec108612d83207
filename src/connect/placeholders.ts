/**
 * `${provider:path:key}` references in connector configs.
 *
 * Two kinds live side by side:
 * - `${kit:name}`: rendered by the kit from its own configuration before anything is sent
 *   (hosts, topic, database: they differ between the Docker and the embedded stack);
 * - `${env:VAR}` and `${file:/path:key}`: sent verbatim and resolved by the worker's
 *   ConfigProviders, so secrets never travel in the REST payload nor sit in Connect's
 *   config topic.
 *
 * The grammar is Kafka's own (ConfigTransformer): `${provider:[path:]key}`.
 */

/** The ConfigProviders the kit's Connect workers configure (embedded stack and Docker). */
export const WORKER_PROVIDERS = ['env', 'file'] as const;

export interface Reference {
  /** The whole `${...}` text. */
  text: string;
  provider: string;
  /** Empty for `${env:VAR}`. */
  path: string;
  key: string;
}

const PATTERN = /\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}/g;

export function references(value: string): Reference[] {
  return [...value.matchAll(PATTERN)].map((m) => ({
    text: m[0],
    provider: m[1] ?? '',
    path: m[2] ?? '',
    key: m[3] ?? '',
  }));
}

/** True when the whole value is one worker-provider reference (a secret handed over by name). */
export function isProviderReference(value: string): boolean {
  const refs = references(value.trim());
  return refs.length === 1 && refs[0]!.text === value.trim() && refs[0]!.provider !== 'kit';
}

/**
 * Replaces every `${kit:name}` with `values[name]`. Unknown names are collected, not
 * thrown, so one render reports all of them at once.
 */
export function substituteKit(
  value: string,
  values: Readonly<Record<string, string>>,
  unknown: Set<string>,
): string {
  return value.replace(PATTERN, (whole, provider: string, path: string | undefined, key: string) => {
    if (provider !== 'kit' || path !== undefined) return whole;
    const v = values[key];
    if (v === undefined) {
      unknown.add(key);
      return whole;
    }
    return v;
  });
}
