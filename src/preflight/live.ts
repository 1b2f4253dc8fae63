/**
 * Live preflight (issue 12): what the cluster says about its own network, against cluster.yml's
 * pod_network_cidr and service_cidr. The read-only answers of kubectl only; a read the user may not make
 * is a warning that names the permission, an unreachable cluster an EnvironmentError.
 */
import { isIP } from 'node:net'
import { parse as parseYaml } from 'yaml'
import { cidrsOverlap, CidrSyntaxError, formatCidr, parseCidr, type Cidr } from '../cidr.js'
import { EnvironmentError } from '../errors.js'
import { kubectlFailure, runKubectl, type KubectlTarget, type ObjectRef } from '../cluster.js'
import { STACK_LABEL, STACK_NAME } from '../output.js'

export type PreflightSeverity = 'error' | 'warning'

/** One finding; static checks (rendered manifests) add file and line, live ones name a cluster object. */
export interface PreflightFinding {
  check: string
  severity: PreflightSeverity
  /** The object the finding is about, as `Kind namespace/name`. */
  object: string
  /** The field of that object, as a path. */
  field?: string
  message: string
  hint?: string
  file?: string
  line?: number
}

export interface PreflightReport {
  /** The checks that ran, in order. */
  checks: string[]
  findings: PreflightFinding[]
  /** DaemonSets of another CNI: what apply refuses to run beside, unless --replace-cni. */
  foreignCni: ObjectRef[]
}

export interface LivePreflightOptions {
  target: KubectlTarget
  podNetworkCidr: string
  serviceCidr: string
}

export const LIVE_CHECKS = ['node-pod-cidr', 'service-cidr', 'kube-proxy-cluster-cidr', 'controller-manager-cluster-cidr', 'foreign-cni'] as const

/** DaemonSet names of the CNIs we know, in kube-system (a prefix where the name varies: kube-flannel-ds-amd64). */
const KNOWN_CNI_DAEMONSETS = [
  /^calico-node$/, /^kube-flannel-ds/, /^weave-net$/, /^kube-router$/, /^cilium$/, /^antrea-agent$/, /^canal$/,
  /^kube-multus-ds/, /^kube-ovn-cni$/, /^ovnkube-node$/,
]

export const hasErrors = (report: Pick<PreflightReport, 'findings'>) => report.findings.some((f) => f.severity === 'error')

type Read = { items: Array<Record<string, any>> } | { forbidden: PreflightFinding }

/**
 * `kubectl get ARGS -o json`: the object (or list) read; NotFound is an empty list, forbidden a warning
 * for `check`, anything else (unreachable, no credentials) thrown.
 */
async function read(target: KubectlTarget, check: string, what: string, args: string[]): Promise<Read> {
  const result = await runKubectl(target, ['get', ...args, '-o', 'json'])
  if (result.exitCode === 0) {
    let parsed: Record<string, any>
    try {
      parsed = JSON.parse(result.stdout) as Record<string, any>
    } catch {
      throw new EnvironmentError(`kubectl get ${args.join(' ')} answered with something that is not JSON`, {
        hint: 'check that --kubeconfig/--context point at a Kubernetes API server',
      })
    }
    return { items: Array.isArray(parsed.items) ? parsed.items : [parsed] }
  }
  if (/\(NotFound\)/.test(result.stderr)) return { items: [] }
  const forbidden = /is forbidden: User "([^"]*)" cannot ([a-z]+) resource "([^"]+)"(?: in API group "([^"]*)")?/.exec(result.stderr)
  if (forbidden) {
    const [, user, verb, resource, group] = forbidden
    const permission = `${verb} ${resource}${group ? `.${group}` : ''}`
    return {
      forbidden: {
        check,
        severity: 'warning',
        object: what,
        message: `not checked: user ${user} may not ${permission}`,
        hint: `grant ${permission} (a ClusterRole with verb ${verb} on ${resource}) to check it, or run preflight with a context that may`,
      },
    }
  }
  throw kubectlFailure(target, result)
}

