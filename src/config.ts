/**
 * cluster.yml → typed configuration with Pharos' defaults and derived values (design §3).
 *
 * Pharos checked little and, with a wrong manifest path, applied an empty set and pruned the network. So
 * every check runs here, before anything renders, and every finding points at `cluster.yml:line:col` of the
 * offending value, read from yaml's document nodes. Problems are collected, not thrown one at a time, so
 * one run shows them all. A `cluster.yml.erb` is rendered first (Pharos allowed `<%= ENV['X'] %>` there);
 * its positions are those of the rendered text, which keeps the lines of the template as long as no tag
 * spans several lines.
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { isAlias, isMap, isScalar, isSeq, LineCounter } from 'yaml'
import type { Document, Node, YAMLError, YAMLMap } from 'yaml'
import { cidrHost, cidrsOverlap, CidrSyntaxError, formatCidr, hasHostBits, parseCidr, type Cidr } from './cidr.js'
import { manifestEngine } from './discover.js'
import { codeFrame, ConfigError, EnvironmentError, InputErrors, type Diagnostic, type Severity } from './errors.js'
import { environmentView } from './environment.js'
import { fileSystemFailure } from './fs-errors.js'
import { readInputFile } from './input-file.js'
import { Budget, DEFAULT_LIMITS, type Limits } from './limits.js'
import { compileErb } from './render/erb.js'
import { parseYamlDocument } from './yaml-limits.js'
import { asRecord } from './records.js'

export type NetworkProvider = 'weave' | 'calico' | 'custom'

export interface CustomNetworkConfig {
  /** As written in cluster.yml (relative to the folder holding it). */
  manifest_path: string
  options: Record<string, unknown>
}

export interface NetworkConfig {
  provider: NetworkProvider
  pod_network_cidr: string
  service_cidr: string
  /** Derived: the service CIDR's base address + 10, as Pharos computes it. */
  dns_service_ip: string
  node_local_dns_cache: boolean
  firewalld: { enabled: boolean; [key: string]: unknown }
  custom?: CustomNetworkConfig
  [key: string]: unknown
}

/** The whole cluster.yml, defaults filled in; keys we do not model are kept as written. */
export interface ClusterConfig {
  network: NetworkConfig
  [key: string]: unknown
}

export interface LoadedClusterConfig {
  /** Absolute path of the file that was read. */
  file: string
  config: ClusterConfig
  /** `network.custom.manifest_path` resolved against the folder holding the config file. */
  manifestPath: string
  /** Non-fatal findings (unknown keys, host bits set), each with its line in the config file. */
  warnings: Diagnostic[]
  /**
   * The parsed file, as Pharos' Psych read it (see yaml-readers.ts): its nodes keep what plain data loses.
   * A scalar's value is a bigint for a Ruby Integer, a number for a Float, a string, a boolean or null;
   * mappings hold their keys in order with their types, `<<` merges already applied as Psych applied them.
   */
  document: Document
}

export interface LoadClusterConfigOptions {
  /** Path given with -c, or undefined for the default (./cluster.yml, then ./cluster.yml.erb). */
  file?: string
  /** Where relative paths start; the core never reads process.cwd() itself. */
  cwd: string
  /** The environment; `cluster.yml.erb` sees the variables `allowEnv` names as ENV (Pharos allowed it there). */
  env?: Record<string, string | undefined>
  /** Names or globs of the environment variables ENV shows (--allow-env); none by default. */
  allowEnv?: readonly string[]
  /** Let `manifest_path` (and what it links to) leave the folder holding cluster.yml. */
  allowOutsideManifests?: boolean
  limits?: Limits
}

const PROVIDERS: readonly NetworkProvider[] = ['weave', 'calico', 'custom']
const DEFAULT_POD_NETWORK_CIDR = '10.32.0.0/12'
const DEFAULT_SERVICE_CIDR = '10.96.0.0/12'
/** Pharos puts the cluster DNS service at this host number of the service network. */
const DNS_SERVICE_HOST = 10

