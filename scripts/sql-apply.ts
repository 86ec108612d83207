import { command, int, printJson, run, UsageError } from '../src/cli.js';
import { ensureTopic } from '../src/kafka.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { applySql, loadSqlFiles, templateValues } from '../src/clickhouse/ddl.js';
import { loadConfig } from '../src/config.js';

const program = command('sql:apply', 'Render the DDL in sql/ from the kit config and apply it to ClickHouse as the admin user. Idempotent.')
  .option('--dry-run', 'print the rendered statements, apply nothing')
  .option('--sql-dir <dir>', 'apply the .sql files of another directory (default: sql/)')
  .option('--partitions <n>', 'partitions of the topic when sql:apply creates it', int('--partitions', 1), 3)
  .option('--json', 'print what was applied as JSON');

await run(program, async () => {
  const opts = program.opts<{ dryRun?: boolean; json?: boolean; sqlDir?: string; partitions: number }>();
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
    const applied = await applySql(client, files, (s) => {
      if (!opts.json) console.error(`[sql] ${s.file}: ${s.statement.split('\n')[0]} (${s.ms} ms)`);
    });
    if (opts.json) printJson({ applied: applied.length, statements: applied });
    else console.log(`applied ${applied.length} statements from ${files.length} files to ${config.clickhouse.url}`);
  } finally {
    await client.close();
  }
});
