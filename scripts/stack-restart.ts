import { command, run, UsageError } from '../src/cli.js';
import { EmbeddedStack, SERVICES } from '../src/stack/stack.js';

const program = command('stack:restart', `Restart embedded services by name (${SERVICES.map((s) => s.name).join(', ')}); with none, all of them.`)
  .argument('[services...]', 'services to restart')
  .option('--kill', 'end them with SIGKILL instead of a clean stop (for fault rehearsals)');

await run(program, async () => {
  const names = program.args.length > 0 ? program.args : SERVICES.map((s) => s.name);
  const unknown = names.filter((n) => !SERVICES.some((s) => s.name === n));
  if (unknown.length > 0) throw new UsageError(`unknown service ${unknown.join(', ')}; known: ${SERVICES.map((s) => s.name).join(', ')}`);
  const { kill } = program.opts<{ kill?: boolean }>();
  const stack = new EmbeddedStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  for (const name of names) {
    const outcome = kill ? await stack.stop(name, 0) : await stack.stop(name);
    process.stderr.write(`[stack] ${name}: ${outcome}\n`);
  }
  await stack.up();
});
