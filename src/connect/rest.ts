/**
 * The Kafka Connect REST client: axios, responses checked with zod, and the two kinds
 * of trouble that are worth waiting out:
 * - the worker not answering (starting, restarting): retried with exponential backoff,
 *   then a clear "unreachable" error (exit 3);
 * - 409 Conflict while the Connect group rebalances: retried until a deadline.
 * Everything else (4xx, 5xx) is an error at once, with the worker's own message.
 */
import axios, { AxiosError, type AxiosInstance, type Method } from 'axios';
import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import { ServiceUnreachableError } from '../errors.js';
import {
  ConnectorConfigMap,
  ConnectorStatus,
  ErrorBody,
  ExpandedConnectors,
  MessageBody,
  Offsets,
  PluginList,
  ServerInfo,
  ValidateResponse,
} from './api.js';

export interface RetryPolicy {
  /** Attempts while the worker does not answer at all. */
  unreachableAttempts: number;
  /** How long 409 (rebalance in progress) answers are retried. */
  rebalanceMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { unreachableAttempts: 6, rebalanceMs: 60_000, baseDelayMs: 250, maxDelayMs: 4_000 };

export interface ConnectClientOptions {
  url: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<unknown>;
  /** Told about each retry. */
  log?: (line: string) => void;
}

/** The worker answered with an error status. */
export class ConnectHttpError extends Error {
  override name = 'ConnectHttpError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${method} ${path} answered ${status}: ${detail}`);
  }
}

/** The worker did not answer after every retry: exit 3. */
export class WorkerUnreachableError extends ServiceUnreachableError {
  override name = 'WorkerUnreachableError';
}

const TRANSIENT_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

const seg = (s: string) => encodeURIComponent(s);

export function backoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

interface RequestOptions<S extends z.ZodType | undefined> {
  body?: unknown;
  schema?: S;
  /** Return undefined on 404 instead of throwing. */
  allow404?: boolean;
}

type Parsed<S> = S extends z.ZodType ? z.infer<S> : unknown;

export class ConnectClient {
  readonly url: string;
  private readonly http: AxiosInstance;
  private readonly policy: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private readonly log: (line: string) => void;

  constructor(options: ConnectClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.http = axios.create({
      baseURL: this.url,
      timeout: options.timeoutMs ?? 15_000,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      validateStatus: () => true,
      // Connect answers small JSON documents; never follow proxies from the environment.
      proxy: false,
    });
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.log = options.log ?? (() => {});
  }

  /** One call with the retry policy; 404 is returned only when `allow404`. */
  private async send(
    method: Method,
    path: string,
    body: unknown,
    allow404: boolean,
  ): Promise<{ status: number; data: unknown }> {
    const started = Date.now();
    let networkFailures = 0;
    let conflicts = 0;
    for (;;) {
      let res;
      try {
        res = await this.http.request({ method, url: path, data: body });
      } catch (e) {
        const code = (e as AxiosError).code ?? (e as Error).message;
        if (TRANSIENT_NETWORK.has(code) && networkFailures + 1 < this.policy.unreachableAttempts) {
          const wait = backoffMs(networkFailures++, this.policy);
          this.log(`worker ${this.url} not answering (${code}); retry ${networkFailures} in ${wait} ms`);
          await this.sleep(wait);
          continue;
        }
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        throw new WorkerUnreachableError(
          `the Kafka Connect worker at ${this.url} is unreachable (${code}) after ${networkFailures + 1} attempts over ${secs} s. ` +
            'Start it (`npm run stack:up` for the embedded stack, `docker compose up -d --wait` for Docker) or point CONNECT_URL at it.',
        );
      }
      if (res.status === 409 && Date.now() - started < this.policy.rebalanceMs) {
        const wait = backoffMs(conflicts++, this.policy);
        this.log(`${method} ${path}: 409, the Connect group is rebalancing; retry in ${wait} ms`);
        await this.sleep(wait);
        continue;
      }
      if (res.status >= 400 && !(res.status === 404 && allow404)) {
        const err = ErrorBody.safeParse(res.data);
        const detail = (err.success && err.data.message) || (typeof res.data === 'string' && res.data) || res.statusText;
        throw new ConnectHttpError(method.toUpperCase(), path, res.status, detail);
      }
      return { status: res.status, data: res.data };
    }
  }

  async request<S extends z.ZodType | undefined = undefined>(
    method: Method,
    path: string,
    options: RequestOptions<S> = {},
  ): Promise<Parsed<S> | undefined> {
    const res = await this.send(method, path, options.body, options.allow404 ?? false);
    if (res.status === 404) return undefined;
    if (!options.schema) return res.data as Parsed<S>;
    const parsed = options.schema.safeParse(res.data);
    if (!parsed.success) {
      throw new Error(`${method.toUpperCase()} ${this.url}${path}: unexpected answer: ${parsed.error.message}`);
    }
    return parsed.data as Parsed<S>;
  }

  private async need<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    return (await this.request(method, path, { schema, body })) as z.infer<S>;
  }

  serverInfo() {
    return this.need('GET', '/', ServerInfo);
  }

  connectorPlugins() {
    return this.need('GET', '/connector-plugins', PluginList);
  }

  validate(connectorClass: string, config: Record<string, string>) {
    return this.need('PUT', `/connector-plugins/${seg(connectorClass)}/config/validate`, ValidateResponse, config);
  }

  listConnectors() {
    return this.need('GET', '/connectors?expand=status&expand=info', ExpandedConnectors);
  }

  getConfig(name: string) {
    return this.request('GET', `/connectors/${seg(name)}/config`, { schema: ConnectorConfigMap, allow404: true });
  }

  /** Creates or updates; true when the connector was created. */
  async putConfig(name: string, config: Record<string, string>): Promise<boolean> {
    const res = await this.send('PUT', `/connectors/${seg(name)}/config`, config, false);
    return res.status === 201;
  }

  status(name: string) {
    return this.request('GET', `/connectors/${seg(name)}/status`, { schema: ConnectorStatus, allow404: true });
  }

  async restart(name: string, opts: { includeTasks: boolean; onlyFailed: boolean }): Promise<void> {
    await this.request('POST', `/connectors/${seg(name)}/restart?includeTasks=${opts.includeTasks}&onlyFailed=${opts.onlyFailed}`);
  }

  async pause(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${seg(name)}/pause`);
  }

  async resume(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${seg(name)}/resume`);
  }

  async stop(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${seg(name)}/stop`);
  }

  async delete(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${seg(name)}`);
  }

  offsets(name: string) {
    return this.need('GET', `/connectors/${seg(name)}/offsets`, Offsets);
  }

  async resetOffsets(name: string): Promise<string | undefined> {
    // The message is only shown, so an answer without one is no error.
    return MessageBody.safeParse(await this.request('DELETE', `/connectors/${seg(name)}/offsets`)).data?.message;
  }
}

/** A client for optional reads (health, parity's "is it deployed?"): it gives up after a few seconds. */
export function quickConnectClient(url: string): ConnectClient {
  return new ConnectClient({ url, timeoutMs: 5_000, retry: { unreachableAttempts: 2, baseDelayMs: 200, rebalanceMs: 5_000 } });
}
