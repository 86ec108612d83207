import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEnv } from 'node:util';
import { composeUp, type Spawn } from '../../src/demo/compose-up.js';
import { tempDir } from '../temp-dir.js';

const PASSWORDS = ['CLICKHOUSE_ADMIN_PASSWORD', 'CLICKHOUSE_CONNECTOR_PASSWORD', 'CLICKHOUSE_READER_PASSWORD', 'CLICKHOUSE_PARITY_PASSWORD'];

describe('npm run demo on a machine with Docker', () => {
  beforeEach(() => {
    // As on a fresh machine: no password exported, so compose can only get them from .env.
    for (const k of PASSWORDS) vi.stubEnv(k, '');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('writes .env with every password compose requires before it runs docker compose up', () => {
    const root = tempDir('kit-demo-');
    const calls: { command: string; args: string[]; cwd: string; env: Record<string, string> | undefined }[] = [];
    const spawn: Spawn = (command, args, options) => {
      const file = path.join(options.cwd, '.env');
      calls.push({ command, args, cwd: options.cwd, env: existsSync(file) ? (parseEnv(readFileSync(file, 'utf8')) as Record<string, string>) : undefined });
      return { status: 0 };
    };
    composeUp({ spawn, root });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ command: 'docker', args: ['compose', 'up', '-d', '--wait'], cwd: root });
    expect(calls[0]!.env, '.env did not exist when docker compose up ran').toBeDefined();
    for (const k of PASSWORDS) expect(calls[0]!.env![k], k).toMatch(/^.{16,}$/);
  });

  it('stops, naming the exit status, when compose fails', () => {
    const root = tempDir('kit-demo-');
    expect(() => composeUp({ spawn: () => ({ status: 1 }), root })).toThrow(/docker compose up -d --wait failed with exit status 1/);
  });
});
