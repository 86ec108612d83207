import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { command, int, printJson, run } from '../src/cli.js';
import { renderConformance, replaceTable, currentTable } from '../src/conformance/render.js';
import { runConformance } from '../src/conformance/run.js';
import { FoundError } from '../src/errors.js';
import { projectRoot } from '../src/paths.js';

const README = path.join(projectRoot, 'README.md');

const program = command(
  'conformance',
  "The type conformance suite on the running embedded stack: every Avro type the mapping names, with its edge values, through both legs (the official sink connector and the Kafka engine), each leg's rows compared with the topic's records (verify:parity --content topic): exact, stored differently (how), rejected (where it went), or lost. Prints the README's table.",
)
  .option('--write', "put the table in README.md (between its conformance markers)")
  .option('--check', 'exit 1 when the table in README.md is not what this run measured')
  .option('--timeout <seconds>', 'how long both legs may take to account for every record', int('--timeout', 1), 300)
  .option('--json', 'print the measurements as JSON');

await run(program, async () => {
  const o = program.opts<{ write?: boolean; check?: boolean; timeout: number; json?: boolean }>();
  const result = await runConformance({ timeoutMs: o.timeout * 1000, log: (l) => process.stderr.write(`[conformance] ${l}\n`) });
  const table = renderConformance(result);
  if (o.json) printJson(result);
  else console.log(table);
  const readme = readFileSync(README, 'utf8');
  if (o.write) {
    writeFileSync(README, replaceTable(readme, table));
    process.stderr.write(`[conformance] README.md's table written (${result.cases.length} types, ${(result.elapsedMs / 1000).toFixed(0)} s)\n`);
  }
  if (o.check && currentTable(readme) !== table) {
    throw new FoundError("README.md's conformance table is not what this run measured: run `npm run conformance -- --write` and review the change");
  }
});
