/** What the embedded stack needs to know to run one service. */
import { UsageError } from '../../errors.js';
import type { StackPaths } from '../../paths.js';
import type { LaunchSpec } from '../process.js';

export const HOST = '127.0.0.1';

/** A problem the user fixes on this machine (a missing tool): the stack exits 2. */
export class SetupError extends UsageError {
  override name = 'SetupError';
}

export interface StackContext {
  paths: StackPaths;
  log: (line: string) => void;
  /** The environment every service starts with (the kit's .env layers merged in). */
  env: NodeJS.ProcessEnv;
}

export interface ServiceDef {
  name: string;
  title: string;
  /** Ports the service binds on 127.0.0.1. */
  ports: number[];
  /** The address clients use, shown by `stack:status`. */
  endpoint: string;
  /** Services that must be ready first. */
  after: string[];
  readyTimeoutMs: number;
  /** Writes config files, formats storage; runs before every start. */
  prepare(ctx: StackContext): Promise<void> | void;
  launch(ctx: StackContext): LaunchSpec;
  ready(ctx: StackContext): Promise<boolean>;
  /** Why the running process no longer matches what a start would give it (it is then restarted); undefined when it does. */
  outdated?(ctx: StackContext): string | undefined;
  /** Runs once the service is ready (also when it was already running). */
  afterReady?(ctx: StackContext): Promise<void>;
}
