/**
 * Who may do what on the embedded ClickHouse host.
 *
 * The in-process engine has no access storage of its own, so the host checks
 * credentials and the kind of statement. The three roles mirror the GRANTs of
 * the Docker stack's users: admin (everything), inserter (reads plus INSERT
 * into its own tables), reader (reads only).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Role = 'admin' | 'inserter' | 'reader';

export interface HostUser {
  name: string;
  password: string;
  role: Role;
  /** Tables an inserter may write, as `db.table`. */
  insertInto?: string[];
}

export class AccessError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function authenticate(users: HostUser[], name: string, password: string): HostUser {
  const user = users.find((u) => u.name === name);
  // Compare digests so the time taken does not depend on where the strings differ.
  const ok = user !== undefined && timingSafeEqual(digest(user.password), digest(password));
  if (!ok || !user) {
    throw new AccessError(
      516,
      'AUTHENTICATION_FAILED',
      `${name}: Authentication failed: password is incorrect, or there is no user with such name.`,
    );
  }
  return user;
}

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN', 'CHECK']);

/** Leading keyword of a statement, skipping whitespace, comments and opening parentheses. */
export function leadingKeyword(sql: string): string {
  const stripped = sql.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()+/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? '').toUpperCase();
}

/** The `db.table` an INSERT writes to, with `database` as the default database. */
export function insertTarget(sql: string, database: string): string | undefined {
  const m = /^\s*INSERT\s+INTO\s+(?:TABLE\s+)?(`[^`]+`|"[^"]+"|[\w]+)(?:\s*\.\s*(`[^`]+`|"[^"]+"|[\w]+))?/i.exec(sql);
  if (!m?.[1]) return undefined;
  const unquote = (s: string) => s.replace(/^[`"]|[`"]$/g, '');
  return m[2] ? `${unquote(m[1])}.${unquote(m[2])}` : `${database}.${unquote(m[1])}`;
}

export function authorize(user: HostUser, sql: string, database: string): void {
  if (user.role === 'admin') return;
  const keyword = leadingKeyword(sql);
  if (READ_KEYWORDS.has(keyword)) return;
  if (user.role === 'inserter' && keyword === 'INSERT') {
    const target = insertTarget(sql, database);
    if (target && user.insertInto?.includes(target)) return;
    throw new AccessError(
      497,
      'ACCESS_DENIED',
      `${user.name}: Not enough privileges. To execute this query, it's necessary to have the grant INSERT ON ${target ?? 'the target table'}.`,
    );
  }
  throw new AccessError(
    164,
    'READONLY',
    `${user.name}: Cannot execute query in readonly mode: ${keyword || 'this statement'} needs a user with more privileges.`,
  );
}
