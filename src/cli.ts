/**
 * What every command shares: the exit codes of errors.ts (printed once, here, in `run`),
 * commander's conventions, tables and JSON.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import { classifyError, EXIT, EXIT_CODES_HELP } from './errors.js';

export { UsageError } from './errors.js';

/** Commander with the kit's conventions: bad flags exit 2 with the usage hint. */
export function command(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** Parses argv and runs `main`, turning errors into messages and exit codes. */
export async function run(program: Command, main: () => Promise<number | void>): Promise<void> {
  try {
    program.parse(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; anything else is bad input.
      process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    throw e;
  }
  let code: number;
  try {
    code = (await main()) ?? 0;
  } catch (e) {
    const classified = classifyError(e);
    code = classified.exitCode;
    process.stderr.write(`error: ${classified.message}\n`);
  }
  process.exitCode = code;
}

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A commander argument parser for an integer flag with a lower bound. */
export function int(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}
