/**
 * The Argo CD plugin as Argo CD's argocd-cmp-server runs it: the commands of argocd/plugin.yaml, argv as
 * written there (command, then args), in the application's folder, with the build environment and the
 * Application's ARGOCD_ENV_* variables, no terminal and stdin closed. Then the examples: valid YAML, wired
 * to the plugin's name and settings, and the sidecar component built by the real kustomize.
 */
import t from 'tap'
import { execa } from 'execa'
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { ARGOCD_ENV_PREFIX, ARGOCD_SETTINGS } from '../../src/cli/argocd.js'
import { binDir, repoRoot } from '../helpers/paths.js'
import { kubectl } from '../helpers/tool.js'

interface Command {
  command?: string[]
  args?: string[]
}
interface PluginConfig {
  apiVersion: string
  kind: string
  metadata: { name: string }
  spec: { version?: string; init?: Command; generate: Command; discover: { fileName?: string; find?: Command & { glob?: string } } }
}

const pluginText = await readFile(join(repoRoot, 'argocd', 'plugin.yaml'), 'utf8')
const plugin = parse(pluginText) as PluginConfig
const example = join(repoRoot, 'examples', 'flannel')

/** What argocd-cmp-server executes: command[0] found on PATH, then command[1:], then args. */
const argv = (command: Command) => [...(command.command ?? []), ...(command.args ?? [])]

/**
 * Runs one of the plugin's commands as argocd-cmp-server does. `env -u NODE_OPTIONS` only undoes tap's
 * wrapping of child processes; the command itself is the manifest's argv. PATH holds the checkout's bin/ and
 * node, as the sidecar image has them.
 */
