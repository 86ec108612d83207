import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverUsersOutdated, writeServerFiles } from '../../src/stack/clickhouse/server.js';
import { tempDir } from '../temp-dir.js';

describe('serverUsersOutdated', () => {
  function setUp() {
    const base = tempDir('kit-users-');
    const run = path.join(base, 'run');
    const extras = path.join(base, 'extras');
    mkdirSync(extras);
    writeFileSync(path.join(extras, 'it-users.xml'), '<clickhouse><users><it_reader/></users></clickhouse>');
    writeServerFiles(run, extras);
    return { run, extras };
  }

  it('is undefined while the server has exactly the users a start would give it', () => {
    const { run, extras } = setUp();
    expect(serverUsersOutdated(run, extras)).toBeUndefined();
  });

  it('names a users file changed, added or gone since the start', () => {
    const changed = setUp();
    writeFileSync(path.join(changed.extras, 'it-users.xml'), '<clickhouse><users><it_reader/><it_parity/></users></clickhouse>');
    expect(serverUsersOutdated(changed.run, changed.extras)).toMatch(/it-users\.xml changed since it started/);

    const added = setUp();
    writeFileSync(path.join(added.extras, 'more.xml'), '<clickhouse/>');
    expect(serverUsersOutdated(added.run, added.extras)).toBe('its users lack extra-more.xml');

    const gone = setUp();
    rmSync(path.join(gone.extras, 'it-users.xml'));
    expect(serverUsersOutdated(gone.run, gone.extras)).toBe('it has users files no longer in use: extra-it-users.xml');
  });
});
