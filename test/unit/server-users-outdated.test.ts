import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KIT_USERS_NAME, serverUsersOutdated, writeServerFiles } from '../../src/stack/clickhouse/server.js';
import { tempDir } from '../temp-dir.js';

const KIT_USERS = '<clickhouse><users><kit_reader/></users></clickhouse>';

describe('serverUsersOutdated', () => {
  function setUp() {
    const base = tempDir('kit-users-');
    const run = path.join(base, 'run');
    const extras = path.join(base, 'extras');
    mkdirSync(extras);
    writeFileSync(path.join(extras, 'it-users.xml'), '<clickhouse><users><it_reader/></users></clickhouse>');
    writeServerFiles(run, KIT_USERS, extras);
    return { run, extras };
  }

  it("writes the kit's users and the extra users files into the server's users.d", () => {
    const { run } = setUp();
    expect(readFileSync(path.join(run, 'users.d', KIT_USERS_NAME), 'utf8')).toBe(KIT_USERS);
    expect(readFileSync(path.join(run, 'users.d', 'extra-it-users.xml'), 'utf8')).toMatch(/<it_reader\/>/);
  });

  it('is undefined while the server has exactly the users a start would give it', () => {
    const { run, extras } = setUp();
    expect(serverUsersOutdated(run, KIT_USERS, extras)).toBeUndefined();
  });

  it('names a users file changed, added or gone since the start', () => {
    const changed = setUp();
    writeFileSync(path.join(changed.extras, 'it-users.xml'), '<clickhouse><users><it_reader/><it_parity/></users></clickhouse>');
    expect(serverUsersOutdated(changed.run, KIT_USERS, changed.extras)).toMatch(/it-users\.xml changed since it started/);

    const added = setUp();
    writeFileSync(path.join(added.extras, 'more.xml'), '<clickhouse/>');
    expect(serverUsersOutdated(added.run, KIT_USERS, added.extras)).toBe('its users lack extra-more.xml');

    const gone = setUp();
    rmSync(path.join(gone.extras, 'it-users.xml'));
    expect(serverUsersOutdated(gone.run, KIT_USERS, gone.extras)).toBe('it has users files no longer in use: extra-it-users.xml');
  });

  it("names the kit's users when a pipeline's grants changed them since the start", () => {
    const { run, extras } = setUp();
    expect(serverUsersOutdated(run, '<clickhouse><users><kit_reader/><kit_connector/></users></clickhouse>', extras)).toBe("the kit's users (its pipelines' grants) changed since it started");
  });
});
