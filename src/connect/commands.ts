/**
 * The `connector` command line: kcctl-like verbs over the kit's connector definitions
 * and the Connect worker at CONNECT_URL.
 *
 *   deploy    render, lint, validate, diff, apply, wait for RUNNING
 *   status    connector, tasks, worker, traces
 *   restart   (--failed: only what failed)
 *   pause | resume | stop | delete
 *   offsets   read; --reset (--yes) to rewind
 *
 * Which connectors: `--pipeline` (a pipeline's ClickHouse sink, rendered from
 * connect/pipeline-sink.json), `--name`, `--file` (other connectors' definitions in
 * connect/connectors/), `--all` (all of them). Without any, deploy and offsets take the default
 * pipeline's connector and status shows every connector on the worker; verbs that interrupt,
 * rewind or remove connectors want an explicit choice.
 *
 * Exit codes (errors.ts): 0 ok, 1 a connector or task failed, 2 bad input or failed
 * validation, 3 the worker does not answer.
 */
import { Option, type Command } from 'commander';
import { command, int, printJson, table } from '../cli.js';
import { clickhouseClient } from '../clickhouse/client.js';
import { loadConfig, resolveEnv, type KitConfig } from '../config.js';
import { FoundError, UsageError } from '../errors.js';
import type { Pipeline } from '../pipeline/definition.js';
import { loadPipelines } from '../pipeline/definition.js';
import { choosePipelines, pipelinesDir } from '../pipeline/load.js';
import { renderPipelineSinks } from './pipeline-sink.js';
import type { ConnectorStatus } from './api.js';
import { deploy, type DeployResult } from './deploy.js';
import { DEFINITIONS_DIR, renderAll, selectDefinitions, type RenderedDefinition, type Selection } from './definitions.js';
import { formatChanges } from './diff.js';
import type { SqlRunner } from './keeper-state.js';
import { kitValues, PROFILES, type Profile } from './kit-values.js';
import { offsetRows, resetOffsets } from './offsets.js';
import { formatPlan } from './plan.js';
import { ConnectClient } from './rest.js';
import { failureTraces, formatTraces, scrubStatus, statusTable, workerLine } from './status.js';
import { waitForState, type TargetState } from './wait.js';

/** A connector or task ended FAILED (or never got going): exit 1. */
export class ConnectorFailedError extends FoundError {
  override name = 'ConnectorFailedError';
}

interface SelectOpts {
  pipeline?: string;
  name?: string[];
  file?: string[];
  all?: boolean;
  dir?: string;
  json?: boolean;
}

