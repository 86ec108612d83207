/**
 * Apicurio Registry 3 (its prebuilt Quarkus distribution from Maven Central), used
 * through its Confluent-compatible API at /apis/ccompat/v7. Schemas persist in an
 * H2 file under the stack's data dir.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { javaBin } from '../jvm.js';
import { httpOk } from '../probe.js';
import { HOST, type ServiceDef, type StackContext } from './types.js';

export const REGISTRY_PORT = 8081;
/** Where clients (the producer, ClickHouse's AvroConfluent) reach the Confluent-compatible API. */
export const REGISTRY_URL = `http://${HOST}:${REGISTRY_PORT}/apis/ccompat/v7`;
export const REGISTRY_VERSION = '3.0.9';
/** Apicurio's own v2 API, which its Kafka Connect converter (2.6.x) talks to. */
export const REGISTRY_V2_URL = `http://${HOST}:${REGISTRY_PORT}/apis/registry/v2`;

function runnerJar(ctx: StackContext): string {
  const dir = path.join(ctx.paths.base, 'registry', REGISTRY_VERSION);
  const jar = readdirSync(dir).find((f) => f.endsWith('-runner.jar'));
  if (!jar) throw new Error(`no Apicurio runner jar in ${dir}; run \`npm run stack:fetch\``);
  return path.join(dir, jar);
}

export const registry: ServiceDef = {
  name: 'registry',
  title: `Apicurio Registry ${REGISTRY_VERSION} (Confluent-compatible API)`,
  ports: [REGISTRY_PORT],
  endpoint: REGISTRY_URL,
  after: [],
  readyTimeoutMs: 60_000,
  prepare(ctx) {
    mkdirSync(path.join(ctx.paths.data, 'registry'), { recursive: true });
    mkdirSync(path.join(ctx.paths.run, 'registry-tmp'), { recursive: true });
  },
  launch(ctx) {
    const jar = runnerJar(ctx);
    return {
      name: 'registry',
      command: javaBin(),
      args: [
        '-Xms64m',
        '-Xmx512m',
        `-Djava.io.tmpdir=${path.join(ctx.paths.run, 'registry-tmp')}`,
        `-Dquarkus.http.host=${HOST}`,
        `-Dquarkus.http.port=${REGISTRY_PORT}`,
        `-Dquarkus.management.host=${HOST}`,
        `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(ctx.paths.data, 'registry', 'registry')}`,
        '-jar',
        jar,
      ],
      env: ctx.env,
      marker: jar,
    };
  },
  ready: () => httpOk(`${REGISTRY_URL}/subjects`),
  async afterReady() {
    // Global compatibility BACKWARD, as a Confluent registry has by default.
    const res = await fetch(`${REGISTRY_URL}/config`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (!res.ok) throw new Error(`setting the registry's global compatibility to BACKWARD failed: HTTP ${res.status} ${await res.text()}`);
  },
};