// Pharos' schema (lib/pharos/config_schema.rb). Generous on purpose: a missed warning costs less than nagging
// about a key Pharos accepts.
const TOP_LEVEL_KEYS = [
  'name', 'hosts', 'network', 'api', 'authentication', 'audit', 'kube_proxy', 'kubelet', 'control_plane',
  'telemetry', 'pod_security_policy', 'image_repository', 'addon_paths', 'addons', 'etcd', 'cloud',
  'admission_plugins', 'container_runtime', 'salt', 'cluster_name',
]
const NETWORK_KEYS = [
  'provider', 'pod_network_cidr', 'service_cidr', 'dns_replicas', 'node_local_dns_cache', 'firewalld', 'weave',
  'calico', 'custom',
]
const FIREWALLD_KEYS = ['enabled', 'open_ports', 'trusted_subnets']
const CUSTOM_KEYS = ['manifest_path', 'options']

export async function loadClusterConfig(options: LoadClusterConfigOptions): Promise<LoadedClusterConfig> {
  const limits = options.limits ?? DEFAULT_LIMITS
  const { file, raw } = await readConfigFile(options, limits)
  const erb = file.endsWith('.erb')
  const source = erb
    ? compileErb(raw, file).render({ ENV: environmentView(options.env ?? {}, options.allowEnv ?? []) }, { limits })
    : raw
  const lineCounter = new LineCounter()
  const doc = parseYamlDocument(source, { file, limits, nodeBudget: new Budget('yaml-nodes', limits), lineCounter })
  // Excerpts of a rendered cluster.yml.erb show the template, not what ENV put into it.
  const report = new Report(file, lineCounter, erb ? raw : source)

  // One syntax error tends to cascade into several; the first is the one to fix.
  const [syntaxError] = doc.errors
  if (syntaxError) report.yamlProblem('error', syntaxError)
  report.throwIfErrors()
  for (const warning of doc.warnings) report.yamlProblem('warning', warning)

  const root = resolveAlias(doc, doc.contents)
  if (!isMap(root)) {
    const hint = 'start with `network:` and the keys below it, as in Pharos\' cluster.yml'
    if (root === null || isNullScalar(root)) report.add('error', 0, `${basename(file)} is empty`, hint)
    else report.add('error', start(root), `${basename(file)} must be a mapping of keys, not ${describe(root)}`, hint)
    return report.fail()
  }
  report.unknownKeys(root, TOP_LEVEL_KEYS, '')

  const network = checkNetwork(doc, root, report)
  let manifestPath = ''
  if (network.manifestPath) {
    manifestPath = resolve(dirname(file), network.manifestPath.value)
    const { at } = network.manifestPath
    if (options.allowOutsideManifests || (await staysInside(manifestPath, dirname(file), at, report))) {
      await checkManifestPath(manifestPath, at, report)
    }
  }
  report.throwIfErrors()

  return { file, config: assembleConfig(doc, network), manifestPath, warnings: inFileOrder(report.warnings), document: doc }
}

async function readConfigFile(options: LoadClusterConfigOptions, limits: Limits): Promise<{ file: string; raw: string }> {
  const candidates = options.file === undefined
    ? [resolve(options.cwd, 'cluster.yml'), resolve(options.cwd, 'cluster.yml.erb')]
    : [resolve(options.cwd, options.file)]
  for (const file of candidates) {
    const info = await stat(file).catch((cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT' || cause.code === 'ENOTDIR') return undefined
      throw new EnvironmentError(`cannot read config file ${file}: ${cause.message}`, {
        cause,
        hint: 'check the file\'s permissions',
      })
    })
    if (!info) continue
    if (info.isDirectory()) {
      throw new ConfigError(`config file is a folder: ${options.file ?? basename(file)}`, {
        hint: 'pass the cluster.yml inside it with -c PATH',
      })
    }
    return { file, raw: await readInputFile(file, { limits, errorClass: ConfigError }) }
  }
  if (options.file === undefined) {
    throw new ConfigError('config file not found: cluster.yml', {
      hint: `no cluster.yml or cluster.yml.erb in ${options.cwd}; run in the folder holding it, or pass -c PATH`,
    })
  }
  throw new ConfigError(`config file not found: ${options.file}`, {
    hint: `looked for ${candidates[0]}; a relative -c PATH starts at the current folder`,
  })
}

