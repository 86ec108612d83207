import { command, printJson, run } from '../src/cli.js';
import { EmbeddedStack } from '../src/stack/stack.js';

const program = command('stack:down', 'Stop every process the embedded stack started (by its recorded PID). Data is kept.')
  .option('--json', 'print the result as JSON');

await run(program, async () => {
  const { json } = program.opts<{ json?: boolean }>();
  const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  const outcomes = await stack.down();
  if (json) printJson(outcomes);
  else console.log(outcomes.map((o) => `${o.name}: ${o.outcome}`).join('\n'));
});
