/** A pipeline's two legs as parity checks them, and whether its connector is deployed. */
import type { KitConfig } from '../config.js';
import { quickConnectClient } from '../connect/rest.js';
import type { Pipeline } from '../pipeline/definition.js';
import type { LegSpec } from './model.js';

/** Overrides of the legs' names (verify:parity's flags). */
export interface LegOverrides {
  connectorTable?: string;
  kafkaTable?: string;
  errorsTable?: string;
  dlqTopic?: string;
}

/** The connector leg and the Kafka-engine leg of a pipeline. */
export function legsOf(p: Pipeline, overrides: LegOverrides = {}): LegSpec[] {
  return [
    { name: 'connector', database: p.database, table: overrides.connectorTable ?? p.tables.connector, group: p.connector.group, dlqTopic: overrides.dlqTopic ?? p.connector.dlqTopic },
    { name: 'kafka_engine', database: p.database, table: overrides.kafkaTable ?? p.tables.kafka, group: p.kafkaEngine.group, errorsTable: overrides.errorsTable ?? p.tables.kafkaErrors },
  ];
}

/**
 * Asks the Connect worker whether the pipeline's connector exists. Undefined when the
 * worker does not answer: parity then learns it from the consumer group alone.
 */
export async function connectorDeployed(config: KitConfig, p: Pipeline): Promise<boolean | undefined> {
  try {
    return (await quickConnectClient(config.connect.url).status(p.connector.name)) !== undefined;
  } catch {
    return undefined;
  }
}
