import t from 'tap'
import { corpusMissing } from './helpers/corpus.js'
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments, type ManifestDocument } from '../src/documents.js'
import { UsageError } from '../src/errors.js'
import {
  findRemovedApis,
  parseKubernetesMinor,
  REMOVED_APIS,
  upgradeRemovedApis,
  type RemovedApiFinding,
} from '../src/removed-apis.js'
import { corpusDir, repoRoot } from './helpers/paths.js'

const documentsOf = (path: string, text: string): ManifestDocument[] => {
  const name = basename(path)
  const source: ManifestSource = { path, name, outputName: name, engine: 'plain', text }
  return checkDocuments([{ source, text }])
}
const readDocuments = (...paths: string[]): ManifestDocument[] =>
  paths.flatMap((path) => documentsOf(path, readFileSync(path, 'utf8')))

const exampleDir = join(repoRoot, 'examples', 'flannel', 'flannel')
const examplePaths = ['01-cluster-role.yml', '02-cluster-role-binding.yml', '03-daemon-set.yml', '03-service-account.yml']
  .map((name) => join(exampleDir, name))
const [clusterRolePath, bindingPath, daemonSetPath] = examplePaths as [string, string, string, string]
/** The spec's ERB ConfigMap, rendered by hand: templates are not this module's business. */
const exampleConfigMap = documentsOf(
  join(exampleDir, '04-config-map.yml'),
  readFileSync(join(exampleDir, '04-config-map.yml.erb'), 'utf8').replace(/<%=.*?%>/g, '10.32.0.0/12'),
)
const exampleDocuments = () => [...readDocuments(...examplePaths), ...exampleConfigMap]

/** [kind, name, apiVersion, removedIn, replacement, line, documentIndex] for compact comparisons. */
const brief = (f: RemovedApiFinding) => [f.kind, f.name, f.apiVersion, f.removedIn, f.replacement, f.line, f.documentIndex]

t.test('parses Kubernetes versions to their minor; master counts every removal', async (t) => {
  t.equal(parseKubernetesMinor('1.32.0'), 32)
  t.equal(parseKubernetesMinor('v1.32.4'), 32)
  t.equal(parseKubernetesMinor('1.33'), 33)
  t.equal(parseKubernetesMinor('v1.30.0-rc.1'), 30)
  t.equal(parseKubernetesMinor('master'), Number.POSITIVE_INFINITY)
  for (const bad of ['', '1', '2.0.0', 'latest', '1.x', 'v1.32.4.5', ' 1.32', 'Master']) {
    t.throws(() => parseKubernetesMinor(bad), {
      name: 'UsageError',
      message: `${JSON.stringify(bad)} is not a Kubernetes version`,
      hint: 'give it as 1.32, 1.32.0, v1.32.4 or master',
    }, bad)
  }
  t.type(t.throws(() => findRemovedApis([], '1.x')), UsageError)
})

t.test('the table: rewritten rows have a replacement, PodSecurityPolicy has none', async (t) => {
  for (const api of REMOVED_APIS) {
    t.match(api.removedIn, /^1\.\d+$/, api.apiVersion)
    if (api.rewrite) t.ok(api.replacement, `${api.apiVersion} is rewritten to something`)
    if (!api.rewrite) t.ok(api.note, `${api.apiVersion} says what to do by hand`)
  }
  t.same(
    REMOVED_APIS.filter((api) => api.replacement === undefined).map((api) => [api.apiVersion, api.kinds, api.removedIn]),
    [
      ['policy/v1beta1', ['PodSecurityPolicy'], '1.25'],
      ['extensions/v1beta1', ['PodSecurityPolicy'], '1.16'],
    ],
  )
})

