/**
 * A kit of its own on the running embedded stack, for tests, benchmarks and the type
 * conformance suite: a database (`it_<tag>`, the isolated kits' users), a pipelines directory
 * holding its pipelines (each with a topic, consumer group and connector of its own), their
 * tables and topics, and what its commands need in their environment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseClient } from './clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from './clickhouse/ddl.js';
import type { KitConfig } from './config.js';
import { ensureTopic } from './kafka.js';
import { pipelineDdl } from './pipeline/ddl.js';
import type { Pipeline } from './pipeline/definition.js';
import { isolatedPipeline, type PipelineInput } from './pipeline/isolated.js';
import { resolvePipeline, type ResolvedPipeline } from './pipelines.js';
import { ISOLATED_USERS, isolatedKitConfig } from './stack/clickhouse/isolated-users.js';

export interface IsolatedKit {
  tag: string;
  config: KitConfig;
  /** The pipelines directory (KIT_PIPELINES_DIR of its commands). */
  dir: string;
  /** Adds a pipeline of a schema file, named `<tag>` or `<tag>_<suffix>`. */
  pipeline(schemaFile: string, extra?: Omit<PipelineInput, 'name' | 'schema'>, suffix?: string): Promise<ResolvedPipeline>;
  /** Creates a pipeline's topic and tables (and the kit's own tables) as sql:apply would. */
  setUp(r: ResolvedPipeline | Pipeline, columns?: ResolvedPipeline['schema']['columns']): Promise<void>;
  /** The environment that makes the kit's CLIs act on this kit. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** An admin client of the kit's ClickHouse (closed by drop). */
  admin: ClickHouseClient;
  /** Drops the database and the pipelines directory. */
  drop(): Promise<void>;
}

export function isolatedKit(prefix: string): IsolatedKit {
  const tag = `${prefix}_${Math.random().toString(16).slice(2, 10)}`.toLowerCase();
  const config = isolatedKitConfig(`it_${tag}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `kit-pipelines-${prefix}-`));
  const admin = clickhouseClient(config, 'admin');
  const endpoints = { brokerList: config.clickhouseKafka.brokerList, registryUrl: config.clickhouseKafka.registryUrl };
  return {
    tag,
    config,
    dir,
    admin,
    async pipeline(schemaFile, extra = {}, suffix) {
      const p = isolatedPipeline(dir, suffix ? `${tag}_${suffix}` : tag, config.clickhouse.database, schemaFile, extra);
      return resolvePipeline(config, p);
    },
    async setUp(r, columns) {
      const resolved = 'pipeline' in r ? r : await resolvePipeline(config, r);
      await ensureTopic(config.kafka.brokers, resolved.pipeline.topic);
      await applySql(admin, [...loadSqlFiles(templateValues(config)), ...pipelineDdl(resolved.pipeline, columns ?? resolved.schema.columns, endpoints)]);
    },
    env(extra = {}) {
      return {
        ...process.env,
        KIT_PIPELINES_DIR: dir,
        KIT_PIPELINE: '',
        CLICKHOUSE_DATABASE: config.clickhouse.database,
        CLICKHOUSE_CONNECTOR_USER: ISOLATED_USERS.connector,
        CLICKHOUSE_READER_USER: ISOLATED_USERS.reader,
        CLICKHOUSE_PARITY_USER: ISOLATED_USERS.parity,
        ...extra,
      };
    },
    async drop() {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database} SYNC` }).catch(() => undefined);
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
