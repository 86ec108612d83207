/** Which partition a keyed message goes to: kafkajs's own partitioner, memoized per key. */
import { Partitioners, type PartitionMetadata } from 'kafkajs';

/**
 * kafkajs's DefaultPartitioner for keyed messages (murmur2 of the key modulo the
 * partition count), memoized per text key with its bytes: keys repeat, and a key's
 * partition never changes within a run.
 */
export function keyedPartitioner(topic: string, partitionMetadata: PartitionMetadata[]): (key: string | Buffer) => { partition: number; key: Buffer } {
  const partitioner = Partitioners.DefaultPartitioner();
  const cache = new Map<string, { partition: number; key: Buffer }>();
  return (key) => {
    // Keys as bytes (an Avro key) are rarely repeated: not memoized.
    if (typeof key !== 'string') return { partition: partitioner({ topic, partitionMetadata, message: { key, value: null } }), key };
    let hit = cache.get(key);
    if (!hit) {
      const partition = partitioner({ topic, partitionMetadata, message: { key, value: null } });
      hit = { partition, key: Buffer.from(key) };
      if (cache.size < 100_000) cache.set(key, hit);
    }
    return hit;
  };
}
