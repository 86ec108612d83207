/**
 * The kit's one typed configuration, read from the environment.
 *
 * Precedence: process environment, then `.stack/stack.env` (the endpoints the
 * embedded stack writes while it runs and removes when it stops), then `.env` in
 * the project root, then the defaults below (the Docker stack's host ports).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { UsageError } from './errors.js';
import { projectRoot, stackDir } from './paths.js';
import path from 'node:path';

const nonEmpty = (name: string) =>
  z.string({ error: `${name} is not set` }).min(1, { error: `${name} is empty` });

export const EnvSchema = z.object({
  KAFKA_BOOTSTRAP_SERVERS: z.string().default('127.0.0.1:9092'),
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8081'),
  CONNECT_URL: z.url().default('http://127.0.0.1:8083'),
  CLICKHOUSE_URL: z.url().default('http://127.0.0.1:8123'),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'CLICKHOUSE_DATABASE must be a plain identifier' })
    .default('kit'),
  CLICKHOUSE_ADMIN_USER: z.string().default('kit_admin'),
  CLICKHOUSE_ADMIN_PASSWORD: z.string().optional(),
  CLICKHOUSE_CONNECTOR_USER: z.string().default('kit_connector'),
  CLICKHOUSE_CONNECTOR_PASSWORD: z.string().optional(),
  CLICKHOUSE_READER_USER: z.string().default('kit_reader'),
  CLICKHOUSE_READER_PASSWORD: z.string().optional(),
  CLICKHOUSE_PARITY_USER: z.string().default('kit_parity'),
  CLICKHOUSE_PARITY_PASSWORD: z.string().optional(),
  /** How ClickHouse's Kafka engine reaches the broker and the registry (container names in Docker). */
  CLICKHOUSE_KAFKA_BROKER_LIST: z.string().default('kafka:19092'),
  CLICKHOUSE_SCHEMA_REGISTRY_URL: z.url().default('http://schema-registry:8081'),
  /** The pipeline commands act on when none is named (see pipelines/). */
  KIT_PIPELINE: z.string().optional(),
});

export type KitEnv = z.infer<typeof EnvSchema>;

export interface Credentials {
  user: string;
  password: string;
}

export interface KitConfig {
  kafka: { brokers: string[] };
  registry: { url: string };
  connect: { url: string };
  clickhouse: {
    url: string;
    database: string;
    admin: Credentials;
    connector: Credentials;
    reader: Credentials;
    /** verify:parity: reads like the reader, plus its session's temporary tables and its watermarks. */
    parity: Credentials;
  };
  /** Addresses as ClickHouse itself sees them (its Kafka engine dials these). */
  clickhouseKafka: { brokerList: string; registryUrl: string };
  /** KIT_PIPELINE: the pipeline commands act on when none is named. */
  pipeline?: string;
}

/** The configuration is wrong: exit 2. */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
}

/** Reads KEY=VALUE files without touching process.env. */
function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

export function envFiles(root = projectRoot): string[] {
  return [path.join(stackDir(root), 'stack.env'), path.join(root, '.env')];
}

/** Merges the layers in precedence order: first one holding a key wins. */
export function resolveEnv(
  env: NodeJS.ProcessEnv = process.env,
  files: string[] = envFiles(),
): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = {};
  for (const layer of [...files].reverse().map(readEnvFile)) Object.assign(merged, layer);
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  return merged;
}

function parseEnvOrThrow(raw: Record<string, string | undefined>): KitEnv {
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

function requirePassword(env: KitEnv, key: keyof KitEnv): string {
  const value = env[key];
  const check = nonEmpty(key).safeParse(value);
  if (!check.success) {
    throw new ConfigError(
      `${key} is not set. Put it in .env (see .env.example), export it, or run \`npm run stack:up\`, which writes a .env with generated passwords when none exists.`,
    );
  }
  // Docker Compose reads `$NAME`, `${NAME}` and `$$` in .env as interpolation; the kit reads
  // the value as written, so the two would use different passwords.
  if (check.data.includes('$')) {
    throw new ConfigError(
      `${key} contains "$", which Docker Compose would read as a variable reference in .env while the kit reads it as written, so the ClickHouse users and the kit would disagree on the password. ` +
        `Choose a password without "$" (or delete the ${key} line from .env and run \`npm run stack:up\` or \`npm run demo\`, which write a generated one).`,
    );
  }
  return check.data;
}

export function loadConfig(raw: Record<string, string | undefined> = resolveEnv()): KitConfig {
  const env = parseEnvOrThrow(raw);
  return {
    kafka: { brokers: env.KAFKA_BOOTSTRAP_SERVERS.split(',').map((s) => s.trim()).filter(Boolean) },
    registry: { url: env.SCHEMA_REGISTRY_URL.replace(/\/+$/, '') },
    connect: { url: env.CONNECT_URL.replace(/\/+$/, '') },
    clickhouse: {
      url: env.CLICKHOUSE_URL.replace(/\/+$/, ''),
      database: env.CLICKHOUSE_DATABASE,
      admin: { user: env.CLICKHOUSE_ADMIN_USER, password: requirePassword(env, 'CLICKHOUSE_ADMIN_PASSWORD') },
      connector: {
        user: env.CLICKHOUSE_CONNECTOR_USER,
        password: requirePassword(env, 'CLICKHOUSE_CONNECTOR_PASSWORD'),
      },
      reader: { user: env.CLICKHOUSE_READER_USER, password: requirePassword(env, 'CLICKHOUSE_READER_PASSWORD') },
      parity: { user: env.CLICKHOUSE_PARITY_USER, password: requirePassword(env, 'CLICKHOUSE_PARITY_PASSWORD') },
    },
    clickhouseKafka: {
      brokerList: env.CLICKHOUSE_KAFKA_BROKER_LIST,
      registryUrl: env.CLICKHOUSE_SCHEMA_REGISTRY_URL.replace(/\/+$/, ''),
    },
    ...(env.KIT_PIPELINE ? { pipeline: env.KIT_PIPELINE } : {}),
  };
}