/** What the network checks found, before it becomes plain data. */
interface CheckedNetwork {
  provider: NetworkProvider
  podNetworkCidr: string
  serviceCidr: string
  dnsServiceIp: string
  nodeLocalDnsCache: boolean
  firewalldEnabled: boolean
  /** Whether `network.custom` is written (as a mapping). */
  hasCustom: boolean
  /** Only with `provider: custom` and a usable `custom.manifest_path`. */
  manifestPath?: { value: string; at: number | undefined }
}

function checkNetwork(doc: Document, root: YAMLMap, report: Report): CheckedNetwork {
  const networkEntry = entry(doc, root, 'network')
  const network = mapping(networkEntry, 'network', report)
  if (network) report.unknownKeys(network, NETWORK_KEYS, 'network.')
  const field = (name: string): Entry | undefined => (network ? entry(doc, network, name) : undefined)

  const providerEntry = field('provider')
  let provider: NetworkProvider | undefined = 'weave'
  if (isPresent(providerEntry)) {
    const value = scalarValue(providerEntry.value)
    provider = PROVIDERS.find((choice) => choice === value)
    if (!provider) {
      report.add('error', providerEntry.at, `network.provider must be one of ${PROVIDERS.join(', ')}, not ${describe(providerEntry.value)}`,
        `choose one of: ${PROVIDERS.join(', ')} (this tool renders custom; the others are built into Pharos)`)
    }
  }

  const pod = checkCidr(field('pod_network_cidr'), 'network.pod_network_cidr', DEFAULT_POD_NETWORK_CIDR, report)
  const service = checkCidr(field('service_cidr'), 'network.service_cidr', DEFAULT_SERVICE_CIDR, report)
  if (pod.cidr && service.cidr && cidrsOverlap(pod.cidr, service.cidr)) {
    report.add('error', service.at ?? pod.at,
      `network.pod_network_cidr ${pod.text} and network.service_cidr ${service.text} overlap`,
      `pods and services need separate address ranges; change one of them (Pharos' defaults are ` +
        `${DEFAULT_POD_NETWORK_CIDR} and ${DEFAULT_SERVICE_CIDR})`)
  }
  let dnsServiceIp = ''
  if (service.cidr) {
    try {
      dnsServiceIp = cidrHost(service.cidr, DNS_SERVICE_HOST)
    } catch {
      report.add('error', service.at, `network.service_cidr ${service.text} is too small for the DNS service address`,
        `the cluster DNS service takes host number ${DNS_SERVICE_HOST} of the service network; use a shorter prefix`)
    }
  }

  const nodeLocalDnsCache = checkBoolean(field('node_local_dns_cache'), 'network.node_local_dns_cache', true, report)

  const firewalldEntry = field('firewalld')
  const firewalld = mapping(firewalldEntry, 'network.firewalld', report)
  if (firewalld) report.unknownKeys(firewalld, FIREWALLD_KEYS, 'network.firewalld.')
  const firewalldEnabled = checkBoolean(
    firewalld ? entry(doc, firewalld, 'enabled') : undefined, 'network.firewalld.enabled', false, report)

  const customEntry = field('custom')
  const custom = mapping(customEntry, 'network.custom', report)
  if (custom) report.unknownKeys(custom, CUSTOM_KEYS, 'network.custom.')
  mapping(custom ? entry(doc, custom, 'options') : undefined, 'network.custom.options', report)
  const manifestPathEntry = custom ? entry(doc, custom, 'manifest_path') : undefined

  const checked: CheckedNetwork = {
    provider: provider ?? 'weave',
    podNetworkCidr: pod.text,
    serviceCidr: service.text,
    dnsServiceIp,
    nodeLocalDnsCache,
    firewalldEnabled,
    hasCustom: custom !== undefined,
  }
  if (provider !== 'custom') return checked

  if (!isPresent(manifestPathEntry)) {
    // Point at what holds the missing key: `custom:` when written, else `network:`.
    const holder = isPresent(customEntry) ? customEntry : networkEntry
    report.add('error', holder?.keyAt, 'network.provider is custom but network.custom.manifest_path is not set',
      'add network.custom.manifest_path: the folder (or single file) of manifests, relative to the folder ' +
        'holding cluster.yml')
    return checked
  }
  const manifestPath = scalarValue(manifestPathEntry.value)
  if (typeof manifestPath !== 'string' || manifestPath.trim() === '') {
    report.add('error', manifestPathEntry.at,
      `network.custom.manifest_path must be a path, not ${describe(manifestPathEntry.value)}`,
      'write the folder (or single file) of manifests, relative to the folder holding cluster.yml, e.g. ./network/')
    return checked
  }
  return { ...checked, manifestPath: { value: manifestPath, at: manifestPathEntry.at } }
}

