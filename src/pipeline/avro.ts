/**
 * An Avro schema read the way the kit needs it: the JSON text checked (a syntax error names
 * its line), the schema checked by avsc (Avro's own rules: names, defaults, unions) and by the
 * kit (logical types' parameters, which avsc leaves alone), and turned into a tree of nodes
 * with every named type resolved, each node knowing its field path for messages.
 */
import avro from 'avsc';
import YAML, { LineCounter } from 'yaml';

export type Primitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

/** The logical types the kit knows; any other logical type reads as its underlying type. */
export type Logical =
  | { type: 'decimal'; precision: number; scale: number }
  | { type: 'uuid' | 'date' | 'time-millis' | 'time-micros' | 'timestamp-millis' | 'timestamp-micros' | 'timestamp-nanos' | 'local-timestamp-millis' | 'local-timestamp-micros' };

export type AvroNode =
  | { kind: Exclude<Primitive, 'null'>; logical?: Logical }
  | { kind: 'null' }
  | { kind: 'fixed'; name: string; size: number; logical?: Logical }
  | { kind: 'enum'; name: string; symbols: string[] }
  | { kind: 'array'; items: AvroNode }
  | { kind: 'map'; values: AvroNode }
  | { kind: 'record'; name: string; fields: AvroField[] }
  | { kind: 'union'; branches: AvroNode[] };

export interface AvroField {
  name: string;
  type: AvroNode;
  /** The field's default as written in the schema (JSON), when it has one. */
  default?: { value: unknown };
  doc?: string;
}

export interface ParsedSchema {
  /** The schema's text as given. */
  text: string;
  /** The JSON the text holds. */
  json: Record<string, unknown>;
  /** The top-level record. */
  root: AvroNode & { kind: 'record' };
  /** The full name of the top-level record (namespace.name). */
  fullName: string;
}

/** A schema that is not valid Avro, or not one the kit can read: names the source, the line and the problem. */
export class AvroSchemaError extends Error {
  override name = 'AvroSchemaError';
}

const LOGICAL_ON: Record<string, string[]> = {
  decimal: ['bytes', 'fixed'],
  uuid: ['string', 'fixed'],
  date: ['int'],
  'time-millis': ['int'],
  'time-micros': ['long'],
  'timestamp-millis': ['long'],
  'timestamp-micros': ['long'],
  'timestamp-nanos': ['long'],
  'local-timestamp-millis': ['long'],
  'local-timestamp-micros': ['long'],
};

/** The field path of a node for messages: `a.b` for nested records, `a[]` for array items, `a{}` for map values. */
export type Path = string;

interface Located {
  /** The location in the JSON document (keys and indexes), for line numbers. */
  at: (string | number)[];
  path: Path;
}