async function runAsArgoCd(command: Command, cwd: string, appEnv: Record<string, string> = {}) {
  const env: Record<string, string> = {
    PATH: `${binDir}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: join(cwd, '..', 'home'),
    ARGOCD_APP_NAME: 'pharos-net-eu-1',
    ARGOCD_APP_NAMESPACE: 'argocd',
    ARGOCD_APP_REVISION: '0123456789abcdef0123456789abcdef01234567',
    ARGOCD_APP_SOURCE_PATH: 'clusters/eu-1',
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/platform/fleet.git',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'HEAD',
    KUBE_VERSION: '1.32.4',
    KUBE_API_VERSIONS: 'v1,apps/v1',
    ...Object.fromEntries(Object.entries(appEnv).map(([name, value]) => [ARGOCD_ENV_PREFIX + name, value])),
  }
  const result = await execa('env', ['-u', 'NODE_OPTIONS', ...argv(command)], {
    cwd,
    env,
    extendEnv: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    reject: false,
  })
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
}

/** An application folder: a copy of the flannel example, as the repository holds it. */
async function appFolder(root: string, name = 'app'): Promise<string> {
  const dir = join(root, name)
  await cp(example, dir, { recursive: true })
  return dir
}

function manifests(stdout: string) {
  return parseAllDocuments(stdout).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0]
    return doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } }
  })
}

const ANSI = /\x1b\[/

t.test('the plugin manifest is what Argo CD 2.8+ accepts, and runs our executable without a shell', async (t) => {
  t.equal(plugin.apiVersion, 'argoproj.io/v1alpha1')
  t.equal(plugin.kind, 'ConfigManagementPlugin')
  t.equal(plugin.metadata.name, 'pharos-net')
  t.notOk(plugin.spec.version, 'no version: Applications name the plugin pharos-net')
  const executable = Object.keys(JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')).bin as Record<string, string>)[0]
  t.same(argv(plugin.spec.generate), [executable, 'render', '--stdout', '--argocd'])
  t.same(argv(plugin.spec.discover.find ?? {}), [executable, 'detect', '--argocd'])
  t.notOk(plugin.spec.discover.fileName ?? plugin.spec.discover.find?.glob, 'Argo CD evaluates fileName and glob before the command')
  t.notOk(plugin.spec.init, 'nothing to prepare')
  t.notMatch(pluginText, /\b(sh|bash)\b.*-c/, 'no shell')
})

t.test('generate prints the manifests only, and its messages carry no colours', async (t) => {
  const app = await appFolder(t.testdir({}))
  const run = await runAsArgoCd(plugin.spec.generate, app)
  t.equal(run.exitCode, 0, run.stderr)
  const objects = manifests(run.stdout)
  t.same(objects.map((o) => o.kind), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'ServiceAccount', 'ConfigMap'])
  t.ok(objects.every((o) => o.apiVersion && o.kind && o.metadata?.name), 'every document is an object')
  t.match(run.stderr, /^flannel\/01-cluster-role\.yml:2: warning: ClusterRole flannel uses rbac\.authorization\.k8s\.io\/v1beta1/, 'removed APIs reported on stderr')
  t.notMatch(run.stderr, ANSI)
  const direct = await execa('env', ['-u', 'NODE_OPTIONS', join(binDir, 'kubectl-pharos_net'), 'render', '--stdout'], { cwd: app, stripFinalNewline: false })
  t.equal(run.stdout, direct.stdout, 'the same bytes as render --stdout at the command line')
})

t.test("the Application's settings: ARGOCD_ENV_CLUSTER_CONFIG, _UPGRADE_APIS, _DROP_REMOVED, _KUBERNETES_VERSION", async (t) => {
  const app = await appFolder(t.testdir({}))
  await cp(join(app, 'flannel'), join(app, 'clusters', 'net'), { recursive: true })
  const config = (await readFile(join(app, 'cluster.yml'), 'utf8')).replace('./flannel/', './net/').replace('172.31.0.0/16', '172.40.0.0/16')
  await writeFile(join(app, 'clusters', 'prod.yml'), config)
  await rm(join(app, 'cluster.yml'))

  const run = await runAsArgoCd(plugin.spec.generate, app, { CLUSTER_CONFIG: 'clusters/prod.yml', UPGRADE_APIS: 'true', KUBERNETES_VERSION: '1.25' })
  t.equal(run.exitCode, 0, run.stderr)
  const objects = manifests(run.stdout)
  t.same(objects.map((o) => `${o.apiVersion} ${o.kind}`), [
    'rbac.authorization.k8s.io/v1 ClusterRole', 'rbac.authorization.k8s.io/v1 ClusterRoleBinding', 'apps/v1 DaemonSet', 'v1 ServiceAccount', 'v1 ConfigMap',
  ], 'upgraded')
  t.match(run.stdout, '"Network": "172.40.0.0/16"', 'from clusters/prod.yml')
  t.match(run.stderr, /^clusters\/net\/03-daemon-set\.yml:2: note: DaemonSet kube-flannel-ds: extensions\/v1beta1 → apps\/v1;/m)

  const plain = await runAsArgoCd(plugin.spec.generate, app, { CLUSTER_CONFIG: 'clusters/prod.yml', KUBERNETES_VERSION: '1.15' })
  t.equal(plain.exitCode, 0, plain.stderr)
  t.match(plain.stdout, 'apiVersion: extensions/v1beta1', 'not upgraded without UPGRADE_APIS')
  t.notMatch(plain.stderr, /warning: DaemonSet/, 'extensions/v1beta1 DaemonSets still exist in Kubernetes 1.15')

  const typo = await runAsArgoCd(plugin.spec.generate, app, { CLUSTER_CONFIG: 'clusters/prod.yml', UPGRADE_API: 'true' })
  t.equal(typo.exitCode, 0, typo.stderr)
  t.match(typo.stderr, /^warning: ARGOCD_ENV_UPGRADE_API is not read by kubectl-pharos-net \(it reads CLUSTER_CONFIG, UPGRADE_APIS, DROP_REMOVED, KUBERNETES_VERSION from plugin\.env\)\n/)

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ UPGRADE_APIS: 'yes' }, /^error: ARGOCD_ENV_UPGRADE_APIS must be true or false, not "yes"\n {2}hint: set UPGRADE_APIS to "true" or "false"/],
    [{ CLUSTER_CONFIG: '../other/cluster.yml' }, /^error: ARGOCD_ENV_CLUSTER_CONFIG must name a file inside the application folder, not "\.\.\/other\/cluster\.yml"\n/],
    [{ CLUSTER_CONFIG: '/etc/hostname' }, /^error: ARGOCD_ENV_CLUSTER_CONFIG must name a file inside the application folder, not "\/etc\/hostname"\n/],
    [{ CLUSTER_CONFIG: 'clusters/prod.yml', KUBERNETES_VERSION: 'latest' }, /^error: .*latest/],
  ]
  for (const [env, message] of bad) {
    const refused = await runAsArgoCd(plugin.spec.generate, app, env)
    t.equal(refused.exitCode, 2, JSON.stringify(env))
    t.equal(refused.stdout, '')
    t.match(refused.stderr, message)
  }
})

t.test('the Application environment changes nothing without --argocd', async (t) => {
  const app = await appFolder(t.testdir({}))
  const env = { [`${ARGOCD_ENV_PREFIX}UPGRADE_APIS`]: 'true', [`${ARGOCD_ENV_PREFIX}CLUSTER_CONFIG`]: 'missing.yml' }
  const run = await kubectl(['pharos-net', 'render', '--stdout'], { cwd: app, env })
  t.equal(run.exitCode, 0, run.stderr)
  t.match(run.stdout, 'apiVersion: extensions/v1beta1')
})

t.test('a broken cluster.yml fails generate with the located error on stderr and nothing on stdout', async (t) => {
  const app = await appFolder(t.testdir({}))
  const config = join(app, 'cluster.yml')
  await writeFile(config, (await readFile(config, 'utf8')).replace('172.31.0.0/16', '172.31.0.0/40'))
  const run = await runAsArgoCd(plugin.spec.generate, app)
  t.equal(run.exitCode, 2)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^cluster\.yml:3:21: error: network\.pod_network_cidr is not a valid CIDR: prefix \/40 is longer than 32 bits\n/)
  t.match(run.stderr, /\n {2}hint: /)
  t.notMatch(run.stderr, ANSI)
  t.notMatch(run.stderr, /    at /, 'no stack trace')

  await writeFile(join(app, 'flannel', '05-broken.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: [\n')
  await writeFile(config, (await readFile(join(example, 'cluster.yml'), 'utf8')))
  const manifest = await runAsArgoCd(plugin.spec.generate, app)
  t.equal(manifest.exitCode, 2)
  t.equal(manifest.stdout, '')
  t.match(manifest.stderr, /^flannel\/05-broken\.yml:\d+:\d+: error: /)
})

t.test('discover claims a folder whose cluster config says provider: custom, and no other', async (t) => {
  const root = t.testdir({
    weave: { 'cluster.yml': 'network:\n  provider: weave\n' },
    default: { 'cluster.yml': 'hosts: []\n' },
    none: { 'kustomization.yaml': 'resources: []\n' },
    erb: { 'cluster.yml.erb': "network:\n  provider: <%= ENV['PROVIDER'] || 'custom' %>\n" },
    broken: { 'cluster.yml': 'network: [\n' },
    clusters: { 'prod.yml': 'network:\n  provider: custom\n' },
  })
  const discover = plugin.spec.discover.find ?? {}
  const custom = await appFolder(root, 'custom')
  const cases: Array<[string, string, Record<string, string>?]> = [
    ['custom', 'cluster.yml\n'],
    ['weave', ''],
    ['default', ''],
    ['none', ''],
    ['erb', 'cluster.yml.erb\n'],
    ['broken', 'cluster.yml\n'],
    ['clusters', 'prod.yml\n', { CLUSTER_CONFIG: 'prod.yml' }],
    ['custom', '', { CLUSTER_CONFIG: 'missing.yml' }],
  ]
  for (const [folder, expected, env] of cases) {
    const run = await runAsArgoCd(discover, folder === 'custom' ? custom : join(root, folder), env)
    t.equal(run.exitCode, 0, `${folder}: ${run.stderr}`)
    t.equal(run.stdout, expected, `${folder}${env ? ` ${JSON.stringify(env)}` : ''}`)
    t.equal(run.stderr, '', `${folder}: nothing on stderr`)
  }
})

t.test('examples/argocd: valid YAML, wired to the plugin', async (t) => {
  const dir = join(repoRoot, 'examples', 'argocd')
  const configMap = parse(await readFile(join(dir, 'plugin', 'pharos-net-plugin.yaml'), 'utf8'))
  t.equal(configMap.data['plugin.yaml'], pluginText, 'the ConfigMap holds argocd/plugin.yaml as it is')

  const patch = parse(await readFile(join(dir, 'plugin', 'repo-server-sidecar.yaml'), 'utf8'))
  t.match(patch, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'argocd-repo-server' } })
  const [sidecar] = patch.spec.template.spec.containers
  t.same(sidecar.command, ['/var/run/argocd/argocd-cmp-server'])
  t.match(sidecar.securityContext, { runAsNonRoot: true, runAsUser: 999 })
  const mounts = Object.fromEntries(sidecar.volumeMounts.map((m: { mountPath: string }) => [m.mountPath, m]))
  t.match(mounts['/home/argocd/cmp-server/config/plugin.yaml'], { subPath: 'plugin.yaml', name: 'pharos-net-plugin' })
  t.match(mounts['/var/run/argocd'], { name: 'var-files' })
  t.match(mounts['/home/argocd/cmp-server/plugins'], { name: 'plugins' })
  t.match(mounts['/tmp'], { name: 'pharos-net-tmp' })
  t.match(patch.spec.template.spec.volumes, [{ name: 'pharos-net-plugin', configMap: { name: configMap.metadata.name } }, { name: 'pharos-net-tmp', emptyDir: {} }])

  const appSet = parse(await readFile(join(dir, 'applicationset.yaml'), 'utf8'))
  t.match(appSet, { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet' })
  t.same(appSet.spec.generators[0].git.directories, [{ path: 'clusters/*' }], 'one Application per folder of clusters/')
  const { source } = appSet.spec.template.spec
  t.equal(source.plugin.name, plugin.metadata.name, 'the plugin by its name')
  t.equal(source.path, '{{.path.path}}')
  for (const { name } of source.plugin.env) t.ok(name in ARGOCD_SETTINGS, `${name} is a setting the plugin reads`)
})

t.test('the sidecar component builds with the real kustomize onto an argocd-repo-server', async (t) => {
  const dir = t.testdir({})
  await writeFiles(dir, {
    'kustomization.yaml': [
      'namespace: argocd',
      'resources: [repo-server.yaml]',
      `components: [${relative(dir, join(repoRoot, 'examples', 'argocd', 'plugin'))}]`,
      '',
    ].join('\n'),
    // The parts of Argo CD's own argocd-repo-server the sidecar relies on.
    'repo-server.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: argocd-repo-server}',
      'spec:',
      '  selector: {matchLabels: {app: repo}}',
      '  template:',
      '    metadata: {labels: {app: repo}}',
      '    spec:',
      '      containers: [{name: argocd-repo-server, image: quay.io/argoproj/argocd:v2.13.3}]',
      '      volumes: [{name: var-files, emptyDir: {}}, {name: plugins, emptyDir: {}}]',
      '',
    ].join('\n'),
  })
  const built = await kubectl(['kustomize', dir])
  t.equal(built.exitCode, 0, built.stderr)
  const [configMap, deployment] = parseAllDocuments(built.stdout).map((d) => d.toJS())
  t.match(configMap, { kind: 'ConfigMap', metadata: { name: 'pharos-net-plugin', namespace: 'argocd' } })
  t.equal(configMap.data['plugin.yaml'], pluginText)
  t.same(deployment.spec.template.spec.containers.map((c: { name: string }) => c.name).sort(), ['argocd-repo-server', 'pharos-net'])
  t.same(deployment.spec.template.spec.volumes.map((v: { name: string }) => v.name).sort(), ['pharos-net-plugin', 'pharos-net-tmp', 'plugins', 'var-files'])
})

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
}