interface CheckedCidr {
  /** As written, or the default. */
  text: string
  /** Undefined when the text does not parse. */
  cidr?: Cidr
  /** Offset of the value in the config, when written. */
  at?: number
}

function checkCidr(found: Entry | undefined, path: string, fallback: string, report: Report): CheckedCidr {
  if (!isPresent(found)) return { text: fallback, cidr: parseCidr(fallback) }
  const value = scalarValue(found.value)
  if (typeof value !== 'string') {
    report.add('error', found.at, `${path} must be a CIDR such as ${fallback}, not ${describe(found.value)}`,
      `write an address and a prefix length, e.g. ${fallback} (IPv4) or fd00:10:96::/108 (IPv6)`)
    return { text: String(value), at: found.at }
  }
  let cidr: Cidr
  try {
    cidr = parseCidr(value)
  } catch (cause) {
    if (!(cause instanceof CidrSyntaxError)) throw cause
    report.add('error', found.at, `${path} is not a valid CIDR: ${cause.message}`,
      `write an address and a prefix length, e.g. ${fallback} (IPv4) or fd00:10:96::/108 (IPv6)`)
    return { text: value, at: found.at }
  }
  if (hasHostBits(cidr)) {
    report.add('warning', found.at, `${path} ${value} has host bits set`,
      `did you mean ${formatCidr(cidr)}? the network address is what counts`)
  }
  return { text: value, cidr, at: found.at }
}

function checkBoolean(found: Entry | undefined, path: string, fallback: boolean, report: Report): boolean {
  if (!isPresent(found)) return fallback
  const value = scalarValue(found.value)
  if (typeof value === 'boolean') return value
  report.add('error', found.at, `${path} must be true or false, not ${describe(found.value)}`,
    `write true or false (or yes/no, on/off, as Pharos read YAML 1.1); the default is ${fallback}`)
  return fallback
}

/**
 * The manifest path, links resolved, stays inside the folder holding cluster.yml: a repository's config
 * must not render (and print excerpts of) files from elsewhere on the machine.
 */
async function staysInside(path: string, configDir: string, at: number | undefined, report: Report): Promise<boolean> {
  const real = async (p: string) => realpath(p).catch(() => p)
  const inside = relative(await real(configDir), await real(path))
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) return true
  report.add('error', at, `network.custom.manifest_path leads outside the folder holding ${basename(report.file)}: ${path}`,
    'keep the manifests beside cluster.yml; if you trust this config, pass --allow-outside-manifests')
  return false
}

