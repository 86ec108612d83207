import { describe, expect, it } from 'vitest';
import { formatFinding, lintConfig, type Finding } from '../../src/connect/lint.js';

const sink = (extra: Record<string, string> = {}) => ({
  name: 'c',
  'connector.class': 'FileStreamSink',
  topics: 'orders',
  ...extra,
});
const ch = (extra: Record<string, string> = {}) => ({
  name: 'c',
  'connector.class': 'com.clickhouse.kafka.connect.ClickHouseSinkConnector',
  topics: 'orders',
  hostname: 'clickhouse',
  port: '8123',
  password: '${env:PW}',
  ...extra,
});
const rules = (f: Finding[]) => f.map((x) => `${x.severity}:${x.rule}:${x.key}`);

describe('lint', () => {
  it('passes a safe config', () => {
    expect(lintConfig(sink(), 'c')).toEqual([]);
  });

  it('refuses plaintext secrets and names the key and the fix', () => {
    const f = lintConfig(sink({ password: 'hunter22', 'ssl.keystore.password': '${env:KS}' }), 'c');
    expect(rules(f)).toEqual(['error:plaintext-secret:password']);
    expect(f[0]!.fix).toMatch(/\$\{env:SOME_VAR\}/);
    expect(f[0]!.message).not.toContain('hunter22');
    expect(formatFinding(f[0]!)).toMatch(/^error \[plaintext-secret\] password: .*\n {4}fix: /);
  });

  it('accepts a secret assembled around a worker reference, and empty secrets', () => {
    expect(lintConfig(sink({ 'basic.auth.user.info': 'kit:${env:REG_PW}', password: '' }), 'c')).toEqual([]);
  });

  it('refuses credentials inside URLs', () => {
    expect(rules(lintConfig(sink({ 'value.converter.schema.registry.url': 'http://u:pw@reg:8081' }), 'c'))).toContain(
      'error:url-credentials:value.converter.schema.registry.url',
    );
  });

  it('refuses errors.tolerance=all without a DLQ on a sink', () => {
    const f = lintConfig(sink({ 'errors.tolerance': 'all' }), 'c');
    expect(rules(f)).toEqual(['error:dlq-missing:errors.tolerance']);
    expect(f[0]!.fix).toMatch(/errors\.deadletterqueue\.topic\.name/);
  });

  it('warns about a DLQ nobody sends to, without headers, or with the default replication factor', () => {
    expect(rules(lintConfig(sink({ 'errors.deadletterqueue.topic.name': 'dlq' }), 'c'))).toEqual([
      'warning:dlq-unused:errors.deadletterqueue.topic.name',
      'warning:dlq-headers:errors.deadletterqueue.context.headers.enable',
      'warning:dlq-replication:errors.deadletterqueue.topic.replication.factor',
    ]);
    const good = {
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': 'dlq',
      'errors.deadletterqueue.context.headers.enable': 'true',
      'errors.deadletterqueue.topic.replication.factor': '1',
    };
    expect(lintConfig(sink(good), 'c')).toEqual([]);
  });

  it('refuses a DLQ that is also an input topic', () => {
    const f = lintConfig(
      sink({ topics: 'a, orders', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'orders', 'errors.deadletterqueue.context.headers.enable': 'true', 'errors.deadletterqueue.topic.replication.factor': '1' }),
      'c',
    );
    expect(rules(f)).toEqual(['error:dlq-loop:errors.deadletterqueue.topic.name']);
  });

  it('warns that a source connector has no DLQ', () => {
    expect(rules(lintConfig({ name: 'c', 'connector.class': 'FileStreamSource', 'errors.tolerance': 'all' }, 'c'))).toEqual([
      'warning:source-tolerance:errors.tolerance',
    ]);
  });

  it('warns when record contents would be logged', () => {
    expect(rules(lintConfig(sink({ 'errors.log.include.messages': 'true' }), 'c'))).toEqual(['warning:log-messages:errors.log.include.messages']);
  });

  it('checks the shape: name, topics vs topics.regex', () => {
    expect(rules(lintConfig(sink({ name: 'other' }), 'c'))).toEqual(['error:name-mismatch:name']);
    expect(rules(lintConfig(sink({ 'topics.regex': 'o.*' }), 'c'))).toEqual(['error:topics-both:topics.regex']);
  });

  it('refuses providers the worker lacks and relative file paths', () => {
    expect(rules(lintConfig(sink({ password: '${vault:secret/data:pw}' }), 'c'))).toEqual(['error:unknown-provider:password']);
    expect(rules(lintConfig(sink({ password: '${file:secrets.properties:pw}' }), 'c'))).toEqual(['error:file-path-relative:password']);
    expect(lintConfig(sink({ password: '${file:/etc/secrets.properties:pw}' }), 'c')).toEqual([]);
  });

  it('asks a registry address of the Avro converters', () => {
    expect(rules(lintConfig(sink({ 'value.converter': 'io.confluent.connect.avro.AvroConverter' }), 'c'))).toEqual([
      'error:converter-registry:value.converter.schema.registry.url',
    ]);
    expect(rules(lintConfig(sink({ 'key.converter': 'io.apicurio.registry.utils.converter.AvroConverter' }), 'c'))).toEqual([
      'error:converter-registry:key.converter.apicurio.registry.url',
    ]);
  });

  it('knows the ClickHouse sink: no password, HTTPS port without ssl, options exactlyOnce ignores', () => {
    expect(lintConfig(ch(), 'c')).toEqual([]);
    expect(rules(lintConfig(ch({ password: '' }), 'c'))).toEqual(['warning:clickhouse-password:password']);
    expect(rules(lintConfig(ch({ port: '8443', ssl: 'false' }), 'c'))).toEqual(['warning:clickhouse-ssl-port:ssl']);
    expect(rules(lintConfig(ch({ exactlyOnce: 'true', ignorePartitionsWhenBatching: 'true' }), 'c'))).toEqual([
      'warning:clickhouse-exactly-once-batching:ignorePartitionsWhenBatching',
    ]);
  });
});
