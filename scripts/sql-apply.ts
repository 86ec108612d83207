import { readFileSync, writeFileSync } from 'node:fs';
import { command, printJson, run } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues, type SqlFile } from '../src/clickhouse/ddl.js';
import { lackingInsertGrants } from '../src/clickhouse/grants.js';
import { checkSameGroup, inspect, kafkaEngineDrift, lackingColumns } from '../src/clickhouse/kafka-engine-state.js';
import { checkClickHouse } from '../src/clickhouse/query.js';
import { DOCKER_USERS_FILE, kitUsersFor } from '../src/clickhouse/users.js';
import { loadConfig, resolveEnv } from '../src/config.js';
import { lintItems, assertLintClean } from '../src/connect/plan.js';
import { renderPipelineSinks } from '../src/connect/pipeline-sink.js';
import { UsageError } from '../src/errors.js';
import { connectAdmin, createTopic, kafkaClient, topicMismatch } from '../src/kafka.js';
import { kafkaEngineDropStatements, pipelineDdl } from '../src/pipeline/ddl.js';
import { allPipelines, pipelineOption, resolvePipelines, type ResolvedPipeline } from '../src/pipelines.js';
import { Registry } from '../src/registry/registry.js';
import { EmbeddedStack } from '../src/stack/stack.js';
import { waitUntil } from '../src/stack/probe.js';

const program = pipelineOption(
  command(
    'sql:apply',
    "Derive both legs' tables of each pipeline from its Avro schema and apply them to ClickHouse as the admin user, with the kit's own tables (sql/) and the pipelines' topics. Everything is checked first (schemas, topics, the registry, existing tables, the connector's config), so nothing is half-created. Idempotent.",
  ),
  true,
)
  .option('--print', 'print the DDL, apply nothing (talks to no service)')
  .option('--dry-run', 'same as --print')
  .option('--recreate-kafka-engine', "first drop the Kafka-engine table, its fan-out table and views, then apply: upgrades a database of an older layout (the consumer group keeps its committed offsets; a block in flight when it stops may be read again)")
  .option('--json', 'print what was applied as JSON');

const say = (json: boolean | undefined, line: string) => {
  if (!json) process.stderr.write(`[sql] ${line}\n`);
};

await run(program, async () => {
  const opts = program.opts<{ pipeline?: string; print?: boolean; dryRun?: boolean; json?: boolean; recreateKafkaEngine?: boolean }>();
  const env = resolveEnv();
  const config = loadConfig(env);
  const resolved = await resolvePipelines(config, opts.pipeline, true);
  const endpoints = { brokerList: config.clickhouseKafka.brokerList, registryUrl: config.clickhouseKafka.registryUrl };
  const files: SqlFile[] = [...loadSqlFiles(templateValues(config)), ...resolved.flatMap((r) => pipelineDdl(r.pipeline, r.schema.columns, endpoints))];
  if (opts.print || opts.dryRun) {
    for (const f of files) for (const s of f.statements) console.log(`-- ${f.file}\n${s};\n`);
    return;
  }

  // Everything is checked before anything is created.
  const all = allPipelines(config);
  assertLintClean(lintItems(renderPipelineSinks(config, env, resolved.map((r) => r.pipeline), all)));
  const registry = new Registry(config.registry.url);
  await registry.ping();
  for (const r of resolved) await checkRegistry(registry, r);
  const admin = await connectAdmin(kafkaClient(config.kafka.brokers), config.kafka.brokers);
  const client = clickhouseClient(config, 'admin');
  try {
    await checkClickHouse(client, config.clickhouse.url);
    for (const r of resolved) {
      const problem = await topicMismatch(admin, r.pipeline.topic);
      if (problem) throw new UsageError(`pipeline ${r.pipeline.name}: ${problem}`);
    }
    const recreate: SqlFile[] = [];
    for (const { pipeline: p, schema } of resolved) {
      const state = await inspect(client, p.database);
      const lacking = [p.tables.connector, p.tables.kafka].flatMap((t) => lackingColumns(state, t, schema.columns).map((c) => `${t}.${c}`));
      if (lacking.length > 0) {
        throw new UsageError(
          `pipeline ${p.name}: ${p.database} already has its tables without ${lacking.join(', ')} (the schema has changed since they were created); ` +
            `roll the change through both legs with \`npm run evolve -- --pipeline ${p.name} --to ${schema.source}\``,
        );
      }
      if (!state.tables.has(p.tables.kafkaQueue)) continue;
      checkSameGroup(state, p);
      if (opts.recreateKafkaEngine) {
        recreate.push({ file: `${p.name}: (--recreate-kafka-engine)`, statements: kafkaEngineDropStatements(p) });
        continue;
      }
      const drift = kafkaEngineDrift(state, p, schema.columns);
      if (drift) {
        throw new UsageError(
          `${p.database}'s Kafka-engine tables of pipeline ${p.name} are of an older layout (${drift}); applying would leave them so. ` +
            `Recreate them: npm run sql:apply -- --pipeline ${p.name} --recreate-kafka-engine (the consumer group keeps its offsets)`,
        );
      }
    }
    await grantConnector(config, env, client, resolved, opts.json);

    // Each topic before its tables, so the Kafka engine's consumer finds it.
    for (const r of resolved) {
      if (await createTopic(admin, r.pipeline.topic)) say(opts.json, `created topic ${r.pipeline.topic.name} (${r.pipeline.topic.partitions} partitions)`);
    }
    const applied = await applySql(client, [...recreate, ...files], (s) => say(opts.json, `${s.file}: ${s.statement.split('\n')[0]} (${s.ms} ms)`));
    if (opts.json) printJson({ pipelines: resolved.map((r) => r.pipeline.name), applied: applied.length, statements: applied });
    else console.log(`applied ${applied.length} statements for pipeline(s) ${resolved.map((r) => r.pipeline.name).join(', ')} to ${config.clickhouse.url}`);
  } finally {
    await client.close();
    await admin.disconnect();
  }
});

