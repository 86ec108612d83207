import { describe, expect, it } from 'vitest';
import { UsageError as CliUsageError } from '../../src/cli.js';
import { ConfigError } from '../../src/config.js';
import { WorkerUnreachableError } from '../../src/connect/rest.js';
import { classifyError, EXIT, EXIT_CODES_HELP, FoundError, KitError, ServiceUnreachableError, UsageError } from '../../src/errors.js';
import { PipelineError } from '../../src/pipeline/definition.js';
import { UnsupportedTypeError } from '../../src/pipeline/mapping.js';
import { TemplateError } from '../../src/clickhouse/ddl.js';
import { IncompatibleSchemaError } from '../../src/registry/registry.js';
import { SetupError } from '../../src/stack/services/types.js';
import { StackError } from '../../src/stack/stack.js';

/** An error as a library throws it: a message, and fields set on it. */
function libraryError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('classifyError', () => {
  it("takes a kit error's own exit code and message", () => {
    expect(classifyError(new UsageError('bad flag'))).toEqual({ exitCode: 2, message: 'bad flag' });
    expect(classifyError(new ServiceUnreachableError('no broker'))).toEqual({ exitCode: 3, message: 'no broker' });
    expect(classifyError(new FoundError('parity differs'))).toEqual({ exitCode: 1, message: 'parity differs' });
    expect(classifyError(new KitError('as said', EXIT.crash))).toEqual({ exitCode: 4, message: 'as said' });
  });

  it("gives the kit's subclasses their parent's code", () => {
    expect(classifyError(new ConfigError('x')).exitCode).toBe(EXIT.usage);
    expect(classifyError(new PipelineError('x')).exitCode).toBe(EXIT.usage);
    expect(classifyError(new UnsupportedTypeError('s.avsc', [])).exitCode).toBe(EXIT.usage);
    expect(classifyError(new WorkerUnreachableError('the worker is unreachable')).exitCode).toBe(EXIT.unreachable);
    // cli.ts re-exports the one UsageError.
    expect(CliUsageError).toBe(UsageError);
  });

  it("gives the stack's, the registry's and the DDL templates' errors their codes, not a crash's", () => {
    expect(classifyError(new StackError('port 127.0.0.1:9092 is already taken', 2)).exitCode).toBe(EXIT.usage);
    expect(classifyError(new StackError('kafka did not become ready')).exitCode).toBe(EXIT.difference);
    expect(classifyError(new SetupError('java was not found')).exitCode).toBe(EXIT.usage);
    expect(classifyError(new IncompatibleSchemaError('orders-value', ['field x'])).exitCode).toBe(EXIT.usage);
    expect(classifyError(new TemplateError('{{x}} has no value')).exitCode).toBe(EXIT.usage);
  });

  it('reads a service that does not answer from the error code, on the error or its cause: exit 3', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED']) {
      const c = classifyError(libraryError('connect failed', { code }));
      expect(c.exitCode, code).toBe(3);
      expect(c.message).toBe(`connect failed (${code}: the service does not answer; check its URL in the config and that the stack is up)`);
    }
    expect(classifyError(new Error('fetch failed', { cause: { code: 'ECONNREFUSED' } })).exitCode).toBe(3);
  });

  it("reads ClickHouse's codes for a refused user or password as bad input: exit 2", () => {
    for (const code of ['516', '192', '193', '194']) {
      const c = classifyError(libraryError('Authentication failed', { code }));
      expect(c.exitCode, code).toBe(2);
      expect(c.message).toBe('Authentication failed (check the ClickHouse user and password in .env)');
    }
    expect(classifyError(new Error('wrapped', { cause: libraryError('auth', { code: '516' }) })).exitCode).toBe(2);
    expect(classifyError(libraryError('Unknown table', { code: '60' })).exitCode).toBe(4);
  });

  it('reads a KafkaJS connection failure, which names no errno, as a broker that does not answer: exit 3', () => {
    for (const name of ['KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded']) {
      const c = classifyError(libraryError('Connection error', { name }));
      expect(c.exitCode, name).toBe(3);
      expect(c.message).toMatch(/^Connection error \(the Kafka broker does not answer; check KAFKA_BOOTSTRAP_SERVERS/);
    }
  });

  it('calls anything else a crash, exit 4, with where it happened', () => {
    const c = classifyError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(c.exitCode).toBe(4);
    expect(c.message).toMatch(/^Cannot read properties of undefined \(reading 'x'\)\n\(an unexpected error: exit 4\)\n {4}at /);
    expect(classifyError('a string').exitCode).toBe(4);
    expect(classifyError('a string').message).toMatch(/^a string\n\(an unexpected error: exit 4\)/);
    expect(classifyError(undefined).exitCode).toBe(4);
  });

  it('states the codes as --help does', () => {
    expect(EXIT).toEqual({ ok: 0, difference: 1, usage: 2, unreachable: 3, crash: 4 });
    expect(EXIT_CODES_HELP).toBe('Exit codes: 0 ok, 1 a difference or failure found, 2 bad input or usage, 3 a service does not answer, 4 an unexpected error.');
  });
});
