/**
 * The kit's one error tree and exit-code map, for every command:
 *
 *   0  ok: parity exact, healthy, applied
 *   1  a difference found: parity differs, a leg unhealthy, a connector or task FAILED
 *   2  bad input or usage: a flag, a file, a pipeline, a schema, the configuration, refused credentials
 *   3  a service does not answer: Kafka, the registry, Connect or ClickHouse
 *   4  the kit itself failed: an error it did not expect (a bug; the message says where)
 *
 * Modules throw these; `run` in cli.ts is the one place that prints an error and exits.
 */
export const EXIT = { ok: 0, difference: 1, usage: 2, unreachable: 3, crash: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that carries its exit code. */
export class KitError extends Error {
  override name = 'KitError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Bad input or usage: exit 2. */
export class UsageError extends KitError {
  override name = 'UsageError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, EXIT.usage, options);
  }
}

/** A service that does not answer: exit 3. */
export class ServiceUnreachableError extends KitError {
  override name = 'ServiceUnreachableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, EXIT.unreachable, options);
  }
}

/** A difference or failure the command found (a connector FAILED, a leg not exact): exit 1. */
export class FoundError extends KitError {
  override name = 'FoundError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, EXIT.difference, options);
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED']);
/** ClickHouse's codes for a user or password it does not accept. */
const AUTH_CODES = new Set(['516', '192', '193', '194']);

/** The exit code and message of any error; errors outside the tree are mapped by what they carry. */
export function classifyError(e: unknown): { exitCode: ExitCode; message: string } {
  const err = e as { message?: string; code?: unknown; cause?: { code?: unknown } };
  const message = err?.message ?? String(e);
  if (e instanceof KitError) return { exitCode: e.exitCode, message };
  const code = String(err?.code ?? err?.cause?.code ?? '');
  if (UNREACHABLE.has(code)) return { exitCode: EXIT.unreachable, message: `${message} (${code}: the service does not answer; check its URL in the config and that the stack is up)` };
  if (AUTH_CODES.has(code)) return { exitCode: EXIT.usage, message: `${message} (check the ClickHouse user and password in .env)` };
  // A KafkaJS connection failure names no errno.
  if ((e as Error)?.name === 'KafkaJSConnectionError' || (e as Error)?.name === 'KafkaJSNumberOfRetriesExceeded') {
    return { exitCode: EXIT.unreachable, message: `${message} (the Kafka broker does not answer; check KAFKA_BOOTSTRAP_SERVERS and that the stack is up)` };
  }
  const stack = (e as Error)?.stack?.split('\n').slice(1, 4).join('\n') ?? '';
  return { exitCode: EXIT.crash, message: `${message}\n(an unexpected error: exit 4)${stack ? `\n${stack}` : ''}` };
}

/** The exit codes as `--help` and the README state them. */
export const EXIT_CODES_HELP = 'Exit codes: 0 ok, 1 a difference or failure found, 2 bad input or usage, 3 a service does not answer, 4 an unexpected error.';
