/**
 * The README against the code it describes: the type mapping table is the mapping's own, the
 * configuration table names exactly the variables the config reads, and every `npm run X` it
 * shows is a script of package.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config.js';
import { projectRoot } from '../../src/paths.js';
import { mappingTableMarkdown } from '../../src/pipeline/mapping.js';

const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
const scripts = Object.keys((JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

/** The lines of the README's section `## title`. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README section "## ${title}"`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README', () => {
  it("holds the mapping's own table (src/pipeline/mapping.ts MAPPING_TABLE)", () => {
    expect(readme).toContain(mappingTableMarkdown());
  });

  it('documents exactly the variables the config reads, and the kit-wide ones read elsewhere', () => {
    const table = section('Configuration');
    const documented = [...table.matchAll(/^\| `([A-Z0-9_]+)`(?: \/ `(_PASSWORD)`)?/gm)].flatMap((m) => (m[2] ? [m[1]!, m[1]!.replace(/_USER$/, m[2])] : [m[1]!]));
    const read = Object.keys(EnvSchema.shape);
    const elsewhere = ['KIT_PIPELINES_DIR', 'KIT_CONNECT_PROFILE', 'KIT_STACK_DIR', 'KIT_CLICKHOUSE_CONNECTOR_SRC', 'KIT_CLICKHOUSE_CONNECTOR_ZIP', 'KIT_PYTHON'];
    expect([...documented].sort()).toEqual([...read, ...elsewhere].sort());
  });

  it('shows only npm scripts that exist', () => {
    const shown = new Set([...readme.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => m[1]!));
    expect([...shown].filter((s) => !scripts.includes(s))).toEqual([]);
  });
});
