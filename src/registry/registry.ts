/**
 * The schema registry as the producer uses it: a compatibility check against the
 * subject's latest version, registration, and encoding in the Confluent wire format
 * (through @kafkajs/confluent-schema-registry, which caches schema ids).
 * Works against Confluent's API root and Apicurio's `/apis/ccompat/v7` alike.
 */
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ServiceUnreachableError, UsageError } from '../errors.js';

/** A schema the subject's compatibility rule refuses: bad input (exit 2). */
export class IncompatibleSchemaError extends UsageError {
  override name = 'IncompatibleSchemaError';
  constructor(
    readonly subject: string,
    readonly reasons: string[],
  ) {
    super(`the schema is not compatible with the latest version of subject ${subject}: ${reasons.join('; ') || 'no reason given by the registry'}`);
  }
}

export interface CompatibilityResult {
  /** false when the subject has no version yet. */
  subjectExists: boolean;
  compatible: boolean;
  reasons: string[];
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class Registry {
  readonly client: SchemaRegistry;
  private readonly http: AxiosInstance;

  constructor(readonly url: string) {
    this.client = new SchemaRegistry({ host: url, retry: { retries: 2 } });
    this.http = axios.create({ baseURL: url, timeout: 10_000, headers: { 'Content-Type': CONTENT_TYPE, Accept: CONTENT_TYPE } });
  }

  /** Fails with a UsageError (exit 2) when nothing answers at the URL. */
  async ping(): Promise<void> {
    try {
      await this.http.get('/subjects');
    } catch (e) {
      throw new ServiceUnreachableError(`the schema registry at ${this.url} is unreachable (${describeHttpError(e)}); check SCHEMA_REGISTRY_URL and that the stack is up`);
    }
  }

  async checkCompatibility(subject: string, schema: string): Promise<CompatibilityResult> {
    try {
      const res = await this.http.post<{ is_compatible: boolean; messages?: string[] }>(
        `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`,
        { schema },
        { params: { verbose: true } },
      );
      return { subjectExists: true, compatible: res.data.is_compatible, reasons: res.data.messages ?? [] };
    } catch (e) {
      // 40401 subject not found / 40402 version not found: nothing to be compatible with yet.
      if (isAxiosError(e) && e.response?.status === 404) return { subjectExists: false, compatible: true, reasons: [] };
      throw new Error(`compatibility check for ${subject} failed: ${describeHttpError(e)}`);
    }
  }

  /** Checks compatibility first and refuses an incompatible schema with the registry's reasons. */
  async registerChecked(subject: string, schema: string): Promise<{ id: number; compatibility: CompatibilityResult }> {
    const compatibility = await this.checkCompatibility(subject, schema);
    if (!compatibility.compatible && compatibility.reasons.length > 0) throw new IncompatibleSchemaError(subject, compatibility.reasons);
    try {
      const res = await this.http.post<{ id: number }>(`/subjects/${encodeURIComponent(subject)}/versions`, { schema });
      if (!compatibility.compatible) {
        throw new IncompatibleSchemaError(subject, [`the compatibility check said incompatible, yet the registry registered it as id ${res.data.id}; check the subject's compatibility level`]);
      }
      return { id: res.data.id, compatibility };
    } catch (e) {
      // Registries that answer the check without reasons (Apicurio's ccompat API) give them on the refused registration.
      if (isAxiosError(e) && e.response?.status === 409) throw new IncompatibleSchemaError(subject, [describeHttpError(e)]);
      throw e;
    }
  }

  encode(id: number, value: unknown): Promise<Buffer> {
    return this.client.encode(id, value);
  }

  decode(buffer: Buffer): Promise<unknown> {
    return this.client.decode(buffer);
  }

  /** A schema's text by its id (the id a record carries in the Confluent wire format). */
  async schemaById(id: number): Promise<string> {
    const res = await this.http.get<{ schema: string }>(`/schemas/ids/${id}`);
    return res.data.schema;
  }

  async latestVersion(subject: string): Promise<{ id: number; version: number; schema: string } | undefined> {
    try {
      const res = await this.http.get<{ id: number; version: number; schema: string }>(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
      return res.data;
    } catch (e) {
      if (isAxiosError(e) && e.response?.status === 404) return undefined;
      throw e;
    }
  }
}

/** Reads a subject's schema (a version number or latest), for pipelines whose schema lives in the registry. */
export function subjectReader(url: string): (subject: string, version: number | 'latest') => Promise<{ schema: string; id: number; version: number }> {
  const http = axios.create({ baseURL: url, timeout: 10_000, headers: { Accept: CONTENT_TYPE } });
  return async (subject, version) => {
    try {
      const res = await http.get<{ id: number; version: number; schema: string }>(`/subjects/${encodeURIComponent(subject)}/versions/${version}`);
      return res.data;
    } catch (e) {
      if (isAxiosError(e) && e.response?.status === 404) throw new UsageError(`the registry at ${url} has no version ${version} of subject ${subject}`);
      if (isAxiosError(e) && !e.response) throw new ServiceUnreachableError(`the schema registry at ${url} is unreachable (${describeHttpError(e)})`);
      throw new Error(`reading subject ${subject} version ${version}: ${describeHttpError(e)}`);
    }
  };
}

export function describeHttpError(e: unknown): string {
  if (isAxiosError(e)) {
    if (e.response) {
      const body = e.response.data as { message?: string } | string | undefined;
      const message = typeof body === 'string' ? body : body?.message ?? JSON.stringify(body);
      return `HTTP ${e.response.status}: ${message}`;
    }
    return e.code ? `${e.code}${e.message ? `: ${e.message}` : ''}` : e.message;
  }
  return (e as Error).message ?? String(e);
}

export { SchemaType };
