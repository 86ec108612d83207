/**
 * Sets `key = value` pairs in the SETTINGS clause of the CREATE TABLE statements whose engine
 * is `engine` (replacing a key already set, appending one that is not). Values are SQL literals,
 * as written in the DDL: `2`, `'stream'`.
 */
export function withTableSettings(statements: string[], engine: string, settings: Record<string, string>): string[] {
  const keys = Object.keys(settings);
  if (keys.length === 0) return statements;
  let matched = false;
  const out = statements.map((sql) => {
    const at = sql.search(new RegExp(`\\bENGINE\\s*=\\s*${engine}\\b[\\s\\S]*?\\bSETTINGS\\b`, 'i'));
    if (!/^\s*CREATE\s+TABLE\b/i.test(sql) || at < 0) return sql;
    matched = true;
    const head = sql.slice(0, sql.toUpperCase().indexOf('SETTINGS', at) + 'SETTINGS'.length);
    const pairs = splitSettings(sql.slice(head.length));
    for (const key of keys) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`not a setting name: ${JSON.stringify(key)}`);
      const i = pairs.findIndex((p) => p.key === key);
      if (i >= 0) pairs[i] = { key, value: settings[key]! };
      else pairs.push({ key, value: settings[key]! });
    }
    return `${head}\n${pairs.map((p) => `    ${p.key} = ${p.value}`).join(',\n')}`;
  });
  if (!matched) throw new Error(`no CREATE TABLE with ENGINE = ${engine} and a SETTINGS clause`);
  return out;
}

/** `a = 1, b = 'x, y'` into pairs; commas inside quotes stay in their value. */
function splitSettings(text: string): { key: string; value: string }[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" && text[i - 1] !== '\\') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return { key: p.slice(0, eq).trim(), value: p.slice(eq + 1).trim() };
    });
}
