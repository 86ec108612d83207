/**
 * The plan for a set of rendered definitions, before anything is applied:
 * lint findings, the worker's verdict (plugin present, every field valid) and the diff
 * against the live config, which decides create / update / unchanged.
 */
import { UsageError } from '../errors.js';
import type { PluginInfo, ValidateResponse } from './api.js';
import type { RenderedDefinition } from './definitions.js';
import { diffConfigs, formatChanges, type Change } from './diff.js';
import { formatFinding, lintConfig, type Finding } from './lint.js';
import { redactConfig, redactValue, scrubText } from './redact.js';
import { ConnectHttpError, type ConnectClient } from './rest.js';

export type Action = 'create' | 'update' | 'unchanged';

export interface FieldError {
  key: string;
  /** Redacted. */
  value?: string;
  errors: string[];
}

export interface PlanItem {
  name: string;
  file: string;
  connectorClass: string;
  /** Rendered config, redacted. */
  config: Record<string, string>;
  findings: Finding[];
  action?: Action;
  changes: Change[];
  pluginMissing?: string;
  fieldErrors: FieldError[];
}

/** Bad definitions found by lint or by the worker's validation: exit 2, nothing applied. */
export class PlanRejected extends UsageError {
  override name = 'PlanRejected';
}

export function planAction(live: Record<string, string> | undefined, changes: readonly Change[]): Action {
  if (live === undefined) return 'create';
  return changes.length === 0 ? 'unchanged' : 'update';
}

const simpleName = (cls: string) => cls.slice(cls.lastIndexOf('.') + 1);

/** Connect accepts the class name, its simple name, or the simple name without "Connector". */
export function findPlugin(plugins: readonly PluginInfo[], cls: string): PluginInfo | undefined {
  return plugins.find((p) => {
    const simple = simpleName(p.class);
    return p.class === cls || simple === cls || simple.replace(/Connector$/, '') === cls;
  });
}

export function pluginMissingMessage(cls: string, plugins: readonly PluginInfo[], url: string): string {
  const installed = plugins.map((p) => `    ${p.class} (${p.type}${p.version ? ` ${p.version}` : ''})`).join('\n');
  return `the worker at ${url} has no connector plugin ${cls}. Installed connector plugins:\n${installed || '    (none)'}`;
}

export function fieldErrors(res: ValidateResponse, secrets: readonly string[] = []): FieldError[] {
  return res.configs
    .filter((c) => c.value.errors.length > 0)
    .map((c) => {
      const out: FieldError = { key: c.value.name, errors: c.value.errors.map((e) => scrubText(e, secrets)) };
      const v = redactValue(c.value.name, c.value.value ?? undefined);
      if (v !== undefined) out.value = scrubText(v, secrets);
      return out;
    });
}

export function lintItems(rendered: readonly RenderedDefinition[]): PlanItem[] {
  return rendered.map((r) => ({
    name: r.name,
    file: r.file,
    connectorClass: r.config['connector.class']!,
    config: redactConfig(r.config),
    findings: lintConfig(r.config, r.name),
    changes: [],
    fieldErrors: [],
  }));
}

/** Throws when any finding is an error, listing every finding of every definition. */
export function assertLintClean(items: readonly PlanItem[]): void {
  const bad = items.filter((i) => i.findings.some((f) => f.severity === 'error'));
  if (bad.length === 0) return;
  const text = bad
    .map((i) => `${i.name} (${i.file}):\n${i.findings.map((f) => `  ${formatFinding(f)}`).join('\n')}`)
    .join('\n');
  throw new PlanRejected(`lint refused ${bad.length} definition(s); nothing was sent:\n${text}`);
}

/** Asks the worker: plugin present, every field valid, and what changes against the live config. */
export async function checkWithWorker(
  client: ConnectClient,
  rendered: readonly RenderedDefinition[],
  items: PlanItem[],
): Promise<void> {
  const plugins = await client.connectorPlugins();
  for (const [i, r] of rendered.entries()) {
    const item = items[i]!;
    if (!findPlugin(plugins, item.connectorClass)) {
      item.pluginMissing = pluginMissingMessage(item.connectorClass, plugins, client.url);
      continue;
    }
    try {
      item.fieldErrors = fieldErrors(await client.validate(item.connectorClass, r.config), r.secrets);
    } catch (e) {
      if (e instanceof ConnectHttpError && /Failed to find any class/.test(e.detail)) {
        item.pluginMissing = pluginMissingMessage(item.connectorClass, plugins, client.url);
        continue;
      }
      throw e;
    }
    const live = await client.getConfig(r.name);
    item.changes = diffConfigs(live, r.config);
    item.action = planAction(live, item.changes);
  }
}

export function assertValid(items: readonly PlanItem[]): void {
  const bad = items.filter((i) => i.pluginMissing || i.fieldErrors.length > 0);
  if (bad.length === 0) return;
  const text = bad
    .map((i) => {
      if (i.pluginMissing) return `${i.name} (${i.file}): ${i.pluginMissing}`;
      const fields = i.fieldErrors.map(
        (f) => `  ${f.key}${f.value !== undefined ? ` = ${f.value}` : ''}\n${f.errors.map((e) => `    - ${e}`).join('\n')}`,
      );
      return `${i.name} (${i.file}): the worker rejected ${i.fieldErrors.length} field(s):\n${fields.join('\n')}`;
    })
    .join('\n');
  throw new PlanRejected(`validation failed; nothing was sent:\n${text}`);
}

export function formatPlan(items: readonly PlanItem[]): string {
  return items
    .map((i) => {
      const head = `connector ${i.name} (${i.file}): ${i.action ?? 'not checked against a worker'}`;
      const lines = [
        ...formatChanges(i.changes).map((l) => `    ${l}`),
        ...i.findings.map((f) => `    ${formatFinding(f).replace(/\n/g, '\n    ')}`),
      ];
      return [head, ...lines].join('\n');
    })
    .join('\n');
}
