import { command, printJson, run, table } from '../src/cli.js';
import { clickhouseClient } from '../src/clickhouse/client.js';
import { tableExists } from '../src/clickhouse/query.js';
import { loadConfig } from '../src/config.js';
import { quickConnectClient } from '../src/connect/rest.js';
import { connectAdmin, kafkaClient } from '../src/kafka.js';
import { pipelinesDir } from '../src/pipeline/load.js';
import { allPipelines } from '../src/pipelines.js';

const program = command(
  'pipeline:list',
  'Every pipeline in pipelines/ with its state: whether its topic exists (and its partitions), whether its tables exist, and its connector\'s state on the Connect worker. A service that does not answer is said in its column.',
).option('--json', 'print the list as JSON');

interface Row {
  name: string;
  default: boolean;
  topic: string;
  topicState: string;
  schema: string;
  database: string;
  tables: string;
  connector: string;
  connectorState: string;
}

await run(program, async () => {
  const o = program.opts<{ json?: boolean }>();
  const config = loadConfig();
  const pipelines = allPipelines(config);
  if (pipelines.length === 0) {
    console.log(`no pipelines in ${pipelinesDir()}; write one with \`npm run pipeline:new -- --name N --topic T --schema F.avsc\``);
    return;
  }
  // Each service is asked once; one that does not answer leaves its column unknown.
  const kafka = kafkaClient(config.kafka.brokers, 'kit-pipeline-list');
  const admin = await connectAdmin(kafka, config.kafka.brokers).catch((e: Error) => e);
  const topics = admin instanceof Error ? admin : await admin.listTopics();
  const ch = clickhouseClient(config, 'reader');
  const connect = quickConnectClient(config.connect.url);
  const rows: Row[] = [];
  try {
    for (const p of pipelines) {
      let topicState: string;
      if (topics instanceof Error) topicState = `? (Kafka: ${topics.message.split(';')[0]})`;
      else if (!topics.includes(p.topic.name)) topicState = 'absent';
      else {
        const meta = await (admin as Exclude<typeof admin, Error>).fetchTopicMetadata({ topics: [p.topic.name] });
        const n = meta.topics[0]?.partitions.length ?? 0;
        topicState = n === p.topic.partitions ? `${n} partitions` : `${n} partitions (the pipeline says ${p.topic.partitions})`;
      }
      let tables: string;
      try {
        const names = [p.tables.connector, p.tables.kafka, p.tables.kafkaQueue];
        const present: string[] = [];
        for (const t of names) if (await tableExists(ch, p.database, t)) present.push(t);
        tables = present.length === names.length ? 'all' : present.length === 0 ? 'none' : `${present.length} of ${names.length} (${names.filter((t) => !present.includes(t)).join(', ')} missing)`;
      } catch (e) {
        tables = `? (ClickHouse: ${(e as Error).message.split('\n')[0]})`;
      }
      let connectorState: string;
      try {
        const s = await connect.status(p.connector.name);
        connectorState = s ? `${s.connector.state}, tasks ${s.tasks.map((t) => t.state).join(' ') || 'none'}` : 'not deployed';
      } catch (e) {
        connectorState = `? (Connect: ${(e as Error).message.split('\n')[0]})`;
      }
      rows.push({
        name: p.name,
        default: p.isDefault,
        topic: p.topic.name,
        topicState,
        schema: 'file' in p.schema ? p.schema.file : `${p.schema.subject} version ${p.schema.version}`,
        database: p.database,
        tables,
        connector: p.connector.name,
        connectorState,
      });
    }
  } finally {
    await ch.close();
    if (!(admin instanceof Error)) await admin.disconnect();
  }
  if (o.json) {
    printJson({ dir: pipelinesDir(), pipelines: rows });
    return;
  }
  console.log(
    table(
      ['pipeline', 'topic', 'topic state', 'tables', 'connector', 'connector state'],
      rows.map((r) => [`${r.name}${r.default ? ' (default)' : ''}`, r.topic, r.topicState, `${r.database}: ${r.tables}`, r.connector, r.connectorState]),
    ),
  );
});
