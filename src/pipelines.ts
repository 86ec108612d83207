/**
 * What commands share about pipelines: the `--pipeline` option, and the chosen pipelines
 * with their schemas read (a file, or the registry's subject) and mapped to columns, all
 * checked before a command does anything.
 */
import type { Command } from 'commander';
import type { KitConfig } from './config.js';
import type { ParsedType } from './pipeline/avro.js';
import { loadPipelines, type Pipeline } from './pipeline/definition.js';
import { checkKeyField, choosePipelines, pipelineKeySchema, pipelineSchema, pipelinesDir, type PipelineSchema } from './pipeline/load.js';
import { subjectReader } from './registry/registry.js';

export interface ResolvedPipeline {
  pipeline: Pipeline;
  schema: PipelineSchema;
  keySchema?: ParsedType;
}

/** Adds `--pipeline`; `all` says whether the command takes several pipelines. */
export function pipelineOption(cmd: Command, all: boolean, byDefault = 'KIT_PIPELINE, else the pipeline marked default, else the only one'): Command {
  return cmd.option(
    '--pipeline <name>',
    all
      ? `the pipeline(s) in pipelines/ to act on: a name, names joined by commas, or all (default: ${byDefault})`
      : `the pipeline in pipelines/ to act on (default: ${byDefault})`,
  );
}

/** Every pipeline definition, checked (for commands that look at all of them). */
export function allPipelines(config: KitConfig): Pipeline[] {
  return loadPipelines(pipelinesDir(), { database: config.clickhouse.database });
}

/** A pipeline's schemas, read and checked (a registry subject needs the registry). */
export async function resolvePipeline(config: KitConfig, pipeline: Pipeline): Promise<ResolvedPipeline> {
  const schema = await pipelineSchema(pipeline, subjectReader(config.registry.url));
  checkKeyField(pipeline, schema);
  const keySchema = pipelineKeySchema(pipeline);
  return { pipeline, schema, ...(keySchema ? { keySchema } : {}) };
}

/** The pipelines a command acts on, each resolved; any problem is bad input before anything is done. */
export async function resolvePipelines(config: KitConfig, requested: string | undefined, allowAll: boolean): Promise<ResolvedPipeline[]> {
  const chosen = choosePipelines({ requested: requested ?? config.pipeline, allowAll, database: config.clickhouse.database });
  const out: ResolvedPipeline[] = [];
  for (const p of chosen) out.push(await resolvePipeline(config, p));
  return out;
}
