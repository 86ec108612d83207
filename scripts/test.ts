/** `npm test`: the vitest projects in two runs (see src/test-runs.ts). */
import { runTests } from '../src/test-runs.js';

// Ctrl-C reaches vitest as well; waiting for it lets the integration setup stop the stack it started.
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});
process.exitCode = await runTests({ extra: process.argv.slice(2), interrupted: () => interrupted });
