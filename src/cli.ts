/**
 * What every command shares: exit codes (0 ok, 1 a failure found or a service
 * failed, 2 bad input or an unreachable service), error printing, tables.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import { ConfigError } from './config.js';

/** Bad input or an unreachable service: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);
/** ClickHouse's codes for a user or password it does not accept. */
const AUTH_CODES = new Set(['516', '192', '193', '194']);

/**
 * Errors the user fixes (bad input, a service that does not answer, credentials a
 * service refuses) as a message and exit 2; anything else exit 1.
 */
export function classifyError(e: unknown): { exitCode: number; message: string } {
  const err = e as { message?: string; code?: unknown; exitCode?: unknown; cause?: { code?: unknown } };
  const message = err?.message ?? String(e);
  if (e instanceof UsageError || e instanceof ConfigError) return { exitCode: 2, message };
  const code = String(err?.code ?? err?.cause?.code ?? '');
  if (UNREACHABLE.has(code)) return { exitCode: 2, message: `${message} (${code}: the service does not answer; check its URL in the config and that the stack is up)` };
  if (AUTH_CODES.has(code)) return { exitCode: 2, message: `${message} (check the ClickHouse user and password in .env)` };
  return { exitCode: typeof err?.exitCode === 'number' ? err.exitCode : 1, message };
}


/** Commander with the kit's conventions: bad flags exit 2 with the usage hint. */
export function command(name: string, description: string): Command {
  return new Command(name)
    .description(description)
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
      process.exit(e.exitCode === 0 ? 0 : 2);
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
