/**
 * Safe-default checks on a rendered connector config, before anything is sent.
 * Every finding names the key and the fix. Errors stop the deploy (exit 2); warnings
 * are printed and the deploy goes on.
 */
import { CLICKHOUSE_SINK_CLASS } from '../stack/plugins.js';
import type { ConnectorConfig } from './definitions.js';
import { isProviderReference, references, WORKER_PROVIDERS } from './placeholders.js';
import { isSecretKey, maskUrlCredentials } from './redact.js';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  rule: string;
  key: string;
  message: string;
  fix: string;
}

const CONFLUENT_AVRO = 'io.confluent.connect.avro.AvroConverter';
const APICURIO_AVRO = 'io.apicurio.registry.utils.converter.AvroConverter';

const isTrue = (v: string | undefined) => v?.trim().toLowerCase() === 'true';
const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function isSink(config: ConnectorConfig): boolean {
  return config.topics !== undefined || config['topics.regex'] !== undefined;
}

export function isClickHouseSink(config: ConnectorConfig): boolean {
  return config['connector.class'] === CLICKHOUSE_SINK_CLASS;
}

type Rule = (config: ConnectorConfig, name: string) => Finding[];

const secrets: Rule = (config) =>
  Object.entries(config).flatMap(([key, value]): Finding[] => {
    const found: Finding[] = [];
    const referenced = isProviderReference(value) || references(value).some((r) => r.provider !== 'kit');
    if (isSecretKey(key) && value !== '' && !referenced) {
      found.push({
        severity: 'error',
        rule: 'plaintext-secret',
        key,
        message: `${key} holds a literal secret: it would be stored in the definition file, the REST payload and Connect's config topic`,
        fix: `reference it instead: "${key}": "\${env:SOME_VAR}" (the worker's EnvVarConfigProvider) or "\${file:/path/secrets.properties:${key}}"`,
      });
    }
    if (maskUrlCredentials(value) !== value) {
      found.push({
        severity: 'error',
        rule: 'url-credentials',
        key,
        message: `${key} carries a password inside a URL`,
        fix: `drop the user:password@ part and pass the credentials through an \${env:...} reference in the converter's auth keys`,
      });
    }
    return found;
  });

const providers: Rule = (config) =>
  Object.entries(config).flatMap(([key, value]) =>
    references(value).flatMap((ref): Finding[] => {
      if (ref.provider === 'kit') return [];
      if (!(WORKER_PROVIDERS as readonly string[]).includes(ref.provider)) {
        return [
          {
            severity: 'error',
            rule: 'unknown-provider',
            key,
            message: `${ref.text}: the worker has no "${ref.provider}" ConfigProvider, so the text would reach the connector verbatim`,
            fix: `use one of the worker's providers: ${WORKER_PROVIDERS.map((p) => `\${${p}:...}`).join(', ')}`,
          },
        ];
      }
      if (ref.provider === 'file' && !ref.path.startsWith('/')) {
        return [
          {
            severity: 'error',
            rule: 'file-path-relative',
            key,
            message: `${ref.text}: FileConfigProvider paths are read on the worker, relative to its working directory`,
            fix: 'use an absolute path on the worker, e.g. ${file:/etc/kafka-connect/secrets.properties:key}',
          },
        ];
      }
      return [];
    }),
  );

const deadLetterQueue: Rule = (config) => {
  const found: Finding[] = [];
  const tolerance = config['errors.tolerance']?.trim().toLowerCase();
  const dlq = config['errors.deadletterqueue.topic.name']?.trim();
  if (tolerance === 'all' && isSink(config) && !dlq) {
    found.push({
      severity: 'error',
      rule: 'dlq-missing',
      key: 'errors.tolerance',
      message: 'errors.tolerance=all without a dead-letter queue drops every bad record silently',
      fix: 'set errors.deadletterqueue.topic.name (and errors.deadletterqueue.context.headers.enable=true), or errors.tolerance=none',
    });
  }
  if (tolerance === 'all' && !isSink(config)) {
    found.push({
      severity: 'warning',
      rule: 'source-tolerance',
      key: 'errors.tolerance',
      message: 'source connectors have no dead-letter queue: errors.tolerance=all skips failing records with only a log line',
      fix: 'keep errors.tolerance=none unless losing records is acceptable; set errors.log.enable=true at least',
    });
  }
  if (!dlq) return found;
  if (tolerance !== 'all') {
    found.push({
      severity: 'warning',
      rule: 'dlq-unused',
      key: 'errors.deadletterqueue.topic.name',
      message: 'a dead-letter queue is named but errors.tolerance is not all, so nothing is ever sent to it',
      fix: 'set errors.tolerance=all, or remove errors.deadletterqueue.topic.name',
    });
  }
  if (list(config.topics).includes(dlq)) {
    found.push({
      severity: 'error',
      rule: 'dlq-loop',
      key: 'errors.deadletterqueue.topic.name',
      message: `the dead-letter queue ${dlq} is also an input topic: failed records would be read again`,
      fix: 'name a topic of its own, e.g. <topic>-dlq',
    });
  }
  if (!isTrue(config['errors.deadletterqueue.context.headers.enable'])) {
    found.push({
      severity: 'warning',
      rule: 'dlq-headers',
      key: 'errors.deadletterqueue.context.headers.enable',
      message: 'DLQ records will not say where they came from nor why they failed',
      fix: 'set errors.deadletterqueue.context.headers.enable=true (adds __connect.errors.* headers)',
    });
  }
  if (config['errors.deadletterqueue.topic.replication.factor'] === undefined) {
    found.push({
      severity: 'warning',
      rule: 'dlq-replication',
      key: 'errors.deadletterqueue.topic.replication.factor',
      message: 'the DLQ topic is created with replication factor 3 by default, which a one-broker cluster cannot host',
      fix: 'set errors.deadletterqueue.topic.replication.factor to what the cluster can hold (1 on the kit stacks)',
    });
  }
  return found;
};

