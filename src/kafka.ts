/** The kit's kafkajs clients: quiet logs, short connect timeouts, a clear message when no broker answers. */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { UsageError } from './cli.js';

export function kafkaClient(brokers: string[], clientId = 'kafka-clickhouse-kit'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

/** A connected admin client, or a UsageError (exit 2) naming the brokers. */
export async function connectAdmin(kafka: Kafka, brokers: string[]): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (e) {
    throw new UsageError(`the Kafka broker at ${brokers.join(',')} is unreachable (${(e as Error).message}); check KAFKA_BOOTSTRAP_SERVERS and that the stack is up`);
  }
  return admin;
}

/**
 * Creates the topic when it is missing. The Kafka engine's consumer should find its
 * topic when its table is created: subscribed to a missing topic it logs exceptions
 * and is assigned the partitions only once they appear, mid-stream.
 */
export async function ensureTopic(brokers: string[], topic: string, partitions = 3): Promise<boolean> {
  const admin = await connectAdmin(kafkaClient(brokers), brokers);
  try {
    return await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
