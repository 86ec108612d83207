/**
 * Static checks of the Docker reference stack: docker-compose.yml, connect/Dockerfile,
 * .env.example and the ClickHouse server/user XML. No Docker needed; every test reads
 * the real files and fails when the property it names does not hold.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const read = (rel: string): string => readFileSync(new URL(rel, root), 'utf8');

const composeText = read('docker-compose.yml');
/** The compose file without YAML comments (compose does not interpolate inside them). */
const composeCode = composeText
  .split(/\r?\n/)
  .map((line) => line.replace(/(^|\s)#.*$/, ''))
  .join('\n');
const envExampleText = read('.env.example');
const dockerfileText = read('connect/Dockerfile');
const connectReadme = read('connect/README.md');
const usersDir = 'docker/clickhouse/users.d/';
const configDir = 'docker/clickhouse/config.d/';
const xmlFiles = (dir: string): string[] =>
  readdirSync(new URL(dir, root))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => dir + f);
const usersXmlFiles = xmlFiles(usersDir);
const configXmlFiles = xmlFiles(configDir);

// ---------------------------------------------------------------------------------
// Small typed views over the parsed compose file.

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

const compose: unknown = parse(composeText);
if (!isDict(compose)) throw new Error('docker-compose.yml does not parse to a mapping');
const servicesRaw = compose.services;
if (!isDict(servicesRaw)) throw new Error('docker-compose.yml has no services mapping');
const services: Record<string, Dict> = {};
for (const [name, svc] of Object.entries(servicesRaw)) {
  if (!isDict(svc)) throw new Error(`service ${name} is not a mapping`);
  services[name] = svc;
}
const serviceEntries = Object.entries(services);

function service(name: string): Dict {
  const svc = services[name];
  if (!svc) throw new Error(`service ${name} missing from docker-compose.yml`);
  return svc;
}

/** A service's environment as a map, whether written as a map or as a KEY=VALUE list. */
function environment(svc: Dict): Record<string, string> {
  const env = svc.environment;
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq > 0) out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (isDict(env)) {
    for (const [k, v] of Object.entries(env)) out[k] = v === null || v === undefined ? '' : String(v);
  }
  return out;
}

/** Splits `repo[:tag][@digest]`, minding a registry host with a port. */
function splitImage(ref: string): { repo: string; tag?: string; digest?: string } {
  const [nameTag = '', digest] = ref.split('@');
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  if (colon > slash) return { repo: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1), digest };
  return { repo: nameTag, digest };
}

function assertPinned(ref: string, where: string): void {
  const { tag, digest } = splitImage(ref);
  expect(tag, `${where}: image ${ref} has no explicit tag`).toBeTruthy();
  expect(tag ?? '', `${where}: image ${ref} uses a floating tag`).not.toMatch(/latest|^stable$|^lts$|^main$|^head$/i);
  expect(tag ?? '', `${where}: tag of ${ref} is not a version`).toMatch(/\d/);
  if (digest) expect(digest, `${where}: bad digest in ${ref}`).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(ref, `${where}: ${ref} is interpolated, so it cannot be checked`).not.toContain('$');
}

/** Published ports of a service as host-ip / host-port / container-port triples. */
function publishedPorts(svc: Dict): { hostIp: string | undefined; published: string; target: string; raw: string }[] {
  const ports = svc.ports;
  if (ports === undefined) return [];
  if (!Array.isArray(ports)) throw new Error('ports must be a list');
  return ports.map((p) => {
    if (isDict(p)) {
      return {
        hostIp: p.host_ip === undefined ? undefined : String(p.host_ip),
        published: String(p.published ?? ''),
        target: String(p.target ?? ''),
        raw: JSON.stringify(p),
      };
    }
    const raw = String(p);
    const spec = raw.replace(/\/(tcp|udp)$/, '');
    // ip:host:container, [ipv6]:host:container, host:container, container
    const m = /^(?:(\[[^\]]+\]|[^:]+):)?(?:([^:]*):)?([^:]+)$/.exec(spec);
    if (!m) return { hostIp: undefined, published: '', target: '', raw };
    const [, a, b, c = ''] = m;
    if (b !== undefined) return { hostIp: a, published: b, target: c, raw };
    return { hostIp: undefined, published: a ?? '', target: c, raw };
  });
}

/** Variables referenced as ${VAR...} or $VAR in a text (compose interpolation syntax). */
function referencedVars(text: string): Set<string> {
  const vars = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/g)) if (m[1]) vars.add(m[1]);
  for (const m of text.matchAll(/(?<![$\\])\$([A-Za-z_][A-Za-z0-9_]*)/g)) if (m[1]) vars.add(m[1]);
  return vars;
}

