/**
 * A lane's worker thread (see lanes.ts): plain CommonJS, so it runs wherever the
 * producer runs (tsx, vitest, compiled). It takes packed batches in order and sends
 * each with one `producer.send` (one request in flight), answering with the base
 * offset per partition. After a failure it fails every later batch without sending
 * it, so a partition never gets a gap.
 */
const { parentPort, workerData: w } = require('node:worker_threads');
const { Kafka, logLevel } = require('kafkajs');
// Reconnects and retries ride out a broker restart or a leader change (about two
// minutes at most); the idempotent producer's sequence numbers make a retried batch
// land once. The main thread has already checked the broker answers.
const retry = { retries: 30, initialRetryTime: 300, maxRetryTime: 5000 };
const kafka = new Kafka({ clientId: w.clientId, brokers: w.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry });
const runId = Buffer.from(w.runId);
// A message without a key (wire.ts NO_KEY).
const NO_KEY = 0xffffffff;
const describe = (e) => ({ name: (e && e.name) || 'Error', message: (e && e.message) || String(e) });
let failed;
let chain = producer.connect().then(
  () => parentPort.postMessage({ type: 'ready' }),
  (e) => { failed = describe(e); parentPort.postMessage({ type: 'ready', error: failed }); },
);
async function handle(m) {
  if (m.type === 'close') {
    await producer.disconnect().catch(() => undefined);
    parentPort.postMessage({ type: 'closed' });
    parentPort.close();
    return;
  }
  if (failed) return parentPort.postMessage({ type: 'done', seq: m.seq, error: failed });
  try {
    const buf = Buffer.from(m.buffer, 0, m.length);
    const headers = { [w.runIdHeader]: runId, [w.producedAtHeader]: Buffer.from(m.producedAt) };
    const messages = new Array(m.count);
    for (let i = 0, j = 0; i < m.count; i++, j += 3) {
      messages[i] = { key: m.bounds[j] === NO_KEY ? null : buf.subarray(m.bounds[j], m.bounds[j + 1]), value: buf.subarray(m.bounds[j + 1], m.bounds[j + 2]), partition: m.partitions[i], headers };
    }
    const results = await producer.send({ topic: w.topic, messages, acks: -1, compression: w.compression });
    parentPort.postMessage({ type: 'done', seq: m.seq, results: results.map((r) => ({ partition: r.partition, baseOffset: r.baseOffset })) });
  } catch (e) {
    failed = describe(e);
    parentPort.postMessage({ type: 'done', seq: m.seq, error: failed });
  }
}
parentPort.on('message', (m) => { chain = chain.then(() => handle(m)); });
