/**
 * The values behind `${kit:name}` placeholders, from the kit's configuration and the
 * pipelines a connector carries.
 *
 * Addresses are the ones the *Connect worker* dials, which differ per stack:
 * - `docker`: the worker runs in the compose network (`clickhouse:8123`,
 *   `http://schema-registry:8081`);
 * - `embedded`: the worker runs on this host (the kit's own CLICKHOUSE_URL and
 *   SCHEMA_REGISTRY_URL).
 * Each can be overridden with a KIT_CONNECT_* variable (environment or .env).
 */
import { z } from 'zod';
import type { KitConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { Pipeline } from '../pipeline/definition.js';

export const PROFILES = ['docker', 'embedded'] as const;
export type Profile = (typeof PROFILES)[number];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'must be true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const KitConnectEnv = z.object({
  KIT_CONNECT_PROFILE: z.enum(PROFILES, { error: `must be one of ${PROFILES.join(', ')}` }).optional(),
  KIT_CONNECT_CLICKHOUSE_HOST: z.string().min(1).optional(),
  KIT_CONNECT_CLICKHOUSE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  KIT_CONNECT_CLICKHOUSE_SSL: bool.optional(),
  KIT_CONNECT_REGISTRY_URL: z.url().optional(),
  KIT_CONNECTOR_EXACTLY_ONCE: bool.optional(),
});

export interface KitValueOptions {
  profile?: Profile;
  /** `--exactly-once` / `--no-exactly-once`: wins over KIT_CONNECTOR_EXACTLY_ONCE and the pipelines'. */
  exactlyOnce?: boolean;
}

export interface KitValues {
  profile: Profile;
  values: Record<string, string>;
}

function parseEnv(env: Record<string, string | undefined>) {
  const parsed = KitConnectEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new UsageError(`invalid connector settings in the environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * The values for one connector: the stack's addresses, and what the pipelines sharing it
 * (one, or several naming the same connector.name, checked to agree) carry.
 */
export function kitValues(config: KitConfig, env: Record<string, string | undefined>, pipelines: Pipeline[], options: KitValueOptions = {}): KitValues {
  const e = parseEnv(env);
  const profile = options.profile ?? e.KIT_CONNECT_PROFILE ?? 'docker';
  const hostView = new URL(config.clickhouse.url);
  const defaults =
    profile === 'docker'
      ? { host: 'clickhouse', port: 8123, ssl: false, registry: config.clickhouseKafka.registryUrl }
      : {
          host: hostView.hostname,
          port: Number(hostView.port || (hostView.protocol === 'https:' ? 443 : 80)),
          ssl: hostView.protocol === 'https:',
          // Apicurio's Connect converter speaks its v2 API, beside the ccompat one the kit uses.
          registry: config.registry.url.replace(/\/apis\/ccompat\/v\d+\/?$/, '/apis/registry/v2'),
        };
  const first = pipelines[0];
  const values: Record<string, string> = {
    clickhouse_host: e.KIT_CONNECT_CLICKHOUSE_HOST ?? defaults.host,
    clickhouse_port: String(e.KIT_CONNECT_CLICKHOUSE_PORT ?? defaults.port),
    clickhouse_ssl: String(e.KIT_CONNECT_CLICKHOUSE_SSL ?? defaults.ssl),
    registry_url: (e.KIT_CONNECT_REGISTRY_URL ?? defaults.registry).replace(/\/+$/, ''),
    connector_user: config.clickhouse.connector.user,
    database: first?.database ?? config.clickhouse.database,
  };
  if (first) {
    Object.assign(values, {
      connector_name: first.connector.name,
      topics: pipelines.map((p) => p.topic.name).join(','),
      topic2table: pipelines.map((p) => `${p.topic.name}=${p.tables.connector}`).join(','),
      dlq_topic: first.connector.dlqTopic,
      tasks_max: String(first.connector.tasksMax),
      max_poll_records: String(first.connector.maxPollRecords),
      exactly_once: String(options.exactlyOnce ?? e.KIT_CONNECTOR_EXACTLY_ONCE ?? first.connector.exactlyOnce),
    });
  }
  return { profile, values };
}
