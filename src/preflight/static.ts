/**
 * Static preflight: the networks a rendered CNI manifest configures, compared with cluster.yml's
 * `pod_network_cidr` and `service_cidr`. A CNI whose pod network disagrees with the controller manager's
 * `--cluster-cidr` (which Pharos sets from pod_network_cidr) hands out addresses the rest of the cluster does
 * not route. Only settings whose meaning is known are read; an unset value is a finding only where the CNI's
 * own default ignores the cluster (Weave's IPALLOC_RANGE).
 */
import { isNode, isScalar, parse as parseYaml, Scalar, type Document } from 'yaml'
import { CidrSyntaxError, formatCidr, parseCidr, type Cidr } from '../cidr.js'
import { describeObject, lineAt, type ManifestDocument } from '../documents.js'
import type { NetworkCheck, NetworkFinding } from './finding.js'
import { isRecord } from '../records.js'

export type { NetworkCheck, NetworkFinding } from './finding.js'

export interface NetworkSettings {
  pod_network_cidr: string
  service_cidr: string
}

/** Weave's IPALLOC_RANGE when unset (weave-kube's launch script). */
const WEAVE_DEFAULT_RANGE = '10.32.0.0/12'

type ClusterKey = 'pod_network_cidr' | 'service_cidr'

/** One network a manifest sets, where it sets it. */
interface FoundNetwork {
  check: NetworkCheck
  /** How the message names the setting, e.g. "net-conf.json Network". */
  setting: string
  value: string
  against: ClusterKey
  family: 4 | 6
  doc: ManifestDocument
  line: number
  /** The value is the CNI's default, not written in the manifest. */
  defaulted?: boolean
}

export function checkNetworks(documents: ManifestDocument[], network: NetworkSettings): NetworkFinding[] {
  const expected = { pod_network_cidr: parseCidr(network.pod_network_cidr), service_cidr: parseCidr(network.service_cidr) }
  const findings: NetworkFinding[] = []
  for (const found of documents.flatMap(findNetworks)) {
    const cluster = expected[found.against]
    // A setting for the other address family has nothing in cluster.yml to agree with.
    if (found.family !== cluster.family || sameNetwork(found.value, cluster)) continue
    findings.push(finding(found, network[found.against]))
  }
  return findings
}

function sameNetwork(value: string, cluster: Cidr): boolean {
  try {
    const cidr = parseCidr(value)
    return cidr.family === cluster.family && formatCidr(cidr) === formatCidr(cluster)
  } catch (error) {
    if (error instanceof CidrSyntaxError) return false
    throw error
  }
}

function finding(found: FoundNetwork, expected: string): NetworkFinding {
  const { source } = found.doc
  const rendered = source.engine !== 'plain'
  const templateLine = rendered && !found.defaulted ? literalLine(source.text, found.value) : undefined
  const is = found.defaulted ? `is unset, so ${found.check} uses ${found.value},` : `is ${found.value}`
  return {
    check: found.check,
    message: `${describeObject(found.doc.object)}: ${found.setting} ${is} but ${found.against} is ${expected}`,
    file: source.path,
    rendered,
    line: found.line,
    ...(templateLine !== undefined && { templateLine }),
    expected,
    found: found.value,
    hint: hintFor(found, expected),
  }
}

/** The first line of the template source that holds the value as written, outside a YAML comment. */
function literalLine(text: string, value: string): number | undefined {
  const index = text.split('\n').findIndex((line) => line.includes(value) && !line.trimStart().startsWith('#'))
  return index < 0 ? undefined : index + 1
}

function hintFor(found: FoundNetwork, expected: string): string {
  const engine = found.doc.source.engine
  const write = found.defaulted ? `set ${found.setting} to` : `write ${found.setting} as`
  if (engine === 'plain') return `set network.${found.against}: ${found.value} in cluster.yml, or ${write} ${expected}`
  const expression = engine === 'erb'
    ? `<%= cluster_config.network.${found.against} %>`
    : `{{ cluster_config.network.${found.against} }}`
  return `${write} \`${expression}\``
}