/** The manifest path exists and holds a manifest, by the rules discover.ts reads it with (design §4). */
async function checkManifestPath(path: string, at: number | undefined, report: Report): Promise<void> {
  try {
    const info = await stat(path)
    if (info.isFile()) {
      if (!manifestEngine(basename(path))) {
        report.add('error', at, `manifest path is not a manifest file: ${path}`,
          'a single manifest must end in .yml, .yaml, .yml.erb, .yaml.erb, .yml.liquid or .yaml.liquid')
      }
      return
    }
    const names = info.isDirectory() ? await readdir(path) : []
    for (const name of names) {
      if (manifestEngine(name) && (await stat(join(path, name)).catch(() => undefined))?.isFile()) return
    }
    report.add('error', at, `no manifests in ${path}`,
      'the folder must hold *.yml, *.yaml, *.yml.erb, *.yaml.erb, *.yml.liquid or *.yaml.liquid files ' +
        '(read non-recursively, dotfiles skipped)')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      report.add('error', at, `manifest path does not exist: ${path}`,
        'network.custom.manifest_path is relative to the folder holding cluster.yml')
    } else {
      const { reason, hint } = fileSystemFailure(cause)
      report.add('error', at, `cannot read manifest path ${path}: ${reason}`, hint)
    }
  }
}

/** The document as plain data, checked values and defaults merged in where Pharos has them. */
function assembleConfig(doc: Document, checked: CheckedNetwork): ClusterConfig {
  // Aliases were measured by what they expand to when parsed (alias-size); their count alone says little.
  // Plain data is JSON-safe: a Ruby Integer, a bigint in the document, is a number here.
  const data = asRecord(doc.toJS({ maxAliasCount: -1, reviver: (_key, value) => (typeof value === 'bigint' ? Number(value) : value) }))
  const written = asRecord(data.network)
  const network: NetworkConfig = {
    ...written,
    provider: checked.provider,
    pod_network_cidr: checked.podNetworkCidr,
    service_cidr: checked.serviceCidr,
    dns_service_ip: checked.dnsServiceIp,
    node_local_dns_cache: checked.nodeLocalDnsCache,
    firewalld: { ...asRecord(written.firewalld), enabled: checked.firewalldEnabled },
  }
  if (checked.hasCustom) {
    const custom = asRecord(written.custom)
    network.custom = { ...custom, options: asRecord(custom.options) } as CustomNetworkConfig
  }
  return { ...data, network }
}


/** A key of a mapping with its value (aliases resolved) and where both are written. */
interface Entry {
  value: Node | null
  keyAt: number | undefined
  /** The value's offset, or the key's when the value is empty. */
  at: number | undefined
}

function entry(doc: Document, map: YAMLMap, name: string): Entry | undefined {
  const pair = map.items.find((item) => keyName(item.key) === name)
  if (!pair) return undefined
  const keyAt = start(pair.key)
  return { value: resolveAlias(doc, pair.value), keyAt, at: start(pair.value) ?? keyAt }
}

function isPresent(found: Entry | undefined): found is Entry & { value: Node } {
  return found !== undefined && found.value !== null && !isNullScalar(found.value)
}

/** The mapping under a key; absent or empty is fine, anything else is reported. */
function mapping(found: Entry | undefined, path: string, report: Report): YAMLMap | undefined {
  if (!isPresent(found)) return undefined
  if (isMap(found.value)) return found.value
  report.add('error', found.at, `${path} must be a mapping of keys, not ${describe(found.value)}`,
    `write the keys of ${path} indented below it`)
  return undefined
}

function resolveAlias(doc: Document, value: unknown): Node | null {
  if (isAlias(value)) return (value.resolve(doc) as Node | undefined) ?? null
  return isScalar(value) || isMap(value) || isSeq(value) ? value : null
}

function keyName(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key)
}

function scalarValue(node: Node | null): unknown {
  return isScalar(node) ? node.value : undefined
}

function isNullScalar(node: Node): boolean {
  return isScalar(node) && node.value === null
}

function start(node: unknown): number | undefined {
  return isScalar(node) || isMap(node) || isSeq(node) || isAlias(node) ? node.range?.[0] : undefined
}

function describe(node: Node | null): string {
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  const value = scalarValue(node)
  if (value === null || value === undefined) return 'nothing'
  if (typeof value === 'string') return `"${value}"`
  return String(value)
}