/** KEY=VALUE lines of .env.example (comments and blank lines skipped). */
function envExample(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of envExampleText.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(t);
    if (!m || !m[1]) throw new Error(`.env.example: not KEY=VALUE: ${line}`);
    out.set(m[1], (m[2] ?? '').replace(/^(['"])(.*)\1$/, '$2'));
  }
  return out;
}

// ---------------------------------------------------------------------------------
// A minimal XML reader: enough for well-formedness and element lookups in the
// ClickHouse config files (elements, attributes, text, comments, PI, CDATA).

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function parseXml(src: string, file: string): XmlElement {
  const docRoot: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [docRoot];
  const top = (): XmlElement => {
    const el = stack[stack.length - 1];
    if (!el) throw new Error(`${file}: unbalanced XML`);
    return el;
  };
  const re = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<\/([A-Za-z_][\w.-]*)\s*>|<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of src.matchAll(re)) {
    const [whole, cdata, close, open, attrText, selfClose, text, stray] = m;
    if (stray) throw new Error(`${file}: malformed markup near offset ${m.index}: ${src.slice(m.index, m.index + 40)}`);
    if (whole.startsWith('<!--') || whole.startsWith('<?')) continue;
    if (cdata !== undefined) {
      top().text += cdata;
    } else if (close) {
      const el = stack.pop();
      if (!el || el.name !== close) throw new Error(`${file}: </${close}> closes <${el?.name ?? 'nothing'}>`);
    } else if (open) {
      const attrs: Record<string, string> = {};
      for (const a of (attrText ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1]) attrs[a[1]] = a[2] ?? a[3] ?? '';
      }
      const el: XmlElement = { name: open, attrs, children: [], text: '' };
      top().children.push(el);
      if (!selfClose) stack.push(el);
    } else if (text !== undefined) {
      top().text += text;
    }
  }
  if (stack.length !== 1) throw new Error(`${file}: unclosed <${top().name}>`);
  const roots = docRoot.children;
  if (roots.length !== 1 || !roots[0]) throw new Error(`${file}: expected exactly one root element`);
  return roots[0];
}

const child = (el: XmlElement | undefined, name: string): XmlElement | undefined =>
  el?.children.find((c) => c.name === name);
const all = (el: XmlElement, name: string): XmlElement[] => {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === name) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
};

const usersXml = usersXmlFiles.map((f) => ({ file: f, root: parseXml(read(f), f) }));
const configXml = configXmlFiles.map((f) => ({ file: f, root: parseXml(read(f), f) }));

function xmlUser(name: string): { file: string; el: XmlElement } {
  for (const { file, root: r } of usersXml) {
    const el = child(child(r, 'users'), name);
    if (el) return { file, el };
  }
  throw new Error(`user ${name} is not defined in ${usersDir}*.xml`);
}

const grantsOf = (user: XmlElement): string[] =>
  (child(user, 'grants')?.children ?? []).map((q) => q.text.trim().replace(/\s+/g, ' '));

const PASSWORD_VARS = ['CLICKHOUSE_ADMIN_PASSWORD', 'CLICKHOUSE_CONNECTOR_PASSWORD', 'CLICKHOUSE_READER_PASSWORD', 'CLICKHOUSE_PARITY_PASSWORD'];
const KIT_ENV_VARS = [
  'CLICKHOUSE_ADMIN_USER',
  'CLICKHOUSE_ADMIN_PASSWORD',
  'CLICKHOUSE_CONNECTOR_USER',
  'CLICKHOUSE_CONNECTOR_PASSWORD',
  'CLICKHOUSE_READER_USER',
  'CLICKHOUSE_READER_PASSWORD',
  'CLICKHOUSE_PARITY_USER',
  'CLICKHOUSE_PARITY_PASSWORD',
  'CLICKHOUSE_DATABASE',
  'KAFKA_BOOTSTRAP_SERVERS',
  'SCHEMA_REGISTRY_URL',
  'CONNECT_URL',
  'CLICKHOUSE_URL',
  'CLICKHOUSE_KAFKA_BROKER_LIST',
  'CLICKHOUSE_SCHEMA_REGISTRY_URL',
];

// =================================================================================