t.test('the spec example: extensions/v1beta1 DaemonSet and rbac v1beta1, by version', async (t) => {
  const docs = exampleDocuments()
  const master = findRemovedApis(docs, 'master')
  t.same(master, [
    {
      file: clusterRolePath,
      line: 2,
      documentIndex: 0,
      apiVersion: 'rbac.authorization.k8s.io/v1beta1',
      kind: 'ClusterRole',
      name: 'flannel',
      removedIn: '1.22',
      replacement: 'rbac.authorization.k8s.io/v1',
      message: 'ClusterRole flannel uses rbac.authorization.k8s.io/v1beta1, removed in Kubernetes 1.22; use rbac.authorization.k8s.io/v1',
      hint: 'render with --upgrade-apis to rewrite it',
    },
    {
      file: bindingPath,
      line: 2,
      documentIndex: 0,
      apiVersion: 'rbac.authorization.k8s.io/v1beta1',
      kind: 'ClusterRoleBinding',
      name: 'flannel',
      removedIn: '1.22',
      replacement: 'rbac.authorization.k8s.io/v1',
      message: 'ClusterRoleBinding flannel uses rbac.authorization.k8s.io/v1beta1, removed in Kubernetes 1.22; use rbac.authorization.k8s.io/v1',
      hint: 'render with --upgrade-apis to rewrite it',
    },
    {
      file: daemonSetPath,
      line: 2,
      documentIndex: 0,
      apiVersion: 'extensions/v1beta1',
      kind: 'DaemonSet',
      name: 'kube-flannel-ds',
      namespace: 'kube-system',
      removedIn: '1.16',
      replacement: 'apps/v1',
      message: 'DaemonSet kube-system/kube-flannel-ds uses extensions/v1beta1, removed in Kubernetes 1.16; use apps/v1',
      hint: 'render with --upgrade-apis to rewrite it',
    },
  ])
  t.same(findRemovedApis(docs, '1.15'), [])
  t.same(findRemovedApis(docs, 'v1.15.12'), [])
  t.same(findRemovedApis(docs, '1.16').map((f) => f.kind), ['DaemonSet'], 'a removal counts from its own release')
  t.same(findRemovedApis(docs, '1.21').map((f) => f.kind), ['DaemonSet'])
  t.same(findRemovedApis(docs, 'v1.22.0').map((f) => f.kind), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet'])
})

t.test('upgrading the spec example: apps/v1 with a selector before template, rbac v1, input untouched', async (t) => {
  const docs = exampleDocuments()
  const before = docs.map((d) => [JSON.stringify(d.object), d.yaml.toString()])
  const { documents, upgrades, dropped } = upgradeRemovedApis(docs, { dropRemoved: false })

  t.same(upgrades, [
    { file: clusterRolePath, line: 2, from: 'rbac.authorization.k8s.io/v1beta1', to: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'flannel', changes: [] },
    { file: bindingPath, line: 2, from: 'rbac.authorization.k8s.io/v1beta1', to: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: 'flannel', changes: [] },
    {
      file: daemonSetPath,
      line: 2,
      from: 'extensions/v1beta1',
      to: 'apps/v1',
      kind: 'DaemonSet',
      name: 'kube-flannel-ds',
      changes: [
        'added spec.selector.matchLabels from the pod template labels',
        'spec.updateStrategy now defaults to RollingUpdate (extensions/v1beta1 defaulted to OnDelete)',
      ],
    },
  ])
  t.same(dropped, [])
  t.same(findRemovedApis(documents, 'master'), [])
  t.same(documents.map((d) => [d.object.apiVersion, d.object.kind]), [
    ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
    ['apps/v1', 'DaemonSet'],
    ['v1', 'ServiceAccount'],
    ['v1', 'ConfigMap'],
  ])

  const daemonSet = documents[2] as ManifestDocument
  t.same((daemonSet.object.spec as { selector: unknown }).selector, { matchLabels: { tier: 'node', app: 'flannel' } })
  t.same(Object.keys(daemonSet.object.spec as object), ['selector', 'template'])
  t.equal(
    daemonSet.yaml.toString().split('\n').slice(0, 17).join('\n'),
    [
      'apiVersion: apps/v1',
      'kind: DaemonSet',
      'metadata:',
      '  name: kube-flannel-ds',
      '  namespace: kube-system',
      '  labels:',
      '    tier: node',
      '    app: flannel',
      'spec:',
      '  selector:',
      '    matchLabels:',
      '      tier: node',
      '      app: flannel',
      '  template:',
      '    metadata:',
      '      labels:',
      '        tier: node',
    ].join('\n'),
  )
  t.equal(daemonSet.lineStarts, docs[2]?.lineStarts, 'line offsets of the rendered text are kept')
  t.equal(daemonSet.line, 2)
  t.equal((documents[0] as ManifestDocument).yaml.toString().split('\n')[1], 'apiVersion: rbac.authorization.k8s.io/v1',
    'apiVersion keeps its place after kind')
  t.equal(documents[3], docs[3], 'an unchanged document is passed through')
  t.equal(documents[4], docs[4])

  t.same(docs.map((d) => [JSON.stringify(d.object), d.yaml.toString()]), before, 'the input is not mutated')
})

t.test('corpus: flannel before 0.11 has one extensions/v1beta1 DaemonSet', { skip: corpusMissing() }, async (t) => {
  const path = join(corpusDir, 'flannel-legacy', 'kube-flannel.yml')
  const docs = readDocuments(path)
  t.same(findRemovedApis(docs, 'master').map(brief), [
    ['DaemonSet', 'kube-flannel-ds', 'extensions/v1beta1', '1.16', 'apps/v1', 27, 1],
  ])
  const { documents, upgrades } = upgradeRemovedApis(docs, { dropRemoved: false })
  t.same(upgrades.map((u) => [u.kind, u.name, u.from, u.to, u.line]), [['DaemonSet', 'kube-flannel-ds', 'extensions/v1beta1', 'apps/v1', 27]])
  t.same(findRemovedApis(documents, 'master'), [])
  const spec = (documents[1] as ManifestDocument).object.spec as { selector?: { matchLabels?: unknown } }
  t.ok(spec.selector?.matchLabels, 'the DaemonSet got a selector')
})

t.test('corpus: flannel of 2019 has a PodSecurityPolicy, rbac v1beta1 and five DaemonSets', { skip: corpusMissing() }, async (t) => {
  const path = join(corpusDir, 'flannel-legacy-2019', 'kube-flannel.yml')
  const docs = readDocuments(path)
  const daemonSets = [
    ['kube-flannel-ds-amd64', 133, 5],
    ['kube-flannel-ds-arm64', 224, 6],
    ['kube-flannel-ds-arm', 315, 7],
    ['kube-flannel-ds-ppc64le', 406, 8],
    ['kube-flannel-ds-s390x', 497, 9],
  ] as const
  const psp: RemovedApiFinding = {
    file: path,
    line: 2,
    documentIndex: 0,
    apiVersion: 'extensions/v1beta1',
    kind: 'PodSecurityPolicy',
    name: 'psp.flannel.unprivileged',
    removedIn: '1.16',
    replacement: undefined,
    message: 'PodSecurityPolicy psp.flannel.unprivileged uses extensions/v1beta1, removed in Kubernetes 1.16, with no replacement',
    hint: 'PodSecurityPolicy has no replacement: remove it, or render with --drop-removed (policy/v1beta1 served it ' +
      'up to 1.24, then Pod Security Admission replaced it)',
  }
  const findings = findRemovedApis(docs, 'master')
  t.same(findings.map(brief), [
    ['PodSecurityPolicy', 'psp.flannel.unprivileged', 'extensions/v1beta1', '1.16', undefined, 2, 0],
    ['ClusterRole', 'flannel', 'rbac.authorization.k8s.io/v1beta1', '1.22', 'rbac.authorization.k8s.io/v1', 49, 1],
    ['ClusterRoleBinding', 'flannel', 'rbac.authorization.k8s.io/v1beta1', '1.22', 'rbac.authorization.k8s.io/v1', 78, 2],
    ...daemonSets.map(([name, line, index]) => ['DaemonSet', name, 'extensions/v1beta1', '1.16', 'apps/v1', line, index]),
  ])
  t.strictSame(findings[0], psp)
  t.same(findRemovedApis(docs, '1.21').map((f) => f.kind), ['PodSecurityPolicy', ...daemonSets.map(() => 'DaemonSet')])

  const kept = upgradeRemovedApis(docs, { dropRemoved: false })
  t.equal(kept.documents.length, docs.length)
  t.same(kept.dropped, [])
  t.same(kept.upgrades.map((u) => [u.kind, u.name, u.to]), [
    ['ClusterRole', 'flannel', 'rbac.authorization.k8s.io/v1'],
    ['ClusterRoleBinding', 'flannel', 'rbac.authorization.k8s.io/v1'],
    ...daemonSets.map(([name]) => ['DaemonSet', name, 'apps/v1']),
  ])
  t.strictSame(findRemovedApis(kept.documents, 'master'), [psp], 'only the PodSecurityPolicy is left')

  const withoutPsp = upgradeRemovedApis(docs, { dropRemoved: true })
  t.equal(withoutPsp.documents.length, docs.length - 1)
  t.strictSame(withoutPsp.dropped, [psp])
  t.same(findRemovedApis(withoutPsp.documents, 'master'), [])
})

t.test('corpus: current CNI manifests use no removed API', { skip: corpusMissing() }, async (t) => {
  const files = [
    ['flannel', 'kube-flannel.yml'],
    ['calico', 'calico.yaml'],
    ['canal', 'canal.yaml'],
    ['antrea', 'antrea.yml'],
    ['multus', 'multus-daemonset.yml'],
    ['weave', 'weave-daemonset-k8s-1.11.yaml'],
    ['kube-router', 'kubeadm-kuberouter.yaml'],
  ] as const
  for (const [folder, file] of files) {
    const docs = readDocuments(join(corpusDir, folder, file))
    t.ok(docs.length > 0, `${folder} has objects`)
    t.same(findRemovedApis(docs, 'master'), [], folder)
    const { documents, upgrades } = upgradeRemovedApis(docs, { dropRemoved: true })
    t.same(upgrades, [], `${folder}: nothing to upgrade`)
    t.ok(documents.every((d, i) => d === docs[i]) && documents.length === docs.length, `${folder}: documents passed through`)
  }
})

const object = (apiVersion: string, kind: string, body = '') =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: x\n${body}`

t.test('matches on apiVersion and kind; each row is rewritten or reported as the table says', async (t) => {
  const podTemplate = 'spec:\n  template:\n    metadata: {labels: {app: x}}\n'
  const cases: Array<[apiVersion: string, kind: string, to: string | undefined, hint: RegExp, body?: string]> = [
    ['extensions/v1beta1', 'NetworkPolicy', 'networking.k8s.io/v1', /--upgrade-apis/],
    ['apps/v1beta1', 'StatefulSet', 'apps/v1', /--upgrade-apis/, podTemplate],
    ['apps/v1beta2', 'ReplicaSet', 'apps/v1', /--upgrade-apis/, podTemplate],
    ['rbac.authorization.k8s.io/v1beta1', 'RoleBinding', 'rbac.authorization.k8s.io/v1', /--upgrade-apis/],
    ['apiregistration.k8s.io/v1beta1', 'APIService', 'apiregistration.k8s.io/v1', /--upgrade-apis/],
    ['policy/v1beta1', 'PodDisruptionBudget', 'policy/v1', /--upgrade-apis/],
    ['batch/v1beta1', 'CronJob', 'batch/v1', /--upgrade-apis/],
    ['storage.k8s.io/v1beta1', 'CSIStorageCapacity', 'storage.k8s.io/v1', /--upgrade-apis/],
    ['apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', undefined, /^convert it to apiextensions\.k8s\.io\/v1 by hand: .*structural/],
    ['admissionregistration.k8s.io/v1beta1', 'MutatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', /--upgrade-apis/],
    ['admissionregistration.k8s.io/v1beta1', 'ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', /--upgrade-apis/],
    ['extensions/v1beta1', 'Ingress', undefined, /^convert it to networking\.k8s\.io\/v1 by hand: .*pathType/],
    ['networking.k8s.io/v1beta1', 'Ingress', undefined, /pathType/],
    ['networking.k8s.io/v1beta1', 'IngressClass', undefined, /pathType/],
    ['autoscaling/v2beta1', 'HorizontalPodAutoscaler', undefined, /^convert it to autoscaling\/v2 by hand/],
    ['autoscaling/v2beta2', 'HorizontalPodAutoscaler', undefined, /autoscaling\/v2 by hand/],
    ['flowcontrol.apiserver.k8s.io/v1beta2', 'FlowSchema', undefined, /nominalConcurrencyShares/],
    ['policy/v1beta1', 'PodSecurityPolicy', undefined,
      /^PodSecurityPolicy has no replacement: remove it, or render with --drop-removed \(Pod Security Admission replaced it\)$/],
  ]
  for (const [apiVersion, kind, to, hint, body] of cases) {
    const docs = documentsOf('/set/x.yml', object(apiVersion, kind, body))
    const [found] = findRemovedApis(docs, 'master')
    t.match(found, { apiVersion, kind, hint }, `${apiVersion} ${kind} is reported`)
    const { documents, upgrades } = upgradeRemovedApis(docs, { dropRemoved: false })
    t.equal(documents[0]?.object.apiVersion, to ?? apiVersion, `${apiVersion} ${kind} → ${to ?? 'unchanged'}`)
    t.equal(upgrades.length, to ? 1 : 0)
    if (!to) t.equal(documents[0], docs[0], 'a report-only document is passed through')
  }
  for (const [apiVersion, kind] of [
    ['extensions/v1beta1', 'ConfigMap'],
    ['policy/v1', 'PodDisruptionBudget'],
    ['apps/v1', 'DaemonSet'],
    ['policy/v1beta1', 'Eviction'],
    ['autoscaling/v1', 'HorizontalPodAutoscaler'],
  ] as const) {
    t.same(findRemovedApis(documentsOf('/set/x.yml', object(apiVersion, kind)), 'master'), [], `${apiVersion} ${kind} is fine`)
  }
  t.same(
    findRemovedApis(documentsOf('/set/x.yml', object('autoscaling/v2beta2', 'HorizontalPodAutoscaler')), '1.25'),
    [],
    'autoscaling/v2beta2 still served by 1.25',
  )
})

t.test('a PodDisruptionBudget upgrade notes the selector change', async (t) => {
  const docs = documentsOf('/set/pdb.yml', object('policy/v1beta1', 'PodDisruptionBudget', 'spec:\n  minAvailable: 1\n'))
  const { upgrades } = upgradeRemovedApis(docs, { dropRemoved: false })
  t.same(upgrades[0]?.changes, ['an empty spec.selector now selects every pod in the namespace'])
})

t.test('workload rewrite: keeps an existing selector and comments, drops fields apps/v1 lacks', async (t) => {
  const text = [
    '# the controller',
    'apiVersion: extensions/v1beta1 # old API',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    'spec:',
    '  replicas: 2',
    '  rollbackTo:',
    '    revision: 3',
    '  selector: {matchLabels: {app: web, tier: front}}',
    '  # the pods',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers: [{name: web, image: nginx}]',
    '',
  ].join('\n')
  const docs = documentsOf('/set/web.yml', text)
  const { documents, upgrades } = upgradeRemovedApis(docs, { dropRemoved: false })
  t.same(upgrades[0]?.changes, ['removed spec.rollbackTo, which apps/v1 does not have'])
  t.equal(
    documents[0]?.yaml.toString(),
    [
      '# the controller',
      'apiVersion: apps/v1 # old API',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  replicas: 2',
      '  selector: { matchLabels: { app: web, tier: front } }',
      '  # the pods',
      '  template:',
      '    metadata: { labels: { app: web } }',
      '    spec:',
      '      containers: [ { name: web, image: nginx } ]',
      '',
    ].join('\n'),
  )
  t.same(documents[0]?.object.spec, {
    replicas: 2,
    selector: { matchLabels: { app: 'web', tier: 'front' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  })
  t.equal(docs[0]?.object.apiVersion, 'extensions/v1beta1')
  t.same(Object.keys(docs[0]?.object.spec as object), ['replicas', 'rollbackTo', 'selector', 'template'], 'input spec untouched')
})

t.test('workload rewrite: templateGeneration removed, selector added before template', async (t) => {
  const text = object(
    'extensions/v1beta1',
    'DaemonSet',
    'spec:\n  templateGeneration: 4\n  updateStrategy: {type: RollingUpdate}\n  template:\n    metadata:\n      labels: {k8s-app: proxy}\n    spec: {containers: []}\n',
  )
  const { documents, upgrades } = upgradeRemovedApis(documentsOf('/set/ds.yml', text), { dropRemoved: false })
  t.same(upgrades[0]?.changes, [
    'added spec.selector.matchLabels from the pod template labels',
    'removed spec.templateGeneration, which apps/v1 does not have',
  ])
  t.same(Object.keys(documents[0]?.object.spec as object), ['updateStrategy', 'selector', 'template'])
  t.same((documents[0]?.object.spec as { selector: unknown }).selector, { matchLabels: { 'k8s-app': 'proxy' } })
})

t.test('workload rewrite: without a selector or template labels it is a finding, not a guess', async (t) => {
  const text = object('apps/v1beta2', 'Deployment', 'spec:\n  template:\n    spec: {containers: []}\n')
  const docs = documentsOf('/set/d.yml', text)
  const hint = 'apps/v1 requires spec.selector and the pod template has no labels to take it from: add labels to ' +
    'spec.template.metadata.labels, then render with --upgrade-apis'
  t.match(findRemovedApis(docs, 'master'), [{ kind: 'Deployment', replacement: 'apps/v1', hint }])
  const { documents, upgrades } = upgradeRemovedApis(docs, { dropRemoved: false })
  t.same(upgrades, [])
  t.equal(documents[0], docs[0], 'left as it is')
  t.match(findRemovedApis(documents, 'master'), [{ hint }], 'and still reported')

  const labelled = documentsOf('/set/d.yml', object('apps/v1beta2', 'Deployment', 'spec:\n  selector: {matchLabels: {a: b}}\n  template:\n    spec: {containers: []}\n'))
  t.equal(upgradeRemovedApis(labelled, { dropRemoved: false }).upgrades.length, 1, 'an existing selector is enough')
})

const webhookConfiguration = (webhooks: string) =>
  object('admissionregistration.k8s.io/v1beta1', 'ValidatingWebhookConfiguration', `webhooks:\n${webhooks}`)

t.test('webhook configurations: rewritten only when every webhook has what v1 requires', async (t) => {
  const complete = [
    '  - name: a.example.com # first',
    '    sideEffects: None',
    '    admissionReviewVersions:',
    '      - v1beta1',
    '    clientConfig:',
    '      url: https://a.example.com/validate',
    '',
  ].join('\n')
  const docs = documentsOf('/set/webhooks.yml', webhookConfiguration(complete))
  t.match(findRemovedApis(docs, '1.22'), [{ replacement: 'admissionregistration.k8s.io/v1', hint: 'render with --upgrade-apis to rewrite it' }])
  t.same(findRemovedApis(docs, '1.21'), [])
  const { documents, upgrades } = upgradeRemovedApis(docs, { dropRemoved: false })
  t.same(upgrades[0]?.changes, [
    'v1 defaults differ where a webhook leaves them unset: failurePolicy Fail (was Ignore), matchPolicy ' +
      'Equivalent (was Exact), timeoutSeconds 10 (was 30)',
  ])
  t.equal(
    documents[0]?.yaml.toString(),
    `apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: x\nwebhooks:\n${complete}`,
  )

  const incomplete = [
    '  - name: a.example.com',
    '    sideEffects: None',
    '  - name: b.example.com',
    '    sideEffects: Unknown',
    '    admissionReviewVersions: [v1]',
    '  - name: c.example.com',
    '    admissionReviewVersions: []',
    '',
  ].join('\n')
  const partial = documentsOf('/set/webhooks.yml', webhookConfiguration(incomplete))
  t.match(findRemovedApis(partial, 'master'), [{
    replacement: 'admissionregistration.k8s.io/v1',
    hint:
      'webhooks[0] (a.example.com) needs admissionReviewVersions (e.g. [v1, v1beta1], the AdmissionReview ' +
      'versions it understands), which v1 requires; ' +
      'webhooks[1] (b.example.com) needs sideEffects: None or NoneOnDryRun (not Unknown), which v1 requires; ' +
      'webhooks[2] (c.example.com) needs sideEffects: None or NoneOnDryRun and admissionReviewVersions (e.g. ' +
      '[v1, v1beta1], the AdmissionReview versions it understands), which v1 requires, ' +
      'then render with --upgrade-apis',
  }])
  const unnamed = documentsOf('/set/webhooks.yml', webhookConfiguration('  - sideEffects: None\n    admissionReviewVersions: [v1]\n  - clientConfig: {}\n'))
  t.match(findRemovedApis(unnamed, 'master'), [{ hint: /^webhooks\[1\] needs sideEffects/ }], 'a webhook without a name is named by its index')
  const kept = upgradeRemovedApis(partial, { dropRemoved: true })
  t.same(kept.upgrades, [])
  t.same(kept.dropped, [], 'it has a replacement, so it is never dropped')
  t.equal(kept.documents[0], partial[0])
})

t.test('an item of a kind: List is upgraded on its own', async (t) => {
  const text = [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '  - apiVersion: rbac.authorization.k8s.io/v1beta1',
    '    kind: Role',
    '    metadata: {name: r, namespace: ns}',
    '    rules: []',
    '',
  ].join('\n')
  const docs = documentsOf('/set/list.yml', text)
  t.same(findRemovedApis(docs, 'master').map((f) => [f.kind, f.namespace, f.line, f.message]), [
    ['Role', 'ns', 4, 'Role ns/r uses rbac.authorization.k8s.io/v1beta1, removed in Kubernetes 1.22; use rbac.authorization.k8s.io/v1'],
  ])
  const { documents } = upgradeRemovedApis(docs, { dropRemoved: false })
  t.equal(documents[0]?.yaml.toString(), 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: { name: r, namespace: ns }\nrules: []\n')
  t.equal(docs[0]?.yaml.toString(), 'apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: Role\nmetadata: { name: r, namespace: ns }\nrules: []\n')
})

t.test('every row is found from its removal version on, and not a minor version before', async (t) => {
  // The versions Kubernetes' own deprecation guide gives; a changed table row fails here.
  const removals: Record<string, string> = {
    'batch/v1beta1 CronJob': '1.25',
    'policy/v1beta1 PodDisruptionBudget': '1.25',
    'policy/v1beta1 PodSecurityPolicy': '1.25',
    'extensions/v1beta1 DaemonSet': '1.16',
    'apps/v1beta2 Deployment': '1.16',
    'rbac.authorization.k8s.io/v1beta1 ClusterRole': '1.22',
    'apiextensions.k8s.io/v1beta1 CustomResourceDefinition': '1.22',
    'networking.k8s.io/v1beta1 Ingress': '1.22',
    'autoscaling/v2beta2 HorizontalPodAutoscaler': '1.26',
    'flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema': '1.29',
  }
  for (const [row, removedIn] of Object.entries(removals)) {
    const [apiVersion = '', kind = ''] = row.split(' ')
    const docs = documentsOf('/set/x.yml', object(apiVersion, kind))
    const [minor] = removedIn.split('.').slice(1).map(Number)
    t.same(findRemovedApis(docs, `1.${(minor ?? 0) - 1}.0`), [], `${row} still served by 1.${(minor ?? 0) - 1}`)
    t.match(findRemovedApis(docs, `${removedIn}.0`), [{ removedIn }], `${row} removed in ${removedIn}`)
  }
  for (const row of REMOVED_APIS) {
    for (const kind of row.kinds === '*' ? ['Role', 'AnyKind'] : row.kinds) {
      const docs = documentsOf('/set/x.yml', object(row.apiVersion, kind))
      const [major, minor] = row.removedIn.split('.').map(Number)
      t.same(findRemovedApis(docs, `${major}.${(minor ?? 0) - 1}.9`), [], `${row.apiVersion} ${kind}: served before ${row.removedIn}`)
      t.equal(findRemovedApis(docs, row.removedIn).length, 1, `${row.apiVersion} ${kind}: found in ${row.removedIn}`)
    }
  }
})

t.test("workload rewrite: the selector comes from the pod template's labels, never the object's, never empty", async (t) => {
  const body = (templateLabels: string) =>
    `  labels: {app: object-label, tier: top}\nspec:\n  template:\n    metadata:\n      labels: ${templateLabels}\n    spec: {containers: []}\n`
  const docs = documentsOf('/set/d.yml', object('extensions/v1beta1', 'DaemonSet', body('{app: pod-label}')))
  const { documents } = upgradeRemovedApis(docs, { dropRemoved: false })
  t.same((documents[0]?.object.spec as { selector: unknown }).selector, { matchLabels: { app: 'pod-label' } })

  const empty = documentsOf('/set/d.yml', object('extensions/v1beta1', 'DaemonSet', body('{}')))
  t.match(findRemovedApis(empty, 'master'), [{ hint: /pod template has no labels/ }], 'an empty label set is no selector')
  const kept = upgradeRemovedApis(empty, { dropRemoved: false })
  t.equal(kept.documents[0]?.object.apiVersion, 'extensions/v1beta1', 'not rewritten with an empty selector')
  t.equal(kept.upgrades.length, 0)
})

t.test('the OnDelete note: only where the old API defaulted to OnDelete', async (t) => {
  const body = 'spec:\n  template:\n    metadata: {labels: {app: x}}\n'
  const note = /spec\.updateStrategy now defaults to RollingUpdate/
  const cases: Array<[string, string, boolean]> = [
    ['extensions/v1beta1', 'DaemonSet', true],
    ['apps/v1beta1', 'StatefulSet', true],
    ['apps/v1beta2', 'StatefulSet', false],
    ['apps/v1beta2', 'DaemonSet', false],
    ['extensions/v1beta1', 'Deployment', false],
  ]
  for (const [apiVersion, kind, noted] of cases) {
    const { upgrades } = upgradeRemovedApis(documentsOf('/set/w.yml', object(apiVersion, kind, body)), { dropRemoved: false })
    t.equal(upgrades[0]?.changes.some((c) => note.test(c)), noted, `${apiVersion} ${kind}`)
  }
  const withStrategy = documentsOf('/set/w.yml', object('extensions/v1beta1', 'DaemonSet', `${body}  updateStrategy: {type: OnDelete}\n`))
  t.notOk(upgradeRemovedApis(withStrategy, { dropRemoved: false }).upgrades[0]?.changes.some((c) => note.test(c)), 'a written strategy needs no note')
})

t.test("the table's facts, as Kubernetes' deprecated API migration guide gives them", async (t) => {
  const workloads = ['DaemonSet', 'Deployment', 'StatefulSet', 'ReplicaSet']
  const webhooks = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']
  t.same(REMOVED_APIS.map((r) => [r.apiVersion, r.kinds, r.removedIn, r.replacement ?? null, r.rewrite ?? null]), [
    ['extensions/v1beta1', workloads, '1.16', 'apps/v1', 'workload'],
    ['apps/v1beta1', workloads, '1.16', 'apps/v1', 'workload'],
    ['apps/v1beta2', workloads, '1.16', 'apps/v1', 'workload'],
    ['extensions/v1beta1', ['NetworkPolicy'], '1.16', 'networking.k8s.io/v1', 'apiVersion'],
    ['rbac.authorization.k8s.io/v1beta1', '*', '1.22', 'rbac.authorization.k8s.io/v1', 'apiVersion'],
    ['apiextensions.k8s.io/v1beta1', ['CustomResourceDefinition'], '1.22', 'apiextensions.k8s.io/v1', null],
    ['admissionregistration.k8s.io/v1beta1', webhooks, '1.22', 'admissionregistration.k8s.io/v1', 'webhooks'],
    ['apiregistration.k8s.io/v1beta1', ['APIService'], '1.22', 'apiregistration.k8s.io/v1', 'apiVersion'],
    ['extensions/v1beta1', ['Ingress'], '1.22', 'networking.k8s.io/v1', null],
    ['networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], '1.22', 'networking.k8s.io/v1', null],
    ['policy/v1beta1', ['PodDisruptionBudget'], '1.25', 'policy/v1', 'apiVersion'],
    ['policy/v1beta1', ['PodSecurityPolicy'], '1.25', null, null],
    ['extensions/v1beta1', ['PodSecurityPolicy'], '1.16', null, null],
    ['batch/v1beta1', ['CronJob'], '1.25', 'batch/v1', 'apiVersion'],
    ['autoscaling/v2beta1', ['HorizontalPodAutoscaler'], '1.25', 'autoscaling/v2', null],
    ['autoscaling/v2beta2', ['HorizontalPodAutoscaler'], '1.26', 'autoscaling/v2', null],
    ['storage.k8s.io/v1beta1', ['CSIStorageCapacity'], '1.27', 'storage.k8s.io/v1', 'apiVersion'],
    ['flowcontrol.apiserver.k8s.io/v1beta2', '*', '1.29', 'flowcontrol.apiserver.k8s.io/v1', null],
  ])
  for (const row of REMOVED_APIS.filter((r) => !r.rewrite)) {
    t.ok(row.note, `${row.apiVersion}: a report-only row says what to do`)
    if (row.replacement) t.match(row.note, row.replacement, `${row.apiVersion}: its note names ${row.replacement}`)
  }
  t.match(REMOVED_APIS.find((r) => r.kinds.includes('CustomResourceDefinition'))?.note, /structural schema \(openAPIV3Schema\) for every version/)
  t.match(REMOVED_APIS.find((r) => r.apiVersion === 'autoscaling/v2beta1')?.note, /averageUtilization, averageValue or value$/)
})