/** Optimal string alignment distance: Levenshtein plus swapped neighbours, the commonest typo. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]
      const up = rows[i - 1]
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(up[j] + 1, row[j - 1] + 1, up[j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1)
      }
    }
  }
  return rows[a.length][b.length]
}

function closestKey(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3))
  let best: { key: string; distance: number } | undefined
  for (const key of known) {
    const distance = editDistance(name.toLowerCase(), key)
    if (distance <= limit && (!best || distance < best.distance)) best = { key, distance }
  }
  return best?.key
}

/** Checks run section by section; users read top to bottom. */
function inFileOrder(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.toSorted((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
}

/** Collects findings with their positions; throws them together. */
class Report {
  readonly errors: Diagnostic[] = []
  readonly warnings: Diagnostic[] = []

  constructor(
    readonly file: string,
    private readonly lineCounter: LineCounter,
    /** The text excerpts are taken from: the template of a cluster.yml.erb, whose lines the output keeps. */
    private readonly frameSource: string,
  ) {}

  private frame(line: number, col: number): string {
    return codeFrame(this.frameSource, line, col)
  }

  add(severity: Exclude<Severity, 'note'>, at: number | undefined, message: string, hint: string): void {
    const diagnostic: Diagnostic = { severity, message, file: this.file, hint }
    if (at !== undefined) {
      const { line, col } = this.lineCounter.linePos(at)
      Object.assign(diagnostic, { line, col, frame: this.frame(line, col) })
    }
    ;(severity === 'error' ? this.errors : this.warnings).push(diagnostic)
  }

  yamlProblem(severity: Exclude<Severity, 'note'>, problem: YAMLError): void {
    // prettyErrors appends the position and an excerpt; ours come as separate fields.
    const message = problem.message.replace(/ at line \d+, column \d+(:\n[\s\S]*)?$/, '')
    const position = problem.linePos?.[0]
    const hints: Partial<Record<string, string>> = {
      DUPLICATE_KEY: 'a key may appear once in each mapping; merge the two entries or delete one',
      MULTIPLE_DOCS: `${basename(this.file)} holds a single YAML document; remove the \`---\` separator`,
      TAG_RESOLVE_FAILED: 'the tag is ignored and the value read as plain YAML',
      BAD_ALIAS: 'mark the value it stands for with &name, above this line',
      BAD_SCALAR: 'quote the value to keep it as text (Pharos needed the quotes too)',
    }
    const diagnostic: Diagnostic = {
      severity,
      // A value Pharos refused is valid YAML: the message says what Pharos made of it.
      message: severity === 'error' && problem.code !== ('BAD_SCALAR' as string) ? `invalid YAML: ${message}` : message,
      file: this.file,
      hint: hints[problem.code] ?? `fix the YAML syntax of ${basename(this.file)} here`,
    }
    if (position) Object.assign(diagnostic, { ...position, frame: this.frame(position.line, position.col) })
    ;(severity === 'error' ? this.errors : this.warnings).push(diagnostic)
  }

  unknownKeys(map: YAMLMap, known: readonly string[], prefix: string): void {
    for (const item of map.items) {
      const name = keyName(item.key)
      if (known.includes(name)) continue
      const suggestion = closestKey(name, known)
      this.add('warning', start(item.key), `unknown key \`${prefix}${name}\` in ${basename(this.file)}`,
        suggestion
          ? `did you mean \`${prefix}${suggestion}\`?`
          : `Pharos does not read it; known keys${prefix ? ` under ${prefix.slice(0, -1)}` : ''}: ${known.join(', ')}`)
    }
  }

  throwIfErrors(): void {
    if (this.errors.length > 0) this.fail()
  }

  /** Throws what was collected: one error as itself, several together. */
  fail(): never {
    const errors = inFileOrder(this.errors)
    if (errors.length === 1) throw new ConfigError(errors[0].message, errors[0])
    throw new InputErrors(errors)
  }
}
