/** The kit's kafkajs clients: quiet logs, short connect timeouts, a clear message when no broker answers. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ServiceUnreachableError } from './errors.js';

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
    throw new ServiceUnreachableError(`the Kafka broker at ${brokers.join(',')} is unreachable (${(e as Error).message}); check KAFKA_BOOTSTRAP_SERVERS and that the stack is up`);
  }
  return admin;
}

/** A topic as a pipeline defines it. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replication: number;
  /** Topic configs (retention.ms, ...). */
  configs?: Record<string, string>;
}

/**
 * Creates the topic when it is missing. The Kafka engine's consumer should find its
 * topic when its table is created: subscribed to a missing topic it logs exceptions
 * and is assigned the partitions only once they appear, mid-stream.
 */
export async function ensureTopic(brokers: string[], topic: TopicSpec, timeoutMs = 60_000): Promise<boolean> {
  const admin = await connectAdmin(kafkaClient(brokers), brokers);
  try {
    return await createTopic(admin, topic, timeoutMs);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topic (false when it existed) and returns once every partition has a leader. */
export async function createTopic(admin: Admin, topic: TopicSpec, timeoutMs = 60_000): Promise<boolean> {
  const configEntries = Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value }));
  const created = await admin.createTopics({
    topics: [{ topic: topic.name, numPartitions: topic.partitions, replicationFactor: topic.replication, configEntries }],
    waitForLeaders: false,
  });
  await waitForLeaders(admin, topic.name, timeoutMs);
  return created;
}

/**
 * Why an existing topic does not match its definition (another partition count), or
 * undefined when it matches or does not exist yet.
 */
export async function topicMismatch(admin: Admin, topic: TopicSpec): Promise<string | undefined> {
  if (!(await admin.listTopics()).includes(topic.name)) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic.name] });
  const partitions = topics.find((t) => t.name === topic.name)?.partitions.length ?? 0;
  if (partitions !== topic.partitions) {
    return `topic ${topic.name} exists with ${partitions} partitions, the pipeline says ${topic.partitions}: set topic.partitions to ${partitions}, or give the pipeline another topic`;
  }
  return undefined;
}

/**
 * Until every partition of the topic has a leader. kafkajs's own wait gives up after a few
 * retries ("This server does not host this topic-partition"), which a loaded broker needs more than.
 */
export async function waitForLeaders(admin: Admin, topic: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let last = '';
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics.find((t) => t.name === topic)?.partitions ?? [];
      if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return;
      last = `${parts.filter((p) => p.leader >= 0).length}/${parts.length} partitions with a leader`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`topic ${topic}: no leader for every partition after ${timeoutMs / 1000} s (${last})`);
    await sleep(200);
  }
}
