import t from 'tap'
import type { ManifestSource } from '../../src/discover.js'
import { checkDocuments } from '../../src/documents.js'
import { checkNetworks } from '../../src/preflight/static.js'

const cluster = { pod_network_cidr: '10.32.0.0/12', service_cidr: '10.96.0.0/12' }

/** `rendered` as the output of a file whose own text is `template` (the rendered text for plain files). */
function documents(rendered: string, engine: ManifestSource['engine'] = 'plain', template = rendered) {
  const name = { plain: 'net.yml', erb: 'net.yml.erb', liquid: 'net.yml.liquid' }[engine]
  const source: ManifestSource = { path: `/set/${name}`, name, outputName: 'net.yml', engine, text: template }
  return checkDocuments([{ source, text: rendered }])
}

const flannel = (network: string, ipv6 = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-flannel-cfg
  namespace: kube-flannel
data:
  net-conf.json: |
    {
      "Network": "${network}",${ipv6 ? `\n      "IPv6Network": "${ipv6}",` : ''}
      "Backend": { "Type": "vxlan" }
    }
`

const daemonSet = (container: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: cni
  namespace: kube-system
spec:
  template:
    spec:
      containers:
${container}`

t.test('flannel: net-conf.json Network, at its line in the rendered output', async (t) => {
  t.same(checkNetworks(documents(flannel('10.32.0.0/12')), cluster), [])
  const [finding, ...rest] = checkNetworks(documents(flannel('10.244.0.0/16')), cluster)
  t.equal(rest.length, 0)
  t.match(finding, {
    check: 'flannel',
    file: '/set/net.yml',
    rendered: false,
    line: 9,
    expected: '10.32.0.0/12',
    found: '10.244.0.0/16',
    message: 'ConfigMap kube-flannel/kube-flannel-cfg: net-conf.json Network is 10.244.0.0/16 but pod_network_cidr is 10.32.0.0/12',
    hint: 'set network.pod_network_cidr: 10.244.0.0/16 in cluster.yml, or write net-conf.json Network as 10.32.0.0/12',
  })
  t.equal(finding?.templateLine, undefined, 'a plain file is its own template')
})

t.test('a different prefix or base is a mismatch; the same network written with host bits is not', async (t) => {
  t.equal(checkNetworks(documents(flannel('10.32.0.0/16')), cluster).length, 1)
  t.equal(checkNetworks(documents(flannel('10.48.0.0/12')), cluster).length, 1)
  t.equal(checkNetworks(documents(flannel('not-a-network')), cluster).length, 1)
  t.equal(checkNetworks(documents(flannel('10.32.0.0/12')), cluster).length, 0)
})

t.test('IPv6: compared when cluster.yml is IPv6, ignored when it is IPv4', async (t) => {
  t.same(checkNetworks(documents(flannel('10.32.0.0/12', 'fd00:10:244::/56')), cluster), [])
  const v6 = { pod_network_cidr: 'fd00:10:32::/56', service_cidr: 'fd00:10:96::/112' }
  const findings = checkNetworks(documents(flannel('10.32.0.0/12', 'fd00:10:244::/56')), v6)
  t.same(findings.map((f) => [f.found, f.line]), [['fd00:10:244::/56', 10]])
  t.same(checkNetworks(documents(flannel('10.32.0.0/12', 'fd00:10:32:0::/56')), v6), [], 'written another way, the same network')
})

t.test('ERB: a literal value points at the template line; a value from cluster_config is never flagged', async (t) => {
  const template = `# Flannel\n${flannel('10.244.0.0/16')}`
  const [finding] = checkNetworks(documents(flannel('10.244.0.0/16'), 'erb', template), cluster)
  t.match(finding, { rendered: true, line: 9, templateLine: 10, hint: 'write net-conf.json Network as `<%= cluster_config.network.pod_network_cidr %>`' })
  const fromConfig = flannel('<%= cluster_config.network.pod_network_cidr %>')
  t.same(checkNetworks(documents(flannel('10.32.0.0/12'), 'erb', fromConfig), cluster), [])
})

t.test('a template line that only mentions the value in a comment is not the line that wrote it', async (t) => {
  const template = `# upstream used "Network": "10.244.0.0/16"\n${flannel('{{ "10.244" | append: ".0.0/16" }}')}`
  const [finding] = checkNetworks(documents(flannel('10.244.0.0/16'), 'liquid', template), cluster)
  t.equal(finding?.templateLine, undefined)
})

t.test('Liquid: a value from an expression has the rendered line only', async (t) => {
  const template = flannel('{{ "10.244" | append: ".0.0/16" }}')
  const [finding] = checkNetworks(documents(flannel('10.244.0.0/16'), 'liquid', template), cluster)
  t.match(finding, { line: 9, hint: 'write net-conf.json Network as `{{ cluster_config.network.pod_network_cidr }}`' })
  t.equal(finding?.templateLine, undefined)
})

t.test('calico and canal: CALICO_IPV4POOL_CIDR and CALICO_IPV6POOL_CIDR; unset is no finding', async (t) => {
  const calico = (env: string) => daemonSet(`        - name: calico-node
          image: calico/node:v3.27.0
          env:
            - name: CALICO_NETWORKING_BACKEND
              value: bird
${env}`)
  const set = calico('            - name: CALICO_IPV4POOL_CIDR\n              value: "192.168.0.0/16"\n')
  t.same(checkNetworks(documents(set), cluster).map((f) => [f.check, f.found, f.line]), [['calico', '192.168.0.0/16', 16]])
  t.same(checkNetworks(documents(calico('            - name: CALICO_IPV4POOL_CIDR\n              value: 10.32.0.0/12\n')), cluster), [])
  t.same(checkNetworks(documents(calico('')), cluster), [], 'unset: calico-node takes kubeadm\'s podSubnet')
  const v6 = { pod_network_cidr: 'fd00:10:32::/56', service_cidr: 'fd00:10:96::/112' }
  const ipv6 = calico('            - name: CALICO_IPV6POOL_CIDR\n              value: fd00:1::/56\n')
  t.same(checkNetworks(documents(ipv6), v6).map((f) => f.found), ['fd00:1::/56'])
})

t.test('weave: IPALLOC_RANGE, and its default 10.32.0.0/12 when unset', async (t) => {
  const weave = (env: string) => daemonSet(`        - name: weave
          image: weaveworks/weave-kube:2.8.1
${env}`)
  const set = weave('          env:\n            - name: IPALLOC_RANGE\n              value: 10.244.0.0/16\n')
  t.same(checkNetworks(documents(set), cluster).map((f) => [f.check, f.found, f.line]), [['weave', '10.244.0.0/16', 14]])
  t.same(checkNetworks(documents(weave('')), cluster), [], 'unset is the default, which is Pharos\' default')
  const [unset] = checkNetworks(documents(weave('')), { ...cluster, pod_network_cidr: '10.244.0.0/16' })
  t.match(unset, { found: '10.32.0.0/12', line: 10, message: 'DaemonSet kube-system/cni: IPALLOC_RANGE is unset, so weave uses 10.32.0.0/12, but pod_network_cidr is 10.244.0.0/16' })
})

t.test('kube-router: --cluster-cidr in args, as one word or two', async (t) => {
  const router = (args: string) => daemonSet(`        - name: kube-router
          image: cloudnativelabs/kube-router
          args:
            - --run-router=true
${args}`)
  t.same(checkNetworks(documents(router('            - --cluster-cidr=10.244.0.0/16\n')), cluster).map((f) => [f.check, f.found, f.line]),
    [['kube-router', '10.244.0.0/16', 14]])
  t.same(checkNetworks(documents(router('            - --cluster-cidr\n            - 10.244.0.0/16\n')), cluster).map((f) => f.line), [15])
  t.same(checkNetworks(documents(router('            - --cluster-cidr=10.32.0.0/12\n')), cluster), [])
  t.same(checkNetworks(documents(router('')), cluster), [], 'unset: kube-router reads each Node\'s podCIDR')
})

t.test('cilium: cluster-pool-ipv4-cidr and cluster-pool-ipv6-cidr', async (t) => {
  const cilium = (v4: string, v6 = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: cilium-config
  namespace: kube-system
data:
  ipam: cluster-pool
  cluster-pool-ipv4-cidr: "${v4}"
  cluster-pool-ipv6-cidr: "${v6}"
`
  t.same(checkNetworks(documents(cilium('10.0.0.0/8')), cluster).map((f) => [f.check, f.found, f.line]), [['cilium', '10.0.0.0/8', 8]])
  t.same(checkNetworks(documents(cilium('10.32.0.0/12')), cluster), [])
  const v6 = { pod_network_cidr: 'fd00:10:32::/56', service_cidr: 'fd00:10:96::/112' }
  t.same(checkNetworks(documents(cilium('10.0.0.0/8', 'fd00::/104')), v6).map((f) => [f.found, f.line]), [['fd00::/104', 9]])
})

t.test('antrea: serviceCIDR against service_cidr; empty or commented out is no finding', async (t) => {
  const antrea = (agent: string, controller: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: antrea-config
  namespace: kube-system
data:
  antrea-agent.conf: |
    # ClusterIP CIDR range for Services.
${agent}
    serviceCIDRv6: ""
  antrea-controller.conf: |
    nodeIPAM:
      enableNodeIPAM: false
${controller}
`
  const set = antrea('    serviceCIDR: 10.96.0.0/16', '      serviceCIDR: 10.100.0.0/16')
  t.same(checkNetworks(documents(set), cluster).map((f) => [f.check, f.message, f.line]), [
    ['antrea', 'ConfigMap kube-system/antrea-config: antrea-agent.conf serviceCIDR is 10.96.0.0/16 but service_cidr is 10.96.0.0/12', 9],
    ['antrea', 'ConfigMap kube-system/antrea-config: antrea-controller.conf serviceCIDR is 10.100.0.0/16 but service_cidr is 10.96.0.0/12', 14],
  ])
  t.same(checkNetworks(documents(antrea('    serviceCIDR: 10.96.0.0/12', '      serviceCIDR: ""')), cluster), [])
  t.same(checkNetworks(documents(antrea('    # serviceCIDR: 10.0.0.0/16', '      serviceCIDR: ""')), cluster), [])
})
