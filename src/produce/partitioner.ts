/** Which partition a keyed message goes to: kafkajs's own partitioner. */
import { Partitioners, type PartitionMetadata } from 'kafkajs';

/**
 * kafkajs's DefaultPartitioner for keyed messages (murmur2 of the key's bytes modulo the
 * partition count), with the key's bytes made once for both the hash and the message. Not
 * memoized: generated keys rarely repeat, and a lookup cost more than the hash (measured).
 */
export function keyedPartitioner(topic: string, partitionMetadata: PartitionMetadata[]): (key: string | Buffer) => { partition: number; key: Buffer } {
  const partitioner = Partitioners.DefaultPartitioner();
  return (key) => {
    const bytes = typeof key === 'string' ? Buffer.from(key) : key;
    return { partition: partitioner({ topic, partitionMetadata, message: { key: bytes, value: null } }), key: bytes };
  };
}
