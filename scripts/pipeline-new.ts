import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { command, int, printJson, run } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { pipelineDdl } from '../src/pipeline/ddl.js';
import { checkTogether, loadPipelines, parsePipelineFile, resolvePipeline, type PipelineFile } from '../src/pipeline/definition.js';
import { checkKeyField, pipelinesDir, readSchemaFile, schemaFromText } from '../src/pipeline/load.js';
import { describeColumns } from '../src/pipeline/mapping.js';

const program = command(
  'pipeline:new',
  'Write a pipeline definition (pipelines/<name>.yaml) for a topic and its Avro schema: the schema is read and mapped to both legs\' columns first (a type a leg cannot carry is refused, naming the field), the file is never overwritten, and the DDL it derives is printed with what to run next.',
)
  .requiredOption('--name <name>', 'the pipeline\'s name: lowercase letters, digits and "_" (it names the tables)')
  .requiredOption('--schema <file.avsc>', 'the Avro schema of the topic\'s values (a record); the definition refers to it by its path')
  .option('--topic <name>', 'the topic (default: the name)')
  .option('--partitions <n>', 'partitions of the topic when sql:apply creates it', int('--partitions', 1), 3)
  .option('--key-field <field>', 'a top-level field whose text is each record\'s key (default: records without keys)')
  .option('--key-schema <file.avsc>', 'or an Avro schema for the keys')
  .option('--database <name>', 'the ClickHouse database of its tables (default: CLICKHOUSE_DATABASE)')
  .option('--exactly-once', "the sink connector's exactly-once mode")
  .option('--default', 'make it the pipeline commands use when none is named')
  .option('--json', 'print what was written as JSON');

await run(program, async () => {
  const o = program.opts<{ name: string; schema: string; topic?: string; partitions: number; keyField?: string; keySchema?: string; database?: string; exactlyOnce?: boolean; default?: boolean; json?: boolean }>();
  if (o.keyField && o.keySchema) throw new UsageError('give --key-field or --key-schema, not both');
  const config = loadConfig();
  const dir = pipelinesDir();
  const file = path.join(dir, `${o.name}.yaml`);
  if (existsSync(file)) throw new UsageError(`${file} exists; pipeline:new never overwrites a definition (edit it, or choose another --name)`);
  const schemaFile = path.resolve(o.schema);
  // The schema first: a type a leg cannot carry is refused before anything is written.
  const schema = schemaFromText(readSchemaFile(schemaFile).text, o.schema);

  const rel = (f: string) => path.relative(dir, path.resolve(f)) || f;
  const def: Record<string, unknown> = {
    name: o.name,
    ...(o.default ? { default: true } : {}),
    topic: { ...(o.topic ? { name: o.topic } : {}), partitions: o.partitions },
    schema: { file: rel(schemaFile) },
    ...(o.keyField ? { key: { field: o.keyField } } : o.keySchema ? { key: { schema: rel(o.keySchema) } } : {}),
    ...(o.database ? { clickhouse: { database: o.database } } : {}),
    ...(o.exactlyOnce ? { connector: { exactlyOnce: true } } : {}),
  };
  const text = `# Written by \`npm run pipeline:new\`; every name left out is derived from the pipeline's name.\n${YAML.stringify(def)}`;
  // Checked as the kit reads it, alone and beside the other pipelines, before it is written.
  const parsed: PipelineFile = parsePipelineFile(file, text);
  const pipeline = resolvePipeline(parsed, file, { database: config.clickhouse.database });
  checkKeyField(pipeline, schema);
  const others = loadPipelines(dir, { database: config.clickhouse.database });
  if (pipeline.isDefault && others.some((p) => p.isDefault)) throw new UsageError(`${others.find((p) => p.isDefault)!.file} is the default pipeline already; leave out --default, or remove default: true there first`);
  checkTogether([...others, pipeline]);

  writeFileSync(file, text);
  const ddl = pipelineDdl(pipeline, schema.columns, { brokerList: config.clickhouseKafka.brokerList, registryUrl: config.clickhouseKafka.registryUrl });
  const next = [
    `npm run sql:apply -- --pipeline ${o.name}`,
    `npm run connector:deploy -- --pipeline ${o.name}`,
    `npm run produce:avro -- --pipeline ${o.name} --count 1000 --json > ${o.name}-run.json`,
    `npm run verify:parity -- --pipeline ${o.name} --run ${o.name}-run.json --wait --content topic`,
  ];
  if (o.json) {
    printJson({ file, pipeline, columns: describeColumns(schema.columns), ddl, next });
    return;
  }
  console.log(`wrote ${path.relative(process.cwd(), file)}:\n\n${text}`);
  console.log(`columns of both legs (Avro -> ClickHouse):\n${describeColumns(schema.columns).map((l) => `  ${l}`).join('\n')}\n`);
  console.log(`the DDL sql:apply will apply:\n`);
  for (const f of ddl) for (const s of f.statements) console.log(`-- ${f.file}\n${s};\n`);
  console.log(`next:\n${next.map((l) => `  ${l}`).join('\n')}`);
});