interface WaitOpts {
  timeout: number;
  settle: number;
  wait?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const err = (line: string) => process.stderr.write(`[connector] ${line}\n`);
const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

/** What a verb does when neither --pipeline, --name, --file nor --all is given. */
type Unselected = 'the default pipeline' | 'every connector on the worker' | 'refuse';

function addSelection(cmd: Command, what: string, unselected: Unselected = 'refuse'): Command {
  const none =
    unselected === 'the default pipeline'
      ? ` (without --pipeline, --name, --file or --all: the pipeline KIT_PIPELINE names, else the default one)`
      : unselected === 'refuse'
        ? ` (${what} needs --pipeline, --name, --file or --all)`
        : '';
  return cmd
    .option('--pipeline <name>', `${what} the connector of a pipeline in pipelines/ (a name, names joined by commas, or all)${none}`)
    .option('--name <name>', `${what} by connector name: a pipeline's connector or a definition in --dir (repeatable)`, collect)
    .option('--file <path>', `${what} by definition file in --dir (repeatable)`, collect)
    .option('--all', `${what} every pipeline's connector and every definition in --dir`)
    .option('--dir <dir>', 'the directory of connector definitions other than the pipelines\' (default: connect/connectors/)')
    .option('--json', 'print the result as JSON');
}

function addWait(cmd: Command, target: string): Command {
  return cmd
    .option('--timeout <seconds>', `how long to wait for ${target}`, int('--timeout', 1), 60)
    .option('--settle <ms>', 'how long a state must hold before it counts', int('--settle', 0), 2000);
}

function clientFor(config: KitConfig): ConnectClient {
  return new ConnectClient({ url: config.connect.url, log: err });
}

function selection(o: SelectOpts, names: string[] = o.name ?? []): Selection {
  const s: Selection = { all: o.all ?? false };
  if (names.length) s.names = names;
  if (o.file) s.files = o.file;
  if (o.dir) s.dir = o.dir;
  return s;
}

const chose = (o: SelectOpts) => Boolean(o.pipeline || o.name?.length || o.file?.length || o.all);

/**
 * What a verb acts on: pipelines (by --pipeline, by their connector's --name, every one with
 * --all, or the default one when nothing is chosen and `orDefault`), and definitions of other
 * connectors in --dir (by --name, --file, or every one with --all).
 */
function targets(o: SelectOpts, config: KitConfig, orDefault: boolean): { pipelines: Pipeline[]; all: Pipeline[]; definitions: Selection | undefined } {
  const database = config.clickhouse.database;
  const all = loadPipelines(pipelinesDir(), { database });
  const pipelines = new Map<string, Pipeline>();
  if (o.pipeline || (orDefault && !chose(o))) for (const p of choosePipelines({ requested: o.pipeline, allowAll: true, database })) pipelines.set(p.name, p);
  if (o.all) for (const p of all) pipelines.set(p.name, p);
  const rest: string[] = [];
  for (const name of o.name ?? []) {
    const owners = all.filter((p) => p.connector.name === name);
    if (owners.length > 0) owners.forEach((p) => pipelines.set(p.name, p));
    else rest.push(name);
  }
  const defs = o.all || rest.length > 0 || o.file?.length ? { ...selection(o, rest), allowNone: all.length > 0 } : undefined;
  return { pipelines: [...pipelines.values()], all, definitions: defs };
}

/**
 * Connector names for the worker verbs: the chosen pipelines' connectors, every --name as the
 * worker knows it (a definition file is not needed to act on a running connector), and the
 * definitions --file and --all choose.
 */
function targetNames(o: SelectOpts, config: KitConfig, orDefault = false): string[] {
  const t = targets(o, config, orDefault);
  const names = [...t.pipelines.map((p) => p.connector.name), ...(o.name ?? [])];
  if (o.file?.length || o.all) names.push(...selectDefinitions({ ...selection(o, []), allowNone: t.all.length > 0 }).map((d) => d.name));
  return [...new Set(names)];
}

/** Verbs that interrupt, rewind or remove connectors act only on what was chosen. */
function requireTargets(o: SelectOpts, config: KitConfig, verb: string): string[] {
  const names = chose(o) ? targetNames(o, config) : [];
  if (names.length === 0) {
    throw new UsageError(`${verb} acts only on connectors you choose: --pipeline <name>, --name <connector>, --file <definition> or --all`);
  }
  return names;
}

/** Refuses (exit 2) before acting when any named connector is not on the worker. */
async function requireExisting(client: ConnectClient, names: string[]): Promise<void> {
  const missing: string[] = [];
  for (const name of names) if (!(await client.getConfig(name))) missing.push(name);
  if (missing.length > 0) throw new UsageError(`no connector named ${missing.join(', ')} on the worker at ${client.url}`);
}

function sqlRunner(config: KitConfig): () => SqlRunner {
  return () => {
    const ch = clickhouseClient(config, 'admin');
    return {
      async query(sql) {
        const rs = await ch.query({ query: sql, format: 'JSONEachRow' });
        return rs.json<Record<string, unknown>>();
      },
      async command(sql) {
        await ch.command({ query: sql });
      },
      close: () => ch.close(),
    };
  };
}

function printDeploy(result: DeployResult, json: boolean): void {
  if (json) {
    printJson({
      ok: result.ok,
      dryRun: result.dryRun,
      connectors: result.connectors.map((c) => ({
        name: c.name,
        file: c.file,
        action: c.action,
        applied: c.applied,
        outcome: c.outcome,
        state: c.state,
        tasks: c.tasks,
        ms: c.ms,
        changes: c.plan.changes,
        findings: c.plan.findings,
        config: c.plan.config,
        traces: c.traces,
      })),
    });
    return;
  }
  if (result.dryRun) return;
  out(
    table(
      ['connector', 'action', 'outcome', 'state', 'tasks', 'seconds'],
      result.connectors.map((c) => [c.name, c.action, c.outcome ?? '', c.state ?? '', c.tasks ?? '', ((c.ms ?? 0) / 1000).toFixed(1)]),
    ),
  );
  const traces = result.connectors.flatMap((c) => c.traces);
  if (traces.length > 0) out(formatTraces(traces));
}

async function runDeploy(o: SelectOpts & WaitOpts & { dryRun?: boolean; offline?: boolean; profile?: Profile; exactlyOnce?: boolean }) {
  const env = resolveEnv();
  const config = loadConfig(env);
  const kitOpts: { profile?: Profile; exactlyOnce?: boolean } = {};
  if (o.profile) kitOpts.profile = o.profile;
  if (o.exactlyOnce !== undefined) kitOpts.exactlyOnce = o.exactlyOnce;
  const t = targets(o, config, true);
  const rendered: RenderedDefinition[] = renderPipelineSinks(config, env, t.pipelines, t.all, kitOpts);
  if (t.definitions) {
    const defs = o.all ? selectDefinitions({ ...t.definitions, all: true }).filter(Boolean) : selectDefinitions(t.definitions);
    rendered.push(...renderAll(defs, kitValues(config, env, [], kitOpts), env));
  }
  if (rendered.length === 0) throw new UsageError(`nothing to deploy: no pipeline chosen and no definition in ${o.dir ?? DEFINITIONS_DIR}`);
  const kit = { profile: kitOpts.profile ?? kitValues(config, env, []).profile };
  const json = o.json ?? false;
  const result = await deploy(rendered, o.offline ? undefined : clientFor(config), {
    dryRun: o.dryRun ?? false,
    offline: o.offline ?? false,
    timeoutMs: o.timeout * 1000,
    settleMs: o.settle,
    log: err,
    onPlan: (items) => {
      if (!json) out(formatPlan(items));
    },
  });
  if (o.offline && !json) {
    for (const c of result.connectors) {
      out(`connector ${c.name} (${c.file}), profile ${kit.profile}, rendered:`);
      out(formatChanges(c.plan.changes).map((l) => `    ${l}`).join('\n'));
    }
  }
  printDeploy(result, json);
  const failed = result.connectors.filter((c) => c.outcome !== undefined && c.outcome !== 'reached');
  if (failed.length > 0) {
    const hint = failed.map((c) => `${c.name}: ${c.outcome}`).join(', ');
    throw new ConnectorFailedError(
      `${failed.length} connector(s) did not reach RUNNING (${hint}). Fix the cause, then \`npm run connector -- restart --failed --name <name>\`.`,
    );
  }
}

async function runStatus(o: SelectOpts & { fullTrace?: boolean }) {
  const config = loadConfig();
  const client = clientFor(config);
  const info = await client.serverInfo();
  let statuses: ConnectorStatus[];
  if (chose(o)) {
    statuses = [];
    for (const name of targetNames(o, config)) {
      const s = await client.status(name);
      if (!s) throw new UsageError(`no connector named ${name} on the worker at ${client.url}`);
      statuses.push(s);
    }
  } else {
    const all = await client.listConnectors();
    statuses = Object.values(all)
      .flatMap((c) => (c.status ? [c.status] : []))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  const traces = statuses.flatMap((s) => failureTraces(s));
  if (o.json) {
    printJson({ worker: { url: client.url, ...info }, connectors: statuses.map((s) => scrubStatus(s, [])) });
  } else {
    out(workerLine(client.url, info));
    out(statuses.length > 0 ? statusTable(statuses) : '(no connectors)');
    if (traces.length > 0) out(formatTraces(traces, o.fullTrace ?? false));
  }
  if (traces.length > 0) {
    throw new ConnectorFailedError(`${traces.length} failed: ${traces.map((t) => t.what).join(', ')}`);
  }
}

function stateVerb(verb: 'pause' | 'resume' | 'stop'): TargetState {
  return verb === 'pause' ? 'PAUSED' : verb === 'stop' ? 'STOPPED' : 'RUNNING';
}

/** Waits for each connector; prints a table (or JSON); exit 1 when one failed or timed out. */
async function awaitTargets(client: ConnectClient, names: string[], target: TargetState, o: SelectOpts & WaitOpts, did: string) {
  const rows: { name: string; did: string; outcome: string; state: string; tasks: string; seconds: number }[] = [];
  const traces = [];
  for (const name of names) {
    const w = await waitForState(client, name, target, { timeoutMs: o.timeout * 1000, settleMs: o.settle });
    const tasks = w.status ? w.status.tasks.map((t) => `${t.id}:${t.state}`).join(' ') || '(no tasks)' : '';
    rows.push({ name, did, outcome: w.outcome, state: w.status?.connector.state ?? '', tasks, seconds: w.ms / 1000 });
    if (w.status) traces.push(...failureTraces(w.status));
  }
  if (o.json) printJson({ target, connectors: rows, traces });
  else {
    out(table(['connector', 'did', 'outcome', 'state', 'tasks', 'seconds'], rows.map((r) => [r.name, r.did, r.outcome, r.state, r.tasks, r.seconds.toFixed(1)])));
    if (traces.length > 0) out(formatTraces(traces));
  }
  const bad = rows.filter((r) => r.outcome !== 'reached');
  if (bad.length > 0) {
    throw new ConnectorFailedError(`${bad.map((r) => `${r.name}: ${r.outcome}`).join(', ')} (wanted ${target})`);
  }
}

async function runStateVerb(verb: 'pause' | 'resume' | 'stop', o: SelectOpts & WaitOpts) {
  const config = loadConfig();
  const names = requireTargets(o, config, verb);
  const client = clientFor(config);
  await requireExisting(client, names);
  for (const name of names) await client[verb](name);
  await awaitTargets(client, names, stateVerb(verb), o, verb);
}

async function runRestart(o: SelectOpts & WaitOpts & { failed?: boolean }) {
  const config = loadConfig();
  const names = requireTargets(o, config, 'restart');
  const client = clientFor(config);
  await requireExisting(client, names);
  const onlyFailed = o.failed ?? false;
  for (const name of names) await client.restart(name, { includeTasks: true, onlyFailed });
  const did = onlyFailed ? 'restart failed' : 'restart all';
  if (o.wait === false) {
    if (o.json) printJson({ restarted: names, onlyFailed });
    else out(`${did}: ${names.join(', ')}`);
    return;
  }
  await awaitTargets(client, names, 'RUNNING', o, did);
}

async function runDelete(o: SelectOpts) {
  const config = loadConfig();
  const names = requireTargets(o, config, 'delete');
  const client = clientFor(config);
  await requireExisting(client, names);
  for (const name of names) await client.delete(name);
  if (o.json) printJson({ deleted: names });
  else out(`deleted ${names.join(', ')} from ${client.url}`);
}

async function runOffsets(o: SelectOpts & WaitOpts & { reset?: boolean; yes?: boolean }) {
  const config = loadConfig();
  const names = o.reset ? requireTargets(o, config, 'offsets --reset') : targetNames(o, config, true);
  const client = clientFor(config);
  await requireExisting(client, names);
  if (o.reset) {
    const results = [];
    for (const name of names) {
      results.push(
        await resetOffsets(client, name, {
          yes: o.yes ?? false,
          sql: sqlRunner(config),
          log: err,
          timeoutMs: o.timeout * 1000,
        }),
      );
    }
    if (o.json) printJson({ reset: results });
    else for (const r of results) out(`${r.name}: offsets reset; ${r.steps.length} steps done:\n${r.steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
    return;
  }
  const all = [];
  for (const name of names) all.push({ name, offsets: offsetRows(await client.offsets(name)) });
  if (o.json) printJson({ connectors: all });
  else {
    const rows = all.flatMap((c) => (c.offsets.length === 0 ? [[c.name, '(none)', '']] : c.offsets.map((r) => [c.name, r.partition, r.offset])));
    out(table(['connector', 'partition', 'offset'], rows));
  }
}

export interface ConnectorProgram {
  program: Command;
  main: () => Promise<void>;
}

/** Builds the command line; `main` runs the verb commander selected. */
export function connectorProgram(): ConnectorProgram {
  let chosen: (() => Promise<void>) | undefined;
  const program = command(
    'connector',
    "Deploy and operate Kafka Connect connectors against CONNECT_URL: each pipeline's ClickHouse sink (pipelines/, rendered from connect/pipeline-sink.json) and other connectors' definitions in connect/connectors/ (JSON or YAML).",
  );
  /** Runs `fn` with the subcommand's options once commander picked it. */
  const on = (cmd: Command, fn: (opts: never) => Promise<void>) =>
    cmd.action(() => {
      chosen = () => fn(cmd.opts() as never);
    });
  program.addHelpText(
    'after',
    "\nWithout --pipeline, --name, --file or --all: deploy and offsets act on the default pipeline's connector (KIT_PIPELINE, else the pipeline marked default), status shows every connector on the worker;" +
      ' restart, pause, resume, stop, delete and offsets --reset refuse (exit 2) until you choose.',
  );

  const dep = addWait(addSelection(program.command('deploy'), 'deploy', 'the default pipeline'), 'RUNNING')
    .description("render, lint, validate, diff, then create or update each connector (the default pipeline's unless --pipeline, --name, --file or --all choose) and wait for it and every task to be RUNNING")
    .option('--dry-run', 'check everything against the worker and print the plan; apply nothing')
    .option('--offline', 'render and lint only, without a worker (implies --dry-run)')
    .addOption(new Option('--profile <profile>', 'the stack the definitions target (KIT_CONNECT_PROFILE)').choices(PROFILES))
    .option('--exactly-once', 'render ${kit:exactly_once} as true (KIT_CONNECTOR_EXACTLY_ONCE)')
    .option('--no-exactly-once', 'render ${kit:exactly_once} as false');
  on(dep, runDeploy);

  const st = addSelection(program.command('status'), 'show', 'every connector on the worker')
    .description('the worker, and each connector with its tasks and failure traces (all connectors when none is chosen); exit 1 when something FAILED')
    .option('--full-trace', 'print whole stack traces');
  on(st, runStatus);

  const rs = addWait(addSelection(program.command('restart'), 'restart'), 'RUNNING')
    .description('restart the connector and its tasks, then wait for RUNNING')
    .option('--failed', 'restart only the failed connector instance and tasks (?includeTasks=true&onlyFailed=true)')
    .option('--no-wait', 'return once the worker accepted the restart');
  on(rs, runRestart);

  for (const verb of ['pause', 'resume', 'stop'] as const) {
    const target = stateVerb(verb);
    const c = addWait(addSelection(program.command(verb), verb), target).description(
      verb === 'stop'
        ? 'stop the connector: tasks shut down, config and offsets stay (the state offsets can be reset in)'
        : `${verb} the connector and its tasks, then wait for ${target}`,
    );
    on(c, (o: SelectOpts & WaitOpts) => runStateVerb(verb, o));
  }

  const del = addSelection(program.command('delete'), 'delete').description(
    'delete the connector from the worker (its definition file stays; offsets stay with the consumer group)',
  );
  on(del, runDelete);

  const off = addWait(addSelection(program.command('offsets'), 'read', 'the default pipeline'), 'STOPPED')
    .description("print each connector's committed offsets per topic partition (the default pipeline's connector unless chosen); with --reset, rewind the chosen connectors to the start of their topics: stop them, delete their offsets (and their exactly-once KeeperMap state) and leave them STOPPED")
    .option('--reset', 'stop the connector, DELETE its committed offsets (on resume it re-reads what the topics retain), clear its exactly-once KeeperMap rows when exactlyOnce=true; needs --pipeline, --name, --file or --all')
    .option('--yes', 'confirm --reset; without it the steps are printed and nothing is done');
  on(off, runOffsets);

  return {
    program,
    main: async () => {
      if (!chosen) throw new UsageError('choose a verb; see --help');
      await chosen();
    },
  };
}
