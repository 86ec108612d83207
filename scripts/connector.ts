/**
 * `npm run connector -- <verb> ...` and `npm run connector:deploy -- ...`:
 * kcctl-like verbs over the pipelines' sink connectors and the definitions in
 * connect/connectors/ (see connect/connectors/README.md).
 */
import { run } from '../src/cli.js';
import { connectorProgram } from '../src/connect/commands.js';

const { program, main } = connectorProgram();
await run(program, main);