/** A local schema the topic's subject would refuse (its latest version is incompatible) is refused here. */
async function checkRegistry(registry: Registry, r: ResolvedPipeline): Promise<void> {
  if ('subject' in r.pipeline.schema) return;
  const subject = `${r.pipeline.topic.name}-value`;
  const verdict = await registry.checkCompatibility(subject, r.schema.parsed.text);
  if (verdict.subjectExists && !verdict.compatible) {
    throw new UsageError(
      `pipeline ${r.pipeline.name}: ${r.schema.source} is not compatible with the latest version of subject ${subject} in the registry` +
        `${verdict.reasons.length ? ` (${verdict.reasons.join('; ')})` : ''}: producers could not register it. ` +
        `Make the schema compatible, or roll a compatible change with \`npm run evolve\`.`,
    );
  }
}

/**
 * The connector's user may insert into each pipeline's table only: its grants name the tables,
 * so the kit's users file is written again for a new pipeline and the server reads it (the
 * embedded stack's ClickHouse is restarted by stack:up; the Docker stack's server reloads its
 * users files itself).
 */
async function grantConnector(config: ReturnType<typeof loadConfig>, env: Record<string, string | undefined>, client: ReturnType<typeof clickhouseClient>, resolved: ResolvedPipeline[], json?: boolean): Promise<void> {
  const pipelines = resolved.map((r) => r.pipeline);
  const user = config.clickhouse.connector.user;
  const lacking = await lackingInsertGrants(client, user, pipelines);
  if (lacking.length === 0) return;
  say(json, `${user} may not insert into ${lacking.join(', ')} yet: writing the kit's ClickHouse users with the pipelines' grants`);
  if (env.KIT_STACK === 'embedded') {
    await new EmbeddedStack({ log: (l) => say(json, l) }).up();
  } else {
    const xml = kitUsersFor(env);
    if (readFileSync(DOCKER_USERS_FILE, 'utf8') !== xml) writeFileSync(DOCKER_USERS_FILE, xml);
  }
  let still = lacking;
  const probe = async () => (still = await lackingInsertGrants(client, user, pipelines).catch(() => still)).length === 0;
  const reloaded = await waitUntil(`${user}'s grants`, probe, { timeoutMs: 30_000, intervalMs: 500 }).then(() => true, () => false);
  if (!reloaded) {
    throw new UsageError(
      `${user} still may not insert into ${still.join(', ')} after ${DOCKER_USERS_FILE} was written with the pipelines' grants; ` +
        'make the ClickHouse server read it (the Docker stack mounts it: `docker compose restart clickhouse`), then run sql:apply again',
    );
  }
}