const name = (o: Record<string, any>) => String(o.metadata?.name ?? '')

/** The comma-separated CIDRs of a flag or setting, each parsed; the unparsable ones kept as text. */
function cidrList(text: string): Array<Cidr | string> {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    try {
      return parseCidr(s)
    } catch (error) {
      if (error instanceof CidrSyntaxError) return s
      throw error
    }
  })
}

/** `inner` lies wholly inside `outer`. */
const inside = (inner: Cidr, outer: Cidr) => inner.family === outer.family && inner.prefix >= outer.prefix && cidrsOverlap(inner, outer)

/**
 * A setting that must equal pod_network_cidr: of its CIDRs (dual-stack lists both families), the one of
 * pod_network_cidr's family.
 */
function checkEqualsPodCidr(value: string, pod: Cidr): string | undefined {
  const same = cidrList(value).filter((c) => typeof c === 'string' || c.family === pod.family)
  if (same.length === 0) return `${value} has no IPv${pod.family} network but pod_network_cidr is ${formatCidr(pod)}`
  const wrong = same.find((c) => typeof c === 'string' || formatCidr(c) !== formatCidr(pod))
  if (wrong === undefined) return undefined
  return `is ${value} but pod_network_cidr is ${formatCidr(pod)}`
}

export async function runLivePreflight(options: LivePreflightOptions): Promise<PreflightReport> {
  const { target } = options
  const pod = parseCidr(options.podNetworkCidr)
  const service = parseCidr(options.serviceCidr)
  const findings: PreflightFinding[] = []
  const foreignCni: ObjectRef[] = []

  // The five reads are independent: one kubectl start each, all at once. Their results are taken in
  // order, so the findings, and the error of a failed read, are those of the reads in turn.
  const reads = await Promise.allSettled([
    read(target, 'node-pod-cidr', 'Nodes', ['nodes']),
    read(target, 'service-cidr', 'Service default/kubernetes', ['service', 'kubernetes', '-n', 'default']),
    read(target, 'kube-proxy-cluster-cidr', 'ConfigMap kube-system/kube-proxy', ['configmap', 'kube-proxy', '-n', 'kube-system']),
    read(target, 'controller-manager-cluster-cidr', 'Pods kube-system/kube-controller-manager',
      ['pods', '-n', 'kube-system', '-l', 'component=kube-controller-manager']),
    read(target, 'foreign-cni', 'DaemonSets in kube-system', ['daemonsets', '-n', 'kube-system']),
  ])
  const [nodes, api, proxy, managers, daemonSets] = reads.map((r) => {
    if (r.status === 'rejected') throw r.reason
    return r.value
  }) as [Read, Read, Read, Read, Read]

  if ('forbidden' in nodes) findings.push(nodes.forbidden)
  else {
    for (const node of nodes.items) {
      const spec = node.spec ?? {}
      const cidrs: string[] = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : []
      const field = Array.isArray(spec.podCIDRs) ? 'spec.podCIDRs' : 'spec.podCIDR'
      for (const c of cidrList(cidrs.join(','))) {
        if (typeof c !== 'string' && c.family !== pod.family) continue
        if (typeof c !== 'string' && inside(c, pod)) continue
        findings.push({
          check: 'node-pod-cidr', severity: 'error', object: `Node ${name(node)}`, field,
          message: `${typeof c === 'string' ? c : formatCidr(c)} is outside pod_network_cidr ${formatCidr(pod)}`,
          hint: 'the controller manager gave this node its range from another --cluster-cidr: set pod_network_cidr to that network, ' +
            'or re-create the node\'s range (kubectl delete node, then rejoin) after fixing --cluster-cidr',
        })
      }
    }
  }

  if ('forbidden' in api) findings.push(api.forbidden)
  else {
    const clusterIP = api.items[0]?.spec?.clusterIP
    const family = typeof clusterIP === 'string' ? isIP(clusterIP) : 0
    if (family !== 0) {
      const ip = parseCidr(`${clusterIP}/${family === 4 ? 32 : 128}`)
      if (!inside(ip, service)) {
        findings.push({
          check: 'service-cidr', severity: 'error', object: 'Service default/kubernetes', field: 'spec.clusterIP',
          message: `${clusterIP} is outside service_cidr ${formatCidr(service)}`,
          hint: 'the API server\'s --service-cluster-ip-range is another network: set service_cidr to it',
        })
      }
    }
  }

  if ('forbidden' in proxy) findings.push(proxy.forbidden)
  else {
    for (const cm of proxy.items) {
      const text = cm.data?.['config.conf']
      let clusterCIDR: unknown
      try {
        clusterCIDR = typeof text === 'string' ? (parseYaml(text) as Record<string, unknown> | null)?.clusterCIDR : undefined
      } catch {
        clusterCIDR = undefined
      }
      if (typeof clusterCIDR !== 'string' || clusterCIDR === '') continue
      const problem = checkEqualsPodCidr(clusterCIDR, pod)
      if (problem) {
        findings.push({
          check: 'kube-proxy-cluster-cidr', severity: 'error', object: 'ConfigMap kube-system/kube-proxy', field: 'data["config.conf"].clusterCIDR',
          message: `clusterCIDR ${problem}`,
          hint: 'kube-proxy treats traffic from outside clusterCIDR as external: make clusterCIDR and pod_network_cidr the same network',
        })
      }
    }
  }

  if ('forbidden' in managers) findings.push(managers.forbidden)
  else {
    for (const manager of managers.items) {
      for (const [index, container] of (manager.spec?.containers ?? []).entries()) {
        const words: string[] = [...(container.command ?? []), ...(container.args ?? [])]
        const at = words.findIndex((w) => w === '--cluster-cidr' || w.startsWith('--cluster-cidr='))
        if (at < 0) continue
        const value = words[at]!.includes('=') ? words[at]!.slice('--cluster-cidr='.length) : (words[at + 1] ?? '')
        const problem = checkEqualsPodCidr(value, pod)
        if (problem) {
          findings.push({
            check: 'controller-manager-cluster-cidr', severity: 'error', object: `Pod kube-system/${name(manager)}`,
            field: `spec.containers[${index}] --cluster-cidr`,
            message: `--cluster-cidr ${problem}`,
            hint: 'the controller manager hands nodes pod ranges from --cluster-cidr: make it and pod_network_cidr the same network',
          })
        }
      }
    }
  }

  if ('forbidden' in daemonSets) findings.push(daemonSets.forbidden)
  else {
    for (const ds of daemonSets.items) {
      const dsName = name(ds)
      if (!KNOWN_CNI_DAEMONSETS.some((pattern) => pattern.test(dsName))) continue
      if (ds.metadata?.labels?.[STACK_LABEL] === STACK_NAME) continue
      foreignCni.push({ apiVersion: 'apps/v1', kind: 'DaemonSet', name: dsName, namespace: 'kube-system' })
      findings.push({
        check: 'foreign-cni', severity: 'error', object: `DaemonSet kube-system/${dsName}`, field: `metadata.labels["${STACK_LABEL}"]`,
        message: `another network is running: ${dsName} is not part of this stack (no ${STACK_LABEL}=${STACK_NAME} label)`,
        hint: `remove it (kubectl delete daemonset ${dsName} -n kube-system, and its ConfigMaps and RBAC) before applying, ` +
          'or pass --replace-cni to apply beside it on purpose',
      })
    }
  }
  return { checks: [...LIVE_CHECKS], findings, foreignCni }
}

/** The report with foreign CNI findings made warnings: apply --replace-cni runs beside them on purpose. */
export function acceptForeignCni(report: PreflightReport): PreflightReport {
  return {
    ...report,
    findings: report.findings.map((f) => (f.check === 'foreign-cni' && f.severity === 'error' ? { ...f, severity: 'warning' } : f)),
  }
}