/** Line numbers of JSON paths in the schema's text (1-based), through YAML's parser (JSON is YAML). */
class Lines {
  private readonly doc;
  private readonly counter = new LineCounter();
  constructor(text: string) {
    this.doc = YAML.parseDocument(text, { lineCounter: this.counter });
  }
  of(at: (string | number)[]): number | undefined {
    for (let n = at.length; n >= 0; n--) {
      const node = this.doc.getIn(at.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return this.counter.linePos(node.range[0]).line;
    }
    return undefined;
  }
}

/** The line and column of a character offset (1-based). */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * Where a JSON error is when Node's message names no position: the unexpected token after the
 * text it quotes (a trailing comma's closing bracket), else where YAML's parser (which reads
 * JSON) stops, else the end (the text ends too early).
 */
function unplacedJsonError(text: string, message: string): { line: number; col: number } {
  // V8: `Unexpected token ']', "<text>" is not valid JSON`, the text cut to `...<text>` or `<text>...` when long.
  const quoted = /Unexpected token '(.)', (?:"|\.\.\.)([\s\S]*?)(?:\.\.\.)?" is not valid JSON/.exec(message);
  if (quoted) {
    const at = text.indexOf(quoted[2]!);
    const token = at >= 0 ? text.indexOf(quoted[1]!, at) : -1;
    if (token >= 0) return lineCol(text, token);
  }
  const yamlError = YAML.parseDocument(text, { prettyErrors: true }).errors[0]?.linePos?.[0];
  return yamlError ?? lineCol(text, text.trimEnd().length);
}

/** JSON.parse's error, with the line and column Node's message gives only as a character position. */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    const where = pos ? lineCol(text, Number(pos[1])) : unplacedJsonError(text, message);
    throw new AvroSchemaError(`${source}${where ? `:${where.line}:${where.col}` : ''}: not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

/** A schema of any type (a key schema may be a primitive). */
export interface ParsedType {
  text: string;
  json: unknown;
  root: AvroNode;
}

/** Reads and checks a value schema (a record); every problem names `source` and, where it can, the line. */
export function parseSchema(text: string, source: string): ParsedSchema {
  return parseAny(text, source, true) as ParsedSchema;
}

/** Reads and checks a schema of any type (a key schema). */
export function parseKeySchema(text: string, source: string): ParsedType {
  return parseAny(text, source, false);
}

function parseAny(text: string, source: string, record: boolean): ParsedType {
  const json = parseJson(text, source);
  const lines = new Lines(text);
  const fail = (loc: Located | undefined, problem: string): never => {
    const line = loc ? lines.of(loc.at) : undefined;
    throw new AvroSchemaError(`${source}${line ? `:${line}` : ''}: ${loc?.path ? `field ${loc.path}: ` : ''}${problem}`);
  };
  if (record && (typeof json !== 'object' || json === null || Array.isArray(json) || (json as { type?: unknown }).type !== 'record')) {
    fail(undefined, 'the top-level schema must be a record (the topic\'s values are rows)');
  }
  // avsc checks what Avro itself requires: names, field defaults, union rules.
  try {
    avro.Type.forSchema(json as avro.Schema);
  } catch (e) {
    const message = (e as Error).message;
    // avsc names the offending value, not where it is: find the first line quoting it.
    const token = /: (\S+)$/.exec(message)?.[1] ?? /"([^"]+)"/.exec(message)?.[1];
    const index = token ? text.indexOf(`"${token.replace(/^"|"$/g, '')}"`) : -1;
    throw new AvroSchemaError(`${source}${index >= 0 ? `:${lineCol(text, index).line}` : ''}: not a valid Avro schema: ${message}`);
  }

  const named = new Map<string, AvroNode>();
  const visiting = new Set<string>();

  const fullName = (name: string, namespace: string | undefined) => (name.includes('.') || !namespace ? name : `${namespace}.${name}`);

  const logicalOf = (raw: Record<string, unknown>, base: string, loc: Located, size?: number): Logical | undefined => {
    const type = raw.logicalType;
    if (typeof type !== 'string' || !(type in LOGICAL_ON)) return undefined;
    if (!LOGICAL_ON[type]!.includes(base)) fail(loc, `logicalType ${type} applies to ${LOGICAL_ON[type]!.join(' or ')}, not ${base}`);
    if (type === 'uuid' && base === 'fixed' && size !== 16) fail(loc, `logicalType uuid on fixed needs size 16, not ${size}`);
    if (type !== 'decimal') return { type } as Logical;
    const { precision, scale = 0 } = raw as { precision?: unknown; scale?: unknown };
    if (!Number.isInteger(precision) || (precision as number) < 1) fail(loc, `decimal needs an integer precision >= 1, got ${JSON.stringify(precision)}`);
    if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > (precision as number)) {
      fail(loc, `decimal scale must be an integer from 0 to its precision (${precision}), got ${JSON.stringify(scale)}`);
    }
    if (size !== undefined && (precision as number) > Math.floor(Math.log10(2) * (8 * size - 1))) {
      fail(loc, `decimal precision ${precision} does not fit fixed size ${size} (at most ${Math.floor(Math.log10(2) * (8 * size - 1))} digits)`);
    }
    return { type: 'decimal', precision: precision as number, scale: scale as number };
  };

  const walk = (schema: unknown, namespace: string | undefined, loc: Located): AvroNode => {
    if (typeof schema === 'string') {
      if (['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'].includes(schema)) return { kind: schema as Primitive } as AvroNode;
      const name = named.has(schema) ? schema : fullName(schema, namespace);
      if (visiting.has(name)) fail(loc, `the record ${name} contains itself; a recursive type has no ClickHouse column type`);
      const ref = named.get(name) ?? named.get(schema);
      if (!ref) fail(loc, `unknown type ${schema}`);
      return ref!;
    }
    if (Array.isArray(schema)) {
      return { kind: 'union', branches: schema.map((b, i) => walk(b, namespace, { at: [...loc.at, i], path: loc.path })) };
    }
    const raw = schema as Record<string, unknown>;
    const type = raw.type;
    switch (type) {
      case 'record':
      case 'error': {
        const ns = typeof raw.namespace === 'string' ? raw.namespace : namespace;
        const name = fullName(String(raw.name), ns);
        const ownNs = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : ns;
        const node: AvroNode & { kind: 'record' } = { kind: 'record', name, fields: [] };
        visiting.add(name);
        (raw.fields as Record<string, unknown>[]).forEach((f, i) => {
          const fieldPath = loc.path ? `${loc.path}.${String(f.name)}` : String(f.name);
          const field: AvroField = { name: String(f.name), type: walk(f.type, ownNs, { at: [...loc.at, 'fields', i, 'type'], path: fieldPath }) };
          if ('default' in f) field.default = { value: f.default };
          if (typeof f.doc === 'string') field.doc = f.doc;
          node.fields.push(field);
        });
        visiting.delete(name);
        named.set(name, node);
        return node;
      }
      case 'enum': {
        const name = fullName(String(raw.name), typeof raw.namespace === 'string' ? raw.namespace : namespace);
        const node: AvroNode = { kind: 'enum', name, symbols: (raw.symbols as string[]).slice() };
        named.set(name, node);
        return node;
      }
      case 'fixed': {
        const name = fullName(String(raw.name), typeof raw.namespace === 'string' ? raw.namespace : namespace);
        const size = Number(raw.size);
        const node: AvroNode = { kind: 'fixed', name, size };
        const logical = logicalOf(raw, 'fixed', loc, size);
        if (logical) node.logical = logical;
        named.set(name, node);
        return node;
      }
      case 'array':
        return { kind: 'array', items: walk(raw.items, namespace, { at: [...loc.at, 'items'], path: `${loc.path}[]` }) };
      case 'map':
        return { kind: 'map', values: walk(raw.values, namespace, { at: [...loc.at, 'values'], path: `${loc.path}{}` }) };
      default: {
        if (typeof type !== 'string') return walk(type, namespace, { at: [...loc.at, 'type'], path: loc.path });
        const base = walk(type, namespace, { at: [...loc.at, 'type'], path: loc.path });
        if (base.kind === 'null' || base.kind === 'union' || base.kind === 'record' || base.kind === 'enum' || base.kind === 'array' || base.kind === 'map') return base;
        const logical = logicalOf(raw, base.kind, loc, base.kind === 'fixed' ? base.size : undefined);
        return logical ? { ...base, logical } : base;
      }
    }
  };

  const root = walk(json, undefined, { at: [], path: '' });
  return record ? ({ text, json, root, fullName: (root as { name: string }).name } as ParsedSchema) : { text, json, root };
}

/** A field's Avro type as the schema writes it, short: `["null","string"]`, `long (timestamp-micros)`. */
export function describeType(node: AvroNode): string {
  switch (node.kind) {
    case 'union':
      return `[${node.branches.map(describeType).join(', ')}]`;
    case 'array':
      return `array<${describeType(node.items)}>`;
    case 'map':
      return `map<${describeType(node.values)}>`;
    case 'record':
      return `record ${node.name}`;
    case 'enum':
      return `enum ${node.name}`;
    case 'fixed':
      return `fixed(${node.size})${node.logical ? ` (${logicalName(node.logical)})` : ''}`;
    case 'null':
      return 'null';
    default:
      return node.logical ? `${node.kind} (${logicalName(node.logical)})` : node.kind;
  }
}

function logicalName(l: Logical): string {
  return l.type === 'decimal' ? `decimal(${l.precision}, ${l.scale})` : l.type;
}