describe('docker-compose.yml: shape', () => {
  it('uses the Compose spec without a version key and names the project', () => {
    expect(compose).not.toHaveProperty('version');
    expect(compose.name).toBe('kafka-clickhouse-kit');
  });

  it('defines the four services of the kit', () => {
    expect(Object.keys(services).sort()).toEqual(['clickhouse', 'connect', 'kafka', 'schema-registry']);
  });

  it('gives every service a real healthcheck', () => {
    for (const [name, svc] of serviceEntries) {
      const hc = svc.healthcheck;
      expect(isDict(hc), `${name} has no healthcheck`).toBe(true);
      if (!isDict(hc)) continue;
      expect(hc.disable, `${name} disables its healthcheck`).not.toBe(true);
      const test = hc.test;
      const cmd = Array.isArray(test) ? test.map(String) : [String(test ?? '')];
      expect(cmd[0], `${name}: healthcheck test must be CMD or CMD-SHELL`).toMatch(/^(CMD|CMD-SHELL)$/);
      expect(cmd.slice(1).join(' ').trim().length, `${name}: empty healthcheck command`).toBeGreaterThan(0);
      expect(hc.interval, `${name}: healthcheck interval`).toBeDefined();
      expect(hc.retries, `${name}: healthcheck retries`).toBeDefined();
    }
  });

  it('restarts every service unless stopped', () => {
    for (const [name, svc] of serviceEntries) expect(svc.restart, name).toBe('unless-stopped');
  });

  it('makes every dependent service wait for its dependencies to be healthy', () => {
    for (const name of ['schema-registry', 'connect', 'clickhouse']) {
      expect(isDict(service(name).depends_on), `${name}: depends_on must be the long (map) form`).toBe(true);
    }
    expect(Object.keys(service('connect').depends_on as Dict).sort()).toEqual(['clickhouse', 'kafka', 'schema-registry']);
    for (const [name, svc] of serviceEntries) {
      const deps = svc.depends_on;
      if (deps === undefined) continue;
      expect(isDict(deps), `${name}: depends_on as a list cannot wait for health`).toBe(true);
      for (const [dep, cond] of Object.entries(deps as Dict)) {
        expect(services[dep], `${name} depends on unknown service ${dep}`).toBeDefined();
        expect(isDict(cond) && cond.condition, `${name} -> ${dep}`).toBe('service_healthy');
        expect(services[dep]?.healthcheck, `${dep} must have a healthcheck for ${name} to wait on`).toBeDefined();
      }
    }
  });

  it('binds every published port to 127.0.0.1 only', () => {
    let count = 0;
    for (const [name, svc] of serviceEntries) {
      for (const p of publishedPorts(svc)) {
        count++;
        expect(p.hostIp, `${name}: port ${p.raw} is not bound to 127.0.0.1`).toBe('127.0.0.1');
        expect(p.published, `${name}: port ${p.raw} has no fixed host port`).toMatch(/^\d+$/);
      }
      expect(svc.network_mode, `${name} must not use host networking`).not.toBe('host');
    }
    expect(count).toBeGreaterThan(0);
  });

  it('publishes the host ports the kit defaults to', () => {
    const published = (name: string) => publishedPorts(service(name)).map((p) => `${p.published}:${p.target}`);
    expect(published('kafka')).toEqual(['9092:9092']);
    expect(published('schema-registry')).toEqual(['8081:8081']);
    expect(published('connect')).toEqual(['8083:8083']);
    expect(published('clickhouse').sort()).toEqual(['8123:8123', '9000:9000']);
  });

  it('keeps state in declared named volumes', () => {
    const declared = isDict(compose.volumes) ? Object.keys(compose.volumes) : [];
    const mountsOf = (svc: Dict): string[] => (Array.isArray(svc.volumes) ? svc.volumes.map((v) => (isDict(v) ? `${String(v.source)}:${String(v.target)}` : String(v))) : []);
    for (const [name, svc] of serviceEntries) {
      for (const m of mountsOf(svc)) {
        const source = m.split(':')[0] ?? '';
        if (source.startsWith('.') || source.startsWith('/')) continue; // bind mount
        expect(declared, `${name} mounts undeclared volume ${source}`).toContain(source);
      }
    }
    expect(mountsOf(service('kafka')).some((m) => /^[\w-]+:\/var\/lib\/kafka\/data$/.test(m))).toBe(true);
    expect(mountsOf(service('clickhouse')).some((m) => /^[\w-]+:\/var\/lib\/clickhouse$/.test(m))).toBe(true);
  });
});

