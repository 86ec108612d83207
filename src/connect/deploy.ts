/**
 * `connector deploy`: render → lint → validate → diff → PUT → wait for RUNNING.
 *
 * Every selected definition passes every check before the first PUT, so a bad one
 * never leaves the others half-applied. A definition whose live config already matches
 * is not PUT again (Connect would restart its tasks for nothing), but its status is
 * still checked: a task sitting FAILED is reported either way.
 */
import type { RenderedDefinition } from './definitions.js';
import { diffConfigs } from './diff.js';
import { formatFinding } from './lint.js';
import { assertLintClean, assertValid, checkWithWorker, formatPlan, lintItems, type Action, type PlanItem } from './plan.js';
import type { ConnectClient } from './rest.js';
import { failureTraces, taskSummary, type Trace } from './status.js';
import { waitForState, type Outcome, type WaitOptions } from './wait.js';

export interface DeployOptions extends WaitOptions {
  dryRun?: boolean;
  /** Render and lint only: no worker is asked (implies dryRun). */
  offline?: boolean;
  log?: (line: string) => void;
  /** Told the checked plan before anything is applied. */
  onPlan?: (items: readonly PlanItem[]) => void;
}

export interface DeployedConnector {
  name: string;
  file: string;
  action: Action | 'planned';
  applied: boolean;
  outcome?: Outcome;
  state?: string;
  tasks?: string;
  /** From the PUT (or, when unchanged, from the first status read) to the settled outcome. */
  ms?: number;
  traces: Trace[];
  plan: PlanItem;
}

export interface DeployResult {
  ok: boolean;
  dryRun: boolean;
  connectors: DeployedConnector[];
}

export async function deploy(
  rendered: readonly RenderedDefinition[],
  client: ConnectClient | undefined,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const log = options.log ?? (() => {});
  const items = lintItems(rendered);
  assertLintClean(items);
  for (const i of items) for (const f of i.findings) log(`${i.name}: ${formatFinding(f)}`);

  const planned = (i: PlanItem): DeployedConnector => ({
    name: i.name,
    file: i.file,
    action: i.action ?? 'planned',
    applied: false,
    traces: [],
    plan: i,
  });
  if (options.offline || !client) {
    // Nothing to diff against: show the whole rendered config.
    for (const i of items) i.changes = diffConfigs(undefined, rendered.find((r) => r.name === i.name)!.config);
    return { ok: true, dryRun: true, connectors: items.map(planned) };
  }

  await checkWithWorker(client, rendered, items);
  assertValid(items);
  (options.onPlan ?? ((p) => log(formatPlan(p))))(items);
  if (options.dryRun) return { ok: true, dryRun: true, connectors: items.map(planned) };

  const started = new Map<string, number>();
  for (const [i, r] of rendered.entries()) {
    const item = items[i]!;
    started.set(r.name, Date.now());
    if (item.action === 'unchanged') continue;
    const created = await client.putConfig(r.name, r.config);
    log(`${r.name}: ${created ? 'created' : 'updated'} on ${client.url}`);
  }

  // Wait for all of them at once: each needs its own settle window.
  const connectors = await Promise.all(
    rendered.map(async (r, i): Promise<DeployedConnector> => {
      const item = items[i]!;
      const waited = await waitForState(client, r.name, 'RUNNING', options);
      const result: DeployedConnector = {
        ...planned(item),
        applied: item.action !== 'unchanged',
        outcome: waited.outcome,
        ms: Date.now() - started.get(r.name)!,
        traces: waited.status ? failureTraces(waited.status, r.secrets) : [],
      };
      if (waited.status) {
        result.state = waited.status.connector.state;
        result.tasks = taskSummary(waited.status);
      }
      return result;
    }),
  );
  return { ok: connectors.every((c) => c.outcome === 'reached'), dryRun: false, connectors };
}
