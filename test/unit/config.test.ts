import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, resolveEnv } from '../../src/config.js';
import { ensureDotEnv } from '../../src/stack/stack.js';
import { tempDir } from '../temp-dir.js';

const passwords = { CLICKHOUSE_ADMIN_PASSWORD: 'a', CLICKHOUSE_CONNECTOR_PASSWORD: 'c', CLICKHOUSE_READER_PASSWORD: 'r', CLICKHOUSE_PARITY_PASSWORD: 'p' };

describe('config', () => {
  it('defaults to the Docker stack host ports', () => {
    const c = loadConfig(passwords);
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.connect.url).toBe('http://127.0.0.1:8083');
    expect(c.clickhouse.url).toBe('http://127.0.0.1:8123');
    expect(c.clickhouse.database).toBe('kit');
    expect(c.clickhouseKafka.brokerList).toBe('kafka:19092');
  });

  it('names the missing password and the fix', () => {
    expect(() => loadConfig({ ...passwords, CLICKHOUSE_READER_PASSWORD: undefined })).toThrow(/CLICKHOUSE_READER_PASSWORD is not set.*\.env/);
  });

  it('rejects malformed values with the variable name', () => {
    expect(() => loadConfig({ ...passwords, CONNECT_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...passwords, CLICKHOUSE_DATABASE: 'kit; drop' })).toThrow(/CLICKHOUSE_DATABASE/);
  });

  it('layers the environment over the running stack endpoints over .env', () => {
    const dir = tempDir('kit-config-');
    const dotenv = path.join(dir, '.env');
    const stackEnv = path.join(dir, 'stack.env');
    writeFileSync(stackEnv, 'CLICKHOUSE_URL=http://from-stack:8123\nCONNECT_URL=http://from-stack:8083\nKIT_PIPELINE=stack_pipeline\n');
    writeFileSync(dotenv, 'CLICKHOUSE_URL=http://from-dotenv:8123\nKIT_PIPELINE=dotenv_pipeline\nCLICKHOUSE_DATABASE=dotenv_db\n');
    const merged = resolveEnv({ KIT_PIPELINE: 'env_pipeline' }, [stackEnv, dotenv]);
    expect(merged.CLICKHOUSE_URL).toBe('http://from-stack:8123');
    expect(merged.CONNECT_URL).toBe('http://from-stack:8083');
    expect(merged.CLICKHOUSE_DATABASE).toBe('dotenv_db');
    expect(merged.KIT_PIPELINE).toBe('env_pipeline');
    expect(loadConfig({ ...passwords, ...resolveEnv({}, [stackEnv, dotenv]) }).pipeline).toBe('stack_pipeline');
  });

  it('takes the pipeline commands act on from KIT_PIPELINE, and leaves topics and tables to the pipelines', () => {
    expect(loadConfig({ ...passwords, KIT_PIPELINE: 'orders' }).pipeline).toBe('orders');
    const c = loadConfig({ ...passwords, KIT_TOPIC: 'ignored', KIT_CONNECTOR_NAME: 'ignored' });
    expect(c.pipeline).toBeUndefined();
    expect(Object.keys(c).sort()).toEqual(['clickhouse', 'clickhouseKafka', 'connect', 'kafka', 'registry']);
    expect(c.clickhouseKafka).toEqual({ brokerList: 'kafka:19092', registryUrl: 'http://schema-registry:8081' });
  });

  it('refuses a password with "$", naming the variable and the fix', () => {
    for (const value of ['pa$word', 'pa${X}', 'pa$$']) {
      expect(() => loadConfig({ ...passwords, CLICKHOUSE_READER_PASSWORD: value })).toThrow(ConfigError);
    }
    const dir = tempDir('kit-config-');
    const dotenv = path.join(dir, '.env');
    writeFileSync(dotenv, 'CLICKHOUSE_ADMIN_PASSWORD=s3cr$t\nCLICKHOUSE_CONNECTOR_PASSWORD=c\nCLICKHOUSE_READER_PASSWORD=r\nCLICKHOUSE_PARITY_PASSWORD=p\n');
    expect(() => loadConfig(resolveEnv({}, [dotenv]))).toThrow(
      /^CLICKHOUSE_ADMIN_PASSWORD contains "\$", which Docker Compose would read as a variable reference in \.env .* Choose a password without "\$"/,
    );
  });

  it('generates passwords without "$" that the kit reads back as written', () => {
    for (const k of Object.keys(passwords)) vi.stubEnv(k, '');
    try {
      for (let i = 0; i < 100; i++) {
        const dir = tempDir('kit-dotenv-');
        ensureDotEnv(() => {}, dir);
        const dotenv = path.join(dir, '.env');
        const written = parseEnv(readFileSync(dotenv, 'utf8'));
        const config = loadConfig(resolveEnv({}, [dotenv]));
        const read = [config.clickhouse.admin.password, config.clickhouse.connector.password, config.clickhouse.reader.password, config.clickhouse.parity.password];
        expect(read).toEqual(Object.keys(passwords).map((k) => written[k]));
        for (const p of read) expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