function findNetworks(doc: ManifestDocument): FoundNetwork[] {
  const { object } = doc
  if (object.kind === 'ConfigMap') return configMapNetworks(doc)
  const podSpec = (object.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec
  if (!isRecord(podSpec)) return []
  return (['initContainers', 'containers'] as const).flatMap((list) => {
    const containers = podSpec[list]
    return Array.isArray(containers) ? containers.flatMap((c, i) => (isRecord(c) ? containerNetworks(doc, c, ['spec', 'template', 'spec', list, i]) : [])) : []
  })
}

const POD_ENV: Record<string, { check: NetworkCheck; family: 4 | 6 }> = {
  CALICO_IPV4POOL_CIDR: { check: 'calico', family: 4 },
  CALICO_IPV6POOL_CIDR: { check: 'calico', family: 6 },
  IPALLOC_RANGE: { check: 'weave', family: 4 },
}

function containerNetworks(doc: ManifestDocument, container: Record<string, unknown>, path: Path): FoundNetwork[] {
  const found: FoundNetwork[] = []
  const env = Array.isArray(container.env) ? container.env : []
  env.forEach((entry, i) => {
    if (!isRecord(entry) || typeof entry.name !== 'string' || typeof entry.value !== 'string') return
    const known = POD_ENV[entry.name]
    // Calico also reads its pools from the IPPool resources; an empty value means its own choice.
    if (!known || entry.value.trim() === '') return
    for (const value of cidrList(entry.value)) {
      found.push({ ...known, setting: entry.name, value, against: 'pod_network_cidr', doc, line: lineOf(doc, [...path, 'env', i, 'value']) })
    }
  })
  if (isWeave(container) && !env.some((e) => isRecord(e) && e.name === 'IPALLOC_RANGE')) {
    found.push({
      check: 'weave', setting: 'IPALLOC_RANGE', value: WEAVE_DEFAULT_RANGE, against: 'pod_network_cidr', family: 4, doc,
      line: lineOf(doc, path), defaulted: true,
    })
  }
  for (const list of ['command', 'args'] as const) {
    const words = Array.isArray(container[list]) ? (container[list] as unknown[]) : []
    words.forEach((word, i) => {
      if (typeof word !== 'string') return
      // `--cluster-cidr=X` in one word, or `--cluster-cidr` and X in two.
      const next = words[i + 1]
      const [text, at] = word.trim() === '--cluster-cidr' && typeof next === 'string'
        ? [next, i + 1]
        : [/^--cluster-cidr[= ](.+)$/.exec(word.trim())?.[1], i]
      for (const value of cidrList(text ?? '')) {
        found.push({
          check: 'kube-router', setting: '--cluster-cidr', value, against: 'pod_network_cidr', family: familyOf(value), doc,
          line: lineOf(doc, [...path, list, at]),
        })
      }
    })
  }
  return found
}

/** Weave Net's own container: it allocates from IPALLOC_RANGE, or its default when that is unset. */
function isWeave(container: Record<string, unknown>): boolean {
  return container.name === 'weave' && typeof container.image === 'string' && /weave-kube/.test(container.image)
}

function configMapNetworks(doc: ManifestDocument): FoundNetwork[] {
  const data = doc.object.data
  if (!isRecord(data)) return []
  const found: FoundNetwork[] = []
  const netConf = data['net-conf.json']
  if (typeof netConf === 'string') {
    let parsed: unknown
    try {
      parsed = JSON.parse(netConf)
    } catch {
      // Flannel would refuse it at start; this check reads only what Flannel would read.
      parsed = undefined
    }
    if (isRecord(parsed)) {
      for (const [key, family] of [['Network', 4], ['IPv6Network', 6]] as const) {
        const value = parsed[key]
        if (typeof value !== 'string') continue
        found.push({
          check: 'flannel', setting: `net-conf.json ${key}`, value, against: 'pod_network_cidr', family, doc,
          line: lineInText(doc, ['data', 'net-conf.json'], new RegExp(`"${key}"\\s*:`)),
        })
      }
    }
  }
  for (const [key, family] of [['cluster-pool-ipv4-cidr', 4], ['cluster-pool-ipv6-cidr', 6]] as const) {
    const value = data[key]
    if (typeof value !== 'string' || value.trim() === '') continue
    for (const cidr of cidrList(value)) {
      found.push({ check: 'cilium', setting: key, value: cidr, against: 'pod_network_cidr', family, doc, line: lineOf(doc, ['data', key]) })
    }
  }
  for (const file of ['antrea-agent.conf', 'antrea-controller.conf']) {
    const text = data[file]
    if (typeof text !== 'string') continue
    let conf: unknown
    try {
      conf = parseYaml(text)
    } catch {
      conf = undefined
    }
    if (!isRecord(conf)) continue
    // The agent has it at the top; the controller under nodeIPAM.
    const holder = file === 'antrea-agent.conf' ? conf : conf.nodeIPAM
    if (!isRecord(holder)) continue
    for (const [key, family] of [['serviceCIDR', 4], ['serviceCIDRv6', 6]] as const) {
      const value = holder[key]
      if (typeof value !== 'string' || value.trim() === '') continue
      found.push({
        check: 'antrea', setting: `${file} ${key}`, value: value.trim(), against: 'service_cidr', family, doc,
        line: lineInText(doc, ['data', file], new RegExp(`^\\s*${key}\\s*:`)),
      })
    }
  }
  return found
}

/** Cilium and kube-router take several networks, separated by spaces or commas. */
function cidrList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean)
}

function familyOf(value: string): 4 | 6 {
  return value.includes(':') ? 6 : 4
}

type Path = Array<string | number>

/** The rendered line of the node at `path`, or of the object when the node has no position. */
function lineOf(doc: ManifestDocument, path: Path): number {
  const node = (doc.yaml as Document).getIn(path, true)
  return isNode(node) && node.range ? lineAt(doc.lineStarts, node.range[0]) : doc.line
}

/** The rendered line, inside the string at `path`, of its first line that matches. */
function lineInText(doc: ManifestDocument, path: Path, pattern: RegExp): number {
  const node = (doc.yaml as Document).getIn(path, true)
  if (!isScalar(node) || !node.range || typeof node.value !== 'string') return lineOf(doc, path)
  const start = lineAt(doc.lineStarts, node.range[0])
  const index = node.value.split('\n').findIndex((line) => pattern.test(line))
  // A block scalar's text starts on the line after its indicator; a quoted one is taken at its start.
  const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED
  return block && index >= 0 ? start + 1 + index : start
}
