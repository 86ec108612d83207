/**
 * The type conformance suite on the embedded stack: every Avro type of the catalogue through
 * both legs, each value compared with the topic's record. The README's table must be what this
 * run measures (a change in a leg, the connector or ClickHouse shows here first), and no value
 * may vanish without a row, a dead letter or an error row.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentTable, renderConformance } from '../../src/conformance/render.js';
import { runConformance } from '../../src/conformance/run.js';
import { TYPE_CASES } from '../../src/conformance/catalogue.js';
import { projectRoot } from '../../src/paths.js';

describe('type conformance', () => {
  it("measures what the README's table says, type by type, and loses no value", { timeout: 900_000 }, async () => {
    const result = await runConformance({ timeoutMs: 300_000 });
    expect(result.cases.map((c) => c.name)).toEqual(TYPE_CASES.map((c) => c.name));
    const lost = result.cases.flatMap((c) => c.values.filter((v) => v.connector.kind === 'lost' || v.kafka_engine.kind === 'lost').map((v) => `${c.title}: ${v.label}`));
    expect(lost, 'values with no row, no dead letter and no error row').toEqual([]);
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    expect(renderConformance(result), "README.md's conformance table is not what this run measured: run `npm run conformance -- --write` and review the change").toBe(currentTable(readme));
  });
});
