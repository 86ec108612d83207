import { describe, expect, it } from 'vitest';
import { diffConfigs, formatChanges } from '../../src/connect/diff.js';
import { isSecretKey, maskUrlCredentials, redactConfig, redactValue, REDACTED, scrubText } from '../../src/connect/redact.js';

describe('redaction', () => {
  it('knows secret keys from ordinary ones', () => {
    for (const k of ['password', 'ssl.key.password', 'ssl.truststore.password', 'sasl.jaas.config', 'value.converter.basic.auth.user.info',
      'aws.secret.access.key', 'api.token', 'credentials', 'private.key', 'client.secret', 'apiKey', 'consumer.override.sasl.jaas.config']) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['key.converter', 'key.converter.schemas.enable', 'hostname', 'topics', 'transforms.lineage.partition.field',
      'ssl.keystore.location', 'errors.deadletterqueue.topic.name', 'passthrough', 'topic2TableMap', 'keeperOnCluster']) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });

  it('redacts secret values but shows provider references, which name no secret', () => {
    expect(redactValue('password', 'hunter22')).toBe(REDACTED);
    expect(redactValue('password', '${env:CLICKHOUSE_CONNECTOR_PASSWORD}')).toBe('${env:CLICKHOUSE_CONNECTOR_PASSWORD}');
    expect(redactValue('password', '${file:/s.properties:pw}')).toBe('${file:/s.properties:pw}');
    expect(redactValue('password', 'x${env:A}')).toBe(REDACTED);
    expect(redactValue('password', '')).toBe('');
    expect(redactValue('hostname', 'clickhouse')).toBe('clickhouse');
    expect(redactValue('password', undefined)).toBeUndefined();
  });

  it('masks passwords inside URLs anywhere', () => {
    expect(maskUrlCredentials('http://user:pw@reg:8081/x')).toBe(`http://user:${REDACTED}@reg:8081/x`);
    expect(maskUrlCredentials('http://reg:8081')).toBe('http://reg:8081');
    expect(redactConfig({ 'value.converter.schema.registry.url': 'https://a:b@r', password: 'p4ss' })).toEqual({
      'value.converter.schema.registry.url': `https://a:${REDACTED}@r`,
      password: REDACTED,
    });
  });

  it('scrubs known secrets from free text, longest first, ignoring trivially short ones', () => {
    const trace = 'Authentication failed for kit_connector with password s3cret-pw (s3cret) at http://u:zz@h';
    expect(scrubText(trace, ['s3cret', 's3cret-pw', 'pw'])).toBe(
      `Authentication failed for kit_connector with password ${REDACTED} (${REDACTED}) at http://u:${REDACTED}@h`,
    );
  });
});

describe('diff', () => {
  it('lists added, removed and changed keys in order, comparing real values', () => {
    const live = { name: 'c', topics: 'a', file: '/x', password: 'old-secret' };
    const desired = { name: 'c', topics: 'b', 'tasks.max': '1', password: 'new-secret' };
    const changes = diffConfigs(live, desired);
    expect(changes).toEqual([
      { key: 'file', kind: 'remove', from: '/x' },
      { key: 'password', kind: 'change', from: REDACTED, to: REDACTED, secret: true },
      { key: 'tasks.max', kind: 'add', to: '1' },
      { key: 'topics', kind: 'change', from: 'a', to: 'b' },
    ]);
    expect(formatChanges(changes)).toEqual([
      '- file = /x',
      `~ password: ${REDACTED} (changed)`,
      '+ tasks.max = 1',
      '~ topics: a -> b',
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/old-secret|new-secret/);
  });

  it('is empty when nothing changed and all-adds against no live config', () => {
    expect(diffConfigs({ a: '1' }, { a: '1' })).toEqual([]);
    expect(diffConfigs(undefined, { a: '1', password: '${env:P}' })).toEqual([
      { key: 'a', kind: 'add', to: '1' },
      { key: 'password', kind: 'add', to: '${env:P}' },
    ]);
  });
});