describe('docker-compose.yml: images', () => {
  it('pins every image to an explicit, non-latest tag', () => {
    for (const [name, svc] of serviceEntries) {
      if (svc.image === undefined) {
        expect(svc.build, `${name} has neither image nor build`).toBeDefined();
        continue;
      }
      assertPinned(String(svc.image), name);
    }
    expect(composeCode).not.toMatch(/:latest\b/);
  });

  it('uses the official images the kit is documented against', () => {
    expect(splitImage(String(service('kafka').image)).repo).toBe('apache/kafka');
    expect(String(service('kafka').image)).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    expect(splitImage(String(service('schema-registry').image)).repo).toBe('confluentinc/cp-schema-registry');
    expect(String(service('clickhouse').image)).toMatch(/^clickhouse\/clickhouse-server:25\.8(\.\d+)*$/);
  });

  it('builds connect from connect/Dockerfile and tags the result explicitly', () => {
    const build = service('connect').build;
    expect(isDict(build)).toBe(true);
    if (!isDict(build)) return;
    expect(String(build.context).replace(/^\.\//, '').replace(/\/$/, '')).toBe('connect');
    expect(build.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(service('connect').pull_policy).toBe('build');
  });
});

describe('docker-compose.yml: service configuration', () => {
  it('runs Kafka as a single KRaft broker+controller with an internal and a host listener', () => {
    const env = environment(service('kafka'));
    expect(env.KAFKA_PROCESS_ROLES?.split(',').map((s) => s.trim()).sort()).toEqual(['broker', 'controller']);
    expect(env.KAFKA_NODE_ID).toBe('1');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@kafka:\d+$/);
    const advertised = (env.KAFKA_ADVERTISED_LISTENERS ?? '').split(',');
    expect(advertised).toContain('PLAINTEXT://kafka:19092');
    expect(advertised).toContain('PLAINTEXT_HOST://127.0.0.1:9092');
    const listeners = (env.KAFKA_LISTENERS ?? '').split(',').map((l) => l.split('://')[0]);
    const protocolMap = Object.fromEntries((env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '').split(',').map((kv) => kv.split(':')));
    for (const l of listeners) expect(protocolMap[l ?? ''], `listener ${l} has no protocol mapping`).toBeDefined();
    expect(listeners).toContain(env.KAFKA_CONTROLLER_LISTENER_NAMES);
    for (const k of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) {
      expect(env[k], k).toBe('1');
    }
    const hc = JSON.stringify(service('kafka').healthcheck);
    expect(hc).toContain('/opt/kafka/bin/');
    expect(hc).toContain('19092');
  });

  it('points the schema registry at the internal listener', () => {
    const env = environment(service('schema-registry'));
    expect(env.SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS).toBe('PLAINTEXT://kafka:19092');
    expect(env.SCHEMA_REGISTRY_LISTENERS).toBe('http://0.0.0.0:8081');
    expect(env.SCHEMA_REGISTRY_HOST_NAME).toBeTruthy();
    expect(JSON.stringify(service('schema-registry').healthcheck)).toContain('/subjects');
  });

  it('configures the Connect worker, its storage topics and ConfigProviders', () => {
    const env = environment(service('connect'));
    expect(env.CONNECT_BOOTSTRAP_SERVERS).toBe('kafka:19092');
    expect(env.CONNECT_GROUP_ID).toBeTruthy();
    expect(env.CONNECT_REST_ADVERTISED_HOST_NAME).toBeTruthy();
    // Kafka 3.0 removed rest.host.name and rest.port; the REST server listens on `listeners`.
    expect(env.CONNECT_LISTENERS).toBe('http://0.0.0.0:8083');
    expect(env).not.toHaveProperty('CONNECT_REST_PORT');
    expect(env).not.toHaveProperty('CONNECT_REST_HOST_NAME');
    for (const t of ['CONFIG', 'OFFSET', 'STATUS']) {
      expect(env[`CONNECT_${t}_STORAGE_TOPIC`], t).toBeTruthy();
      expect(env[`CONNECT_${t}_STORAGE_REPLICATION_FACTOR`], t).toBe('1');
    }
    expect(env.CONNECT_KEY_CONVERTER).toBeTruthy();
    expect(env.CONNECT_VALUE_CONVERTER).toBeTruthy();
    if (env.CONNECT_VALUE_CONVERTER === 'io.confluent.connect.avro.AvroConverter') {
      expect(env.CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL).toBe('http://schema-registry:8081');
    }
    expect(env.CONNECT_CONFIG_PROVIDERS?.split(',').map((s) => s.trim()).sort()).toEqual(['env', 'file']);
    expect(env.CONNECT_CONFIG_PROVIDERS_ENV_CLASS).toBe('org.apache.kafka.common.config.provider.EnvVarConfigProvider');
    expect(env.CONNECT_CONFIG_PROVIDERS_FILE_CLASS).toBe('org.apache.kafka.common.config.provider.FileConfigProvider');
    expect(env.CLICKHOUSE_CONNECTOR_PASSWORD).toMatch(/^\$\{CLICKHOUSE_CONNECTOR_PASSWORD:\?/);
    expect(env.CONNECT_PLUGIN_PATH?.split(',').map((s) => s.trim().replace(/\/$/, ''))).toContain('/usr/share/confluent-hub-components');
  });

  it('gives ClickHouse its users, config, ulimits and password variables', () => {
    const ch = service('clickhouse');
    const env = environment(ch);
    for (const v of PASSWORD_VARS) expect(env[v], v).toMatch(new RegExp(`^\\$\\{${v}:\\?`));
    expect(env.CLICKHOUSE_SKIP_USER_SETUP).toBe('1');
    const nofile = isDict(ch.ulimits) ? ch.ulimits.nofile : undefined;
    expect(isDict(nofile) ? [nofile.soft, nofile.hard] : nofile).toEqual([262144, 262144]);
    const mounts = (Array.isArray(ch.volumes) ? ch.volumes : []).map(String);
    expect(mounts).toContain('./docker/clickhouse/users.d:/etc/clickhouse-server/users.d:ro');
    for (const f of configXmlFiles) {
      const base = f.slice(configDir.length);
      expect(mounts, `config.d/${base} is not mounted`).toContain(`./${f}:/etc/clickhouse-server/config.d/${base}:ro`);
    }
    // A whole-directory mount would hide the image's docker_related_config.xml (listen_host).
    expect(mounts.some((m) => /:\/etc\/clickhouse-server\/config\.d\/?(:ro)?$/.test(m))).toBe(false);
  });
});

describe('environment variables and secrets', () => {
  it('.env.example lists every variable the kit and compose use, with placeholders only', () => {
    const env = envExample();
    for (const v of KIT_ENV_VARS) expect(env.has(v), `.env.example lacks ${v}`).toBe(true);
    for (const v of PASSWORD_VARS) expect(env.get(v), v).toMatch(/^change-me/);
    expect(env.get('CLICKHOUSE_ADMIN_USER')).toBe('kit_admin');
    expect(env.get('CLICKHOUSE_CONNECTOR_USER')).toBe('kit_connector');
    expect(env.get('CLICKHOUSE_READER_USER')).toBe('kit_reader');
    expect(env.get('CLICKHOUSE_DATABASE')).toBe('kit');
    expect(env.get('KAFKA_BOOTSTRAP_SERVERS')).toBe('127.0.0.1:9092');
    expect(env.get('SCHEMA_REGISTRY_URL')).toBe('http://127.0.0.1:8081');
    expect(env.get('CONNECT_URL')).toBe('http://127.0.0.1:8083');
    expect(env.get('CLICKHOUSE_URL')).toBe('http://127.0.0.1:8123');
    expect(env.get('CLICKHOUSE_KAFKA_BROKER_LIST')).toBe('kafka:19092');
    expect(env.get('CLICKHOUSE_SCHEMA_REGISTRY_URL')).toBe('http://schema-registry:8081');
    expect(envExampleText).toMatch(/\.env/);
  });

  it('every variable compose interpolates is documented in .env.example', () => {
    const env = envExample();
    const used = referencedVars(composeCode);
    expect(used.size).toBeGreaterThan(0);
    for (const v of used) expect(env.has(v), `compose uses \${${v}} but .env.example does not list it`).toBe(true);
    for (const v of PASSWORD_VARS) expect(used.has(v), `compose never passes ${v}`).toBe(true);
  });

  it('passes secrets only as required ${VAR:?message} references', () => {
    let secrets = 0;
    for (const [name, svc] of serviceEntries) {
      for (const [k, v] of Object.entries(environment(svc))) {
        if (!/PASSWORD|SECRET|TOKEN|CREDENTIAL|API_KEY|PRIVATE_KEY/i.test(k)) continue;
        secrets++;
        expect(v, `${name}.${k} must be \${${k}:?...}, not a literal or an optional default`).toMatch(
          new RegExp(`^\\$\\{${k}:\\?[^}]+\\}$`),
        );
      }
    }
    expect(secrets).toBeGreaterThanOrEqual(PASSWORD_VARS.length);
    // No ${VAR:-default} / ${VAR-default} for a secret anywhere in the file.
    for (const m of composeCode.matchAll(/\$\{([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN)[A-Z0-9_]*)([^}]*)\}/g)) {
      expect(m[2], `\${${m[1]}} must use :? (required), got "${m[2]}"`).toMatch(/^:\?/);
    }
  });

  it('holds no secret-looking literal in any of these files', () => {
    const files: [string, string][] = [
      ['docker-compose.yml', composeText],
      ['connect/Dockerfile', dockerfileText],
      ['connect/README.md', connectReadme],
      ['.env.example', envExampleText],
      ...[...usersXmlFiles, ...configXmlFiles].map((f): [string, string] => [f, read(f)]),
    ];
    const patterns: [string, RegExp][] = [
      ['private key block', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
      ['AWS access key id', /\bAKIA[0-9A-Z]{16}\b/],
      ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{30,}\b/],
      ['Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
      ['credentials in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]+:[^\s/@'"$]+@/i],
      ['literal password element', /<password(?:_sha256_hex|_double_sha1_hex)?>\s*[^<\s]+\s*</],
    ];
    for (const [file, text] of files) {
      for (const [what, re] of patterns) expect(re.test(text), `${file}: ${what}`).toBe(false);
      // KEY=VALUE / KEY: VALUE assignments to secret-named keys must be references or placeholders.
      for (const m of text.matchAll(/^\s*(?:-\s*)?(?:ARG\s+|ENV\s+)?([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN)[A-Z0-9_]*)\s*[:=]\s*(.*)$/gm)) {
        const value = (m[2] ?? '').trim().replace(/^(['"])(.*)\1$/, '$2');
        const ok = value === '' || value.startsWith('${') || /^change-me/.test(value);
        expect(ok, `${file}: ${m[1]} is assigned a literal "${value}"`).toBe(true);
      }
    }
  });
});

describe('connect/Dockerfile', () => {
  const fromLines = [...dockerfileText.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({
    image: m[1] ?? '',
    stage: m[2],
  }));
  const argDefault = (name: string): string | undefined => {
    const values = [...dockerfileText.matchAll(new RegExp(`^ARG\\s+${name}=(\\S*)`, 'gm'))].map((m) => m[1] ?? '');
    if (values.length === 0) return undefined;
    expect(new Set(values).size, `ARG ${name} has conflicting defaults`).toBe(1);
    return values[0];
  };

  it('pins every base image, the last one being cp-kafka-connect at the registry version', () => {
    expect(fromLines.length).toBeGreaterThan(0);
    const stages = new Set(fromLines.map((f) => f.stage).filter(Boolean));
    for (const { image } of fromLines) {
      if (stages.has(image)) continue;
      expect(image).not.toContain('$');
      assertPinned(image, 'connect/Dockerfile');
    }
    const last = fromLines[fromLines.length - 1];
    expect(last && splitImage(last.image).repo).toBe('confluentinc/cp-kafka-connect');
    const registryTag = splitImage(String(service('schema-registry').image)).tag;
    expect(last && splitImage(last.image).tag, 'Connect and Schema Registry must share the Confluent version').toBe(registryTag);
  });

  it('downloads the ClickHouse connector release zip for a pinned version', () => {
    expect(argDefault('CLICKHOUSE_CONNECTOR_VERSION')).toBe('v1.5.0');
    expect(dockerfileText).toContain(
      'https://github.com/ClickHouse/clickhouse-kafka-connect/releases/download/${CLICKHOUSE_CONNECTOR_VERSION}/clickhouse-kafka-connect-${CLICKHOUSE_CONNECTOR_VERSION}.zip',
    );
    expect(dockerfileText).toMatch(/COPY\s+--from=\S+\s+\S+\s+\/usr\/share\/confluent-hub-components\//);
    const tag = splitImage(String(service('connect').image)).tag ?? '';
    expect(tag, 'connect image tag should name the connector version').toContain(argDefault('CLICKHOUSE_CONNECTOR_VERSION') ?? '?');
    expect(tag, 'connect image tag should name the Confluent version').toContain(splitImage(fromLines.at(-1)?.image ?? '').tag ?? '?');
  });

  it('verifies the zip with sha256sum -c and refuses an empty or malformed checksum', () => {
    expect(argDefault('CLICKHOUSE_CONNECTOR_SHA256')).toMatch(/^[0-9a-f]{64}$/);
    expect(dockerfileText).toMatch(/sha256sum -c/);
    expect(dockerfileText).toMatch(/\$\{CLICKHOUSE_CONNECTOR_SHA256\}\s+\/tmp\/connector\.zip"\s*\|\s*sha256sum -c -/);
    expect(dockerfileText).toMatch(/if \[ -z "\$\{CLICKHOUSE_CONNECTOR_SHA256\}" \]; then[\s\S]*?exit 1/);
    expect(dockerfileText).toMatch(/\^\[0-9a-f\]\{64\}\$/);
    // Fail fast: the shell must stop on the first failing command.
    expect(dockerfileText).toMatch(/RUN set -e/);
    // The checksum check must come before the zip is unpacked.
    expect(dockerfileText.indexOf('sha256sum -c')).toBeLessThan(dockerfileText.indexOf('unzip -q'));
  });
});

describe('ClickHouse XML', () => {
  it('has well-formed <clickhouse> files in users.d and config.d', () => {
    expect(usersXml.length).toBeGreaterThan(0);
    expect(configXml.length).toBeGreaterThan(0);
    for (const { file, root: r } of [...usersXml, ...configXml]) expect(r.name, file).toBe('clickhouse');
  });

  it('takes every password from the environment and never leaves one empty', () => {
    let passwords = 0;
    for (const { file, root: r } of usersXml) {
      for (const tag of ['password', 'password_sha256_hex', 'password_double_sha1_hex', 'no_password']) {
        for (const el of all(r, tag)) {
          expect(tag, `${file}: ${tag} is not allowed`).toBe('password');
          passwords++;
          expect(el.attrs.from_env, `${file}: <password> without from_env`).toMatch(/^CLICKHOUSE_[A-Z]+_PASSWORD$/);
          expect(el.text.trim(), `${file}: <password> carries a literal value`).toBe('');
          expect(el.attrs.replace, `${file}: replace="1" would allow a default value`).toBeUndefined();
        }
      }
    }
    expect(passwords).toBe(4);
    const fromEnv = new Set(usersXml.flatMap(({ root: r }) => all(r, 'password').map((p) => p.attrs.from_env)));
    expect([...fromEnv].sort()).toEqual([...PASSWORD_VARS].sort());
    // ...and compose hands exactly those variables to the clickhouse container.
    const env = environment(service('clickhouse'));
    for (const v of fromEnv) expect(env[v ?? ''], `clickhouse container lacks ${v}`).toBeDefined();
  });

  it('removes the passwordless default user', () => {
    const defaults = usersXml.map(({ root: r }) => child(child(r, 'users'), 'default')).filter((d): d is XmlElement => !!d);
    expect(defaults.length).toBeGreaterThan(0);
    expect(defaults.some((d) => d.attrs.remove === 'remove' || d.attrs.remove === '1' || d.attrs.remove === 'true')).toBe(true);
  });

  it('defines the three kit users with the names .env.example uses', () => {
    const env = envExample();
    for (const key of ['CLICKHOUSE_ADMIN_USER', 'CLICKHOUSE_CONNECTOR_USER', 'CLICKHOUSE_READER_USER']) {
      const name = env.get(key) ?? '';
      expect(() => xmlUser(name), `${key}=${name}`).not.toThrow();
    }
  });

  it('gives the admin full access with access management', () => {
    const { el } = xmlUser('kit_admin');
    expect(child(el, 'access_management')?.text.trim()).toBe('1');
    expect(child(el, 'grants')).toBeUndefined();
    expect(child(el, 'allow_databases')).toBeUndefined();
    expect(child(el, 'password')?.attrs.from_env).toBe('CLICKHOUSE_ADMIN_PASSWORD');
  });

  it("lets the connector user write each shipped pipeline's connector table (kit.events_connect, kit.orders_connect) and nothing else", () => {
    // A pipeline's connector table: clickhouse.connectorTable, else <name>_connect, in
    // clickhouse.database, else the kit's database (kit).
    const pipelineFiles = readdirSync(new URL('pipelines/', root)).filter((f) => /\.ya?ml$/.test(f));
    const connectorTables = pipelineFiles.map((f) => {
      const def = parse(read(`pipelines/${f}`)) as { name: string; clickhouse?: { connectorTable?: string; database?: string } };
      return `${def.clickhouse?.database ?? 'kit'}.${def.clickhouse?.connectorTable ?? `${def.name}_connect`}`;
    });
    expect(connectorTables.sort()).toEqual(['kit.events_connect', 'kit.orders_connect']);
    const { el } = xmlUser('kit_connector');
    expect(child(el, 'access_management')).toBeUndefined();
    expect(child(el, 'password')?.attrs.from_env).toBe('CLICKHOUSE_CONNECTOR_PASSWORD');
    const grants = grantsOf(el);
    for (const table of connectorTables) expect(grants).toContain(`GRANT INSERT ON ${table}`);
    const inserts: string[] = [];
    for (const g of grants) {
      expect(g, 'grant queries in users.xml take no TO clause').not.toMatch(/\sTO\s/i);
      expect(g).not.toMatch(/\bALL\b|\*\.\*|WITH GRANT OPTION|ACCESS MANAGEMENT|\bDROP\b|\bALTER\b|\bTRUNCATE\b/i);
      const m = /^GRANT (.+) ON (\S+)$/.exec(g);
      expect(m, `unexpected grant form: ${g}`).not.toBeNull();
      const privs = (m?.[1] ?? '').split(',').map((p) => p.trim());
      const target = m?.[2] ?? '';
      if (privs.includes('INSERT')) {
        expect([...connectorTables, 'kit.connect_state'], g).toContain(target);
        inserts.push(target);
      }
      if (privs.includes('CREATE TABLE')) expect(target, g).toBe('kit.connect_state');
      if (target === 'kit.*') expect(privs, g).toEqual(['SHOW DATABASES']);
    }
    expect(inserts.sort()).toEqual([...connectorTables, 'kit.connect_state'].sort());
    // What the connector needs to start: describe its table and read system.columns.
    for (const table of connectorTables) expect(grants.some((g) => new RegExp(`SHOW COLUMNS.* ON ${table.replace('.', '\\.')}$`).test(g)), table).toBe(true);
    expect(grants).toContain('GRANT SELECT ON system.columns');
  });

  it('keeps the reader read-only', () => {
    const { el } = xmlUser('kit_reader');
    expect(child(el, 'access_management')).toBeUndefined();
    expect(child(el, 'password')?.attrs.from_env).toBe('CLICKHOUSE_READER_PASSWORD');
    const profileName = child(el, 'profile')?.text.trim() ?? '';
    const profile = usersXml.map(({ root: r }) => child(child(r, 'profiles'), profileName)).find(Boolean);
    const readonly = profileName === 'readonly' ? '1' : child(profile, 'readonly')?.text.trim();
    expect(['1', '2'], `profile ${profileName} is not read-only`).toContain(readonly);
    const grants = grantsOf(el);
    expect(grants).toContain('GRANT SELECT ON kit.*');
    for (const g of grants) {
      expect(g).toMatch(/^GRANT (SELECT|SHOW( DATABASES| TABLES| COLUMNS)?)(, (SELECT|SHOW( DATABASES| TABLES| COLUMNS)?))* ON (kit\.\*|kit\.\w+|system\.\w+)$/);
    }
  });

  it("limits verify:parity's user to reading, its session's temporary tables and its watermarks table", () => {
    const { el } = xmlUser('kit_parity');
    expect(child(el, 'access_management')).toBeUndefined();
    expect(child(el, 'password')?.attrs.from_env).toBe('CLICKHOUSE_PARITY_PASSWORD');
    const grants = grantsOf(el);
    expect(grants).toContain('GRANT SELECT ON kit.*');
    expect(grants).toContain('GRANT CREATE TEMPORARY TABLE ON *.*');
    expect(grants).toContain('GRANT INSERT ON kit.parity_watermarks');
    for (const g of grants) {
      expect(g).toMatch(/^GRANT ((SELECT|SHOW( DATABASES| TABLES| COLUMNS)?)(, (SELECT|SHOW( DATABASES| TABLES| COLUMNS)?))* ON (kit\.\*|system\.\w+)|CREATE TEMPORARY TABLE ON \*\.\*|INSERT ON kit\.parity_watermarks)$/);
    }
    // Every system table verify:parity's code reads (its subfolders included) is granted.
    const code = readdirSync(new URL('src/parity', root), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => read(`src/parity/${f}`))
      .join('\n');
    const readByParity = new Set([...code.matchAll(/\bsystem\.(\w+)/g)].map((m) => m[1]!));
    expect(readByParity.has('parts')).toBe(true);
    for (const t of readByParity) if (!['tables', 'columns', 'databases', 'one'].includes(t)) expect(grants, `kit_parity lacks system.${t}`).toContain(`GRANT SELECT ON system.${t}`);
    // The watermarks table is the kit's own DDL, created by the admin.
    expect(read('sql/05_parity_watermarks.sql')).toMatch(/CREATE TABLE IF NOT EXISTS \{\{database\}\}\.parity_watermarks/);
  });

  it('lets the reader select exactly the system tables health and verify:parity read', () => {
    // ClickHouse's shipped config turns select_from_system_db_requires_grant on: every system
    // table the reader's code reads needs its grant (these few are readable by everyone).
    const everyone = new Set(['tables', 'columns', 'databases', 'one']);
    const code = ['src/health', 'src/parity', 'scripts/health.ts', 'scripts/verify-parity.ts', 'src/clickhouse/query.ts']
      .flatMap((rel) => (rel.endsWith('.ts') ? [rel] : readdirSync(new URL(rel, root)).map((f) => `${rel}/${f}`)))
      .filter((f) => f.endsWith('.ts'))
      .map(read)
      .join('\n');
    const read_ = new Set([...code.matchAll(/\bsystem\.(\w+)/g)].map((m) => m[1]!));
    const granted = new Set(grantsOf(xmlUser('kit_reader').el).flatMap((g) => /^GRANT SELECT ON system\.(\w+)$/.exec(g)?.[1] ?? []));
    expect(read_.has('kafka_consumers')).toBe(true);
    for (const t of read_) if (!everyone.has(t)) expect(granted, `kit_reader lacks GRANT SELECT ON system.${t}`).toContain(t);
    for (const t of granted) expect(read_, `kit_reader is granted system.${t}, which nothing it runs reads`).toContain(t);
  });

  it('configures Keeper and the KeeperMap prefix the connector exactly-once state needs', () => {
    const merged = configXml.map(({ root: r }) => r);
    expect(merged.some((r) => child(r, 'keeper_map_path_prefix')?.text.trim().startsWith('/'))).toBe(true);
    expect(merged.some((r) => child(child(r, 'zookeeper'), 'node'))).toBe(true);
    expect(merged.some((r) => child(r, 'keeper_server'))).toBe(true);
  });
});
