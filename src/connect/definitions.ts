/**
 * Connector definitions: `connect/connectors/*.{json,yaml,yml}`, loaded, checked
 * against a schema and rendered into the exact config map the worker receives.
 *
 * A definition:
 *   name      the connector's name on the worker
 *   config    the connector config; values may hold `${kit:...}`, `${env:VAR}`, `${file:/p:k}`
 *   profiles  optional per-stack overlays (`docker`, `embedded`); a null value removes a key
 *   notes     optional why-this-key text per key; documentation only, never sent
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { projectRoot } from '../paths.js';
import type { KitValues } from './kit-values.js';
import { references, substituteKit } from './placeholders.js';
import { isSecretKey } from './redact.js';

export const DEFINITIONS_DIR = path.join(projectRoot, 'connect', 'connectors');
const EXTENSIONS = ['.json', '.yaml', '.yml'];

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const DefinitionSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'name may hold letters, digits, ".", "_" and "-" only' }),
  config: z
    .record(z.string().min(1), scalar)
    .refine((c) => typeof c['connector.class'] === 'string' && c['connector.class'] !== '', {
      error: 'config must name its connector.class',
    }),
  profiles: z.record(z.string(), z.record(z.string().min(1), z.union([scalar, z.null()]))).optional(),
  notes: z.record(z.string(), z.string()).optional(),
});

export type DefinitionBody = z.infer<typeof DefinitionSchema>;
export interface Definition extends DefinitionBody {
  file: string;
}

export type ConnectorConfig = Record<string, string>;

export interface RenderedDefinition {
  name: string;
  file: string;
  config: ConnectorConfig;
  /** `${env:VAR}` names the worker will resolve. */
  envRefs: string[];
  /** Literal secret values known to the kit, scrubbed from anything it prints. */
  secrets: string[];
}

/** A definition that cannot be read or rendered: bad input, exit 2. */
export class DefinitionError extends UsageError {
  override name = 'DefinitionError';
}

function parseText(file: string, text: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new DefinitionError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new DefinitionError(`${file}: not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return doc.toJS();
}

export function parseDefinition(file: string, text: string): Definition {
  const parsed = DefinitionSchema.safeParse(parseText(file, text));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new DefinitionError(`${file}: not a connector definition:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, file };
}

export function loadDefinition(file: string): Definition {
  if (!existsSync(file)) throw new DefinitionError(`${file}: no such file`);
  if (!EXTENSIONS.some((e) => file.endsWith(e))) {
    throw new DefinitionError(`${file}: a definition is a .json, .yaml or .yml file`);
  }
  return parseDefinition(file, readFileSync(file, 'utf8'));
}

export function definitionFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => EXTENSIONS.some((e) => f.endsWith(e)))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface Selection {
  files?: string[];
  names?: string[];
  all?: boolean;
  dir?: string;
  /** With `all`: an empty directory is no error (the pipelines' connectors are the rest of "all"). */
  allowNone?: boolean;
}

export function hasSelection(s: Selection): boolean {
  return Boolean(s.all || s.files?.length || s.names?.length);
}

/** The definitions a command acts on; every one is loaded before any is used. */
export function selectDefinitions(selection: Selection): Definition[] {
  const dir = selection.dir ?? DEFINITIONS_DIR;
  if (!hasSelection(selection)) {
    throw new UsageError('choose what to act on: --file <path>, --name <connector> or --all');
  }
  const chosen = new Map<string, Definition>();
  const add = (d: Definition) => {
    const seen = chosen.get(d.name);
    if (seen && seen.file !== d.file) {
      throw new DefinitionError(`connector ${d.name} is defined twice: ${seen.file} and ${d.file}`);
    }
    chosen.set(d.name, d);
  };
  const everything = () => definitionFiles(dir).map(loadDefinition);
  if (selection.all) {
    const all = everything();
    if (all.length === 0 && !selection.allowNone) throw new UsageError(`no connector definitions (.json, .yaml, .yml) in ${dir}`);
    all.forEach(add);
  }
  for (const f of selection.files ?? []) {
    const file = existsSync(f) ? path.resolve(f) : path.join(dir, f);
    add(loadDefinition(file));
  }
  if (selection.names?.length) {
    const known = everything();
    for (const name of selection.names) {
      const d = known.find((k) => k.name === name);
      if (!d) {
        const names = known.map((k) => k.name).join(', ') || '(none)';
        throw new UsageError(`no definition named ${name} in ${dir}; defined: ${names}`);
      }
      add(d);
    }
  }
  return [...chosen.values()];
}

function overlay(def: Definition, profile: string): Record<string, string | number | boolean> {
  const merged: Record<string, string | number | boolean> = { ...def.config };
  for (const [k, v] of Object.entries(def.profiles?.[profile] ?? {})) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

/**
 * Renders one definition: profile overlay, `${kit:...}` substituted, every `${env:VAR}`
 * checked to be set in the kit's environment layers. Problems are returned, not thrown,
 * so all definitions report theirs in one go.
 */
export function renderDefinition(
  def: Definition,
  kit: KitValues,
  env: Record<string, string | undefined>,
): { rendered?: RenderedDefinition; problems: string[] } {
  const unknownKit = new Set<string>();
  const missingEnv = new Map<string, string>();
  const envRefs = new Set<string>();
  const secrets = new Set<string>();
  const config: ConnectorConfig = {};
  for (const [key, raw] of Object.entries(overlay(def, kit.profile))) {
    const value = substituteKit(String(raw), kit.values, unknownKit);
    for (const ref of references(value)) {
      if (ref.provider !== 'env') continue;
      envRefs.add(ref.key);
      const resolved = env[ref.key];
      if (resolved === undefined || resolved === '') missingEnv.set(ref.key, key);
      else if (isSecretKey(key)) secrets.add(resolved);
    }
    if (isSecretKey(key) && references(value).length === 0 && value !== '') secrets.add(value);
    config[key] = value;
  }
  config.name ??= def.name;
  const problems: string[] = [];
  if (unknownKit.size > 0) {
    const names = [...unknownKit].map((k) => `\${kit:${k}}`).join(', ');
    problems.push(`${def.file}: unknown kit placeholder ${names}; known: ${Object.keys(kit.values).join(', ')}`);
  }
  for (const [variable, key] of missingEnv) {
    problems.push(
      `${def.file}: ${key} references \${env:${variable}}, but ${variable} is not set. ` +
        `Set it in .env or export it (the worker resolves it from its own environment).`,
    );
  }
  if (problems.length > 0) return { problems };
  return {
    rendered: { name: def.name, file: def.file, config, envRefs: [...envRefs].sort(), secrets: [...secrets] },
    problems,
  };
}

/** Renders all or nothing: any problem in any definition is exit 2 before anything is sent. */
export function renderAll(
  defs: Definition[],
  kit: KitValues,
  env: Record<string, string | undefined>,
): RenderedDefinition[] {
  const results = defs.map((d) => renderDefinition(d, kit, env));
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) throw new DefinitionError(problems.join('\n'));
  return results.map((r) => r.rendered!);
}
