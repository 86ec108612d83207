/**
 * Pipelines of their own for tests and benchmarks: a definition written into a directory of
 * their own (pointed at by KIT_PIPELINES_DIR for the kit's commands), with a database, topic,
 * consumer group and connector no other pipeline uses.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parsePipelineFile, resolvePipeline, type Pipeline, type PipelineFile } from './definition.js';

/** A pipeline definition as written in a file (the schema's parsing does the defaults). */
export type PipelineInput = Omit<Partial<PipelineFile>, 'name' | 'schema'> & { name: string; schema: { file: string } | { subject: string; version?: number | 'latest' } };

/**
 * Writes `def` as `<dir>/<name>.yaml` (a schema file is given by absolute path) and returns the
 * pipeline as the kit reads it back, so a definition the kit would refuse fails here.
 */
export function writePipeline(dir: string, def: PipelineInput, database: string): Pipeline {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${def.name}.yaml`);
  const body = 'file' in def.schema ? { ...def, schema: { file: path.resolve(def.schema.file) } } : def;
  const text = YAML.stringify(body);
  writeFileSync(file, text);
  return resolvePipeline(parsePipelineFile(file, text), file, { database });
}

/** A pipeline of `schemaFile` named after `tag`: its database is the isolated kit's, every other name derived from the tag. */
export function isolatedPipeline(dir: string, tag: string, database: string, schemaFile: string, extra: Omit<PipelineInput, 'name' | 'schema'> = {}): Pipeline {
  return writePipeline(
    dir,
    {
      name: tag,
      ...extra,
      schema: { file: schemaFile },
      topic: { partitions: 3, replication: 1, ...extra.topic, name: tag },
      clickhouse: { ...extra.clickhouse, database },
      connector: { exactlyOnce: false, tasksMax: 1, maxPollRecords: 5000, name: `it-${tag}`, ...extra.connector },
      kafkaEngine: { consumers: 1, skipBrokenMessages: 0, errorMode: 'stream', flushIntervalMs: 1000, ...extra.kafkaEngine, group: `${tag}_ch` },
    },
    database,
  );
}