const logging: Rule = (config) =>
  isTrue(config['errors.log.include.messages'])
    ? [
        {
          severity: 'warning',
          rule: 'log-messages',
          key: 'errors.log.include.messages',
          message: 'failing record contents (keys, values, headers) will be written to the worker log',
          fix: 'leave errors.log.include.messages=false and read failed records from the DLQ instead',
        },
      ]
    : [];

const shape: Rule = (config, name) => {
  const found: Finding[] = [];
  if (config.name !== undefined && config.name !== name) {
    found.push({
      severity: 'error',
      rule: 'name-mismatch',
      key: 'name',
      message: `config.name is ${config.name} but the definition is named ${name}`,
      fix: 'drop name from config (the definition name is used) or make them equal',
    });
  }
  if (config.topics !== undefined && config['topics.regex'] !== undefined) {
    found.push({
      severity: 'error',
      rule: 'topics-both',
      key: 'topics.regex',
      message: 'a sink takes topics or topics.regex, not both',
      fix: 'keep one of them',
    });
  }
  return found;
};

const converters: Rule = (config) => {
  const found: Finding[] = [];
  for (const side of ['key', 'value'] as const) {
    const cls = config[`${side}.converter`];
    const needs =
      cls === CONFLUENT_AVRO
        ? `${side}.converter.schema.registry.url`
        : cls === APICURIO_AVRO
          ? `${side}.converter.apicurio.registry.url`
          : undefined;
    if (needs && !config[needs]) {
      found.push({
        severity: 'error',
        rule: 'converter-registry',
        key: needs,
        message: `${side}.converter ${cls} needs the registry's address`,
        fix: `set ${needs} (e.g. "\${kit:registry_url}")`,
      });
    }
  }
  return found;
};

const clickhouse: Rule = (config) => {
  if (!isClickHouseSink(config)) return [];
  const found: Finding[] = [];
  if (isTrue(config.exactlyOnce) && isTrue(config.ignorePartitionsWhenBatching)) {
    found.push({
      severity: 'warning',
      rule: 'clickhouse-exactly-once-batching',
      key: 'ignorePartitionsWhenBatching',
      message: 'the connector ignores ignorePartitionsWhenBatching while exactlyOnce=true',
      fix: 'drop ignorePartitionsWhenBatching, or turn exactlyOnce off',
    });
  }
  if (!config.password) {
    found.push({
      severity: 'warning',
      rule: 'clickhouse-password',
      key: 'password',
      message: 'no ClickHouse password: the connector logs in with an empty one',
      fix: 'set "password": "${env:CLICKHOUSE_CONNECTOR_PASSWORD}"',
    });
  }
  const ssl = isTrue(config.ssl);
  if (config.port === '8443' && !ssl) {
    found.push({
      severity: 'warning',
      rule: 'clickhouse-ssl-port',
      key: 'ssl',
      message: 'port 8443 is ClickHouse HTTPS but ssl is not true',
      fix: 'set ssl=true, or the plain HTTP port 8123',
    });
  }
  return found;
};

const RULES: Rule[] = [secrets, providers, deadLetterQueue, logging, shape, converters, clickhouse];

export function lintConfig(config: ConnectorConfig, name: string): Finding[] {
  return RULES.flatMap((rule) => rule(config, name));
}

export function formatFinding(f: Finding): string {
  return `${f.severity === 'error' ? 'error' : 'warning'} [${f.rule}] ${f.key}: ${f.message}\n    fix: ${f.fix}`;
}
