import { command, int, printJson, run, UsageError } from '../src/cli.js';
import { ensureTopic } from '../src/kafka.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from '../src/clickhouse/ddl.js';
import { loadConfig } from '../src/config.js';
import { checkSameGroup, inspect, kafkaEngineDrift, kafkaEngineObjects, type KafkaEngineObjects } from '../src/evolve/kafka-engine.js';

const program = command('sql:apply', 'Render the DDL in sql/ from the kit config and apply it to ClickHouse as the admin user. Idempotent.')
  .option('--dry-run', 'print the rendered statements, apply nothing')
  .option('--sql-dir <dir>', 'apply the .sql files of another directory (default: sql/)')
  .option('--partitions <n>', 'partitions of the topic when sql:apply creates it', int('--partitions', 1), 3)
  .option('--recreate-kafka-engine', "first drop the Kafka-engine table, its fan-out table and views, then apply: upgrades a kit database of an older layout (the consumer group keeps its committed offsets; a block in flight when it stops may be read again)")
  .option('--json', 'print what was applied as JSON');

/** Consumption stops first (the Kafka table's view, then the table), then the rest of its layout goes. */
function recreateStatements(db: string, o: KafkaEngineObjects): string[] {
  return [
    `DROP VIEW IF EXISTS ${db}.${o.queueView} SYNC`,
    `DROP TABLE IF EXISTS ${db}.${o.queue} SYNC`,
    `DROP VIEW IF EXISTS ${db}.${o.eventsView} SYNC`,
    `DROP VIEW IF EXISTS ${db}.${o.errorsView} SYNC`,
    `DROP TABLE IF EXISTS ${db}.${o.fanout} SYNC`,
  ];
}

await run(program, async () => {
  const opts = program.opts<{ dryRun?: boolean; json?: boolean; sqlDir?: string; partitions: number; recreateKafkaEngine?: boolean }>();
  const config = loadConfig();
  // Render everything first: a bad template applies nothing.
  let files;
  try {
    files = loadSqlFiles(templateValues(config), opts.sqlDir);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (files.length === 0) throw new UsageError(`no .sql files in ${opts.sqlDir ?? 'sql/'}`);
  if (opts.dryRun) {
    for (const f of files) for (const s of f.statements) console.log(`-- ${f.file}\n${s};\n`);
    return;
  }
  // The topic first, so the Kafka engine's consumer finds it when its table is created.
  if (await ensureTopic(config.kafka.brokers, config.topic, opts.partitions)) {
    if (!opts.json) console.error(`[sql] created topic ${config.topic} (${opts.partitions} partitions)`);
  }
  const client = clickhouseClient(config, 'admin');
  try {
    // IF NOT EXISTS keeps what a database already holds: an older Kafka-engine layout stays as
    // it is unless recreated, and is refused here before anything is applied.
    const db = config.clickhouse.database;
    const objects = kafkaEngineObjects(config);
    const state = await inspect(client, db);
    if (state.tables.has(objects.queue)) {
      checkSameGroup(state, config);
      const drift = opts.recreateKafkaEngine ? undefined : kafkaEngineDrift(state, objects, []);
      if (drift) {
        throw new UsageError(
          `${db}'s Kafka-engine tables are of an older layout (${drift}); applying sql/ would leave them so. ` +
            'Recreate them: npm run sql:apply -- --recreate-kafka-engine (the consumer group keeps its offsets)',
        );
      }
    }
    const recreate = opts.recreateKafkaEngine ? [{ file: '(--recreate-kafka-engine)', statements: recreateStatements(db, objects) }] : [];
    const applied = await applySql(client, [...recreate, ...files], (s) => {
      if (!opts.json) console.error(`[sql] ${s.file}: ${s.statement.split('\n')[0]} (${s.ms} ms)`);
    }).catch((e: Error) => {
      // A view that no longer fits a table of an older layout fails here.
      if (state.tables.has(objects.queue) && !opts.recreateKafkaEngine) e.message += ' (a Kafka-engine table of an older layout? npm run sql:apply -- --recreate-kafka-engine)';
      throw e;
    });
    if (opts.json) printJson({ applied: applied.length, statements: applied });
    else console.log(`applied ${applied.length} statements from ${files.length} files to ${config.clickhouse.url}`);
  } finally {
    await client.close();
  }
});
