/**
 * The Helm plugin and post-renderer end to end, with the real Helm 3 and Helm 4 of scripts/install-tools.sh,
 * each in a throwaway home (plugins, config, data, cache) so that nothing of the user's Helm is read or changed.
 */
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { access, chmod, copyFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { fixturesDir, repoRoot, toolEnv, toolsBinDir } from '../helpers/paths.js'
import { pharosNet, type ToolRun } from '../helpers/tool.js'

type HelmName = 'helm3' | 'helm4'

const CHART = join(fixturesDir, 'helm-chart')
const POST_RENDERER_PLUGIN = join(repoRoot, 'packaging', 'helm-postrenderer')
const CONFIG = 'examples/flannel/cluster.yml'
const STACK_LABEL = 'pharos.kontena.io/stack'

/** A Helm binary of its own home: `run` calls it as a user would, from the checkout. */
interface Helm {
  name: HelmName
  run(args: string[], options?: { cwd?: string; input?: string }): Promise<ToolRun>
}

async function helmIn(dir: string, name: HelmName): Promise<Helm> {
  const bin = join(toolsBinDir, name)
  await access(bin).catch(() => {
    throw new Error(`${bin} is missing: run scripts/install-tools.sh (npm test runs it first)`)
  })
  const env = {
    HELM_CONFIG_HOME: join(dir, 'config'),
    HELM_DATA_HOME: join(dir, 'data'),
    HELM_CACHE_HOME: join(dir, 'cache'),
    // Where plugins are looked for; `helm plugin install` of a folder links it into HELM_DATA_HOME's plugins.
    HELM_PLUGINS: join(dir, 'data', 'plugins'),
    // No cluster is needed; a kubeconfig of its own keeps the user's out of the namespace Helm works out.
    KUBECONFIG: join(dir, 'no-kubeconfig'),
  }
  return {
    name,
    run: async (args, options = {}) => {
      // env -u: tap's loader hooks (NODE_OPTIONS) must not reach the tool that Helm runs (see helpers/tool.ts).
      const result = await execa('env', ['-u', 'NODE_OPTIONS', bin, ...args], {
        cwd: options.cwd ?? repoRoot,
        env: toolEnv(env),
        input: options.input,
        reject: false,
      })
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
    },
  }
}

/** A Helm of a home in `dir`, with the checkout installed as its plugin. */
async function helmWithPlugin(t: Test, dir: string, name: HelmName): Promise<Helm> {
  const helm = await helmIn(dir, name)
  const install = await helm.run(['plugin', 'install', repoRoot])
  t.equal(install.exitCode, 0, install.stderr)
  return helm
}

const objectsIn = (text: string) =>
  parseAllDocuments(text).map((d) => d.toJS() as Record<string, any> | null).filter((o): o is Record<string, any> => o !== null)

const version = async () => (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version

for (const name of ['helm3', 'helm4'] as const) {
  t.test(`${name}: the checkout installs as the plugin pharos-net, of the package's version`, async (t) => {
    const helm = await helmWithPlugin(t, t.testdir({}), name)
    const list = await helm.run(['plugin', 'list'])
    t.equal(list.exitCode, 0, list.stderr)
    t.match(list.stdout, new RegExp(`^pharos-net\\s+${(await version()).replace(/\./g, '\\.')}\\s`, 'm'))
    const help = await helm.run(['pharos-net', '--help'])
    t.equal(help.exitCode, 0, help.stderr)
    t.match(help.stdout, /kubectl pharos-net render/)
  })

  t.test(`${name}: helm pharos-net render --stdout gives the bytes of kubectl pharos-net render --stdout`, async (t) => {
    const helm = await helmWithPlugin(t, t.testdir({}), name)
    const [viaHelm, viaKubectl] = await Promise.all([
      helm.run(['pharos-net', 'render', '--stdout', '-c', CONFIG]),
      pharosNet(['render', '--stdout', '-c', CONFIG]),
    ])
    t.equal(viaHelm.exitCode, 0, viaHelm.stderr)
    t.equal(viaKubectl.exitCode, 0, viaKubectl.stderr)
    t.ok(viaHelm.stdout.length > 1000, `${viaHelm.stdout.length} bytes`)
    t.equal(viaHelm.stdout, viaKubectl.stdout)
    t.equal(viaHelm.stderr, viaKubectl.stderr, 'the same warnings')
  })

  t.test(`${name}: --kubeconfig and --kube-context given to helm reach kubectl (as KUBECONFIG and HELM_KUBECONTEXT)`, async (t) => {
    const dir = t.testdir({
      kubeconfig: [
        'apiVersion: v1', 'kind: Config', 'current-context: elsewhere',
        'clusters: [{name: closed, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: elsewhere, context: {cluster: nowhere, user: u}}, {name: helm-ctx, context: {cluster: closed, user: u}}]', '',
      ].join('\n'),
    })
    const helm = await helmWithPlugin(t, join(dir, 'helm'), name)
    const kubeconfig = join(dir, 'kubeconfig')
    const diff = await helm.run(['pharos-net', 'diff', '-c', CONFIG, '--kubeconfig', kubeconfig, '--kube-context', 'helm-ctx', '-n', 'helm-ns'])
    t.equal(diff.exitCode, 3)
    t.match(diff.stderr, /^error: cannot reach the cluster at (https:\/\/)?127\.0\.0\.1:1\n/, 'the context helm-ctx of that kubeconfig')
    const missing = await helm.run(['pharos-net', 'diff', '-c', CONFIG, '--kubeconfig', kubeconfig, '--kube-context', 'gone'])
    t.equal(missing.exitCode, 3)
    t.match(missing.stderr, /context "gone" does not exist/)
  })
}

/** The objects of the fixture chart after `--upgrade-apis`, labelled, as post-render gives them. */
function checkUpgradedAndLabelled(t: Test, objects: Array<Record<string, any>>, hookLabelled: boolean) {
  const byKind = new Map(objects.map((o) => [o.kind as string, o]))
  t.same([...byKind.keys()].sort(), ['ConfigMap', 'DaemonSet', 'Pod'])
  const daemonSet = byKind.get('DaemonSet')
  t.equal(daemonSet?.apiVersion, 'apps/v1', 'extensions/v1beta1 upgraded')
  t.same(daemonSet?.spec.selector, { matchLabels: { app: 'net' } })
  for (const kind of ['ConfigMap', 'DaemonSet']) t.equal(byKind.get(kind)?.metadata.labels?.[STACK_LABEL], 'custom-network', `${kind} labelled`)
  t.equal(byKind.get('Pod')?.metadata.labels?.[STACK_LABEL], hookLabelled ? 'custom-network' : undefined, 'the test hook')
}

t.test('helm3 template --post-renderer kubectl-pharos_net: the upgraded, labelled stream; a failure shows our message', async (t) => {
  const helm = await helmIn(t.testdir({}), 'helm3')
  const postRender = ['--post-renderer', 'kubectl-pharos_net', '--post-renderer-args', 'post-render']
  const run = await helm.run(['template', 'rel', CHART, ...postRender, '--post-renderer-args', '--upgrade-apis'])
  t.equal(run.exitCode, 0, run.stderr)
  // Helm 3 runs hooks past the post-renderer: the test Pod comes out as the chart wrote it.
  checkUpgradedAndLabelled(t, objectsIn(run.stdout), false)

  const failed = await helm.run(['template', 'rel', CHART, '--set', 'invalid=true', ...postRender])
  t.equal(failed.exitCode, 1)
  t.match(failed.stderr, /<stdin>:\d+:1: error: document has no metadata\.name\n/)
  t.match(failed.stderr, /hint: every Kubernetes object needs apiVersion, kind and metadata\.name/)
})

t.test('helm4 template --post-renderer pharos-net-postrender: the upgraded, labelled stream, hooks included', async (t) => {
  const helm = await helmIn(t.testdir({}), 'helm4')
  const install = await helm.run(['plugin', 'install', POST_RENDERER_PLUGIN])
  t.equal(install.exitCode, 0, install.stderr)
  const list = await helm.run(['plugin', 'list'])
  t.match(list.stdout, new RegExp(`^pharos-net-postrender\\s+${(await version()).replace(/\./g, '\\.')}\\s+postrenderer/v1\\s`, 'm'))

  const postRender = ['--post-renderer', 'pharos-net-postrender']
  const run = await helm.run(['template', 'rel', CHART, ...postRender, '--post-renderer-args', '--upgrade-apis'])
  t.equal(run.exitCode, 0, run.stderr)
  checkUpgradedAndLabelled(t, objectsIn(run.stdout), true)

  const failed = await helm.run(['template', 'rel', CHART, '--set', 'invalid=true', ...postRender])
  t.equal(failed.exitCode, 1)
  // Helm 4.3.1 keeps a post-renderer plugin's stderr to itself (internal/plugin/runtime_subprocess.go,
  // runPostrenderer); it names the plugin. The same stream given to post-render by hand shows the reason.
  t.match(failed.stderr, /error while running post render on files: .*plugin "pharos-net-postrender" exited with error/)
  const rendered = await helm.run(['template', 'rel', CHART, '--set', 'invalid=true'])
  t.equal(rendered.exitCode, 0, rendered.stderr)
  const byHand = await pharosNet(['post-render'], { input: rendered.stdout })
  t.equal(byHand.exitCode, 2)
  t.match(byHand.stderr, /^<stdin>:\d+:1: error: document has no metadata\.name\n/)
})

t.test('helm3 refuses the Helm 4 post-renderer plugin at install: it reads plugin.yaml strictly', async (t) => {
  const helm = await helmIn(t.testdir({}), 'helm3')
  const install = await helm.run(['plugin', 'install', POST_RENDERER_PLUGIN])
  t.not(install.exitCode, 0)
  t.match(install.stderr, /field apiVersion not found|unknown field/)
})

t.test('a checkout installed before it is built says what to run, in both Helms', async (t) => {
  const dir = t.testdir({ checkout: { bin: {} } })
  const checkout = join(dir, 'checkout')
  for (const file of ['plugin.yaml', 'package.json', 'bin/kubectl-pharos_net']) await copyFile(join(repoRoot, file), join(checkout, file))
  await chmod(join(checkout, 'bin', 'kubectl-pharos_net'), 0o755)
  for (const name of ['helm3', 'helm4'] as const) {
    const helm = await helmIn(join(dir, name), name)
    const install = await helm.run(['plugin', 'install', checkout])
    t.equal(install.exitCode, 0, install.stderr)
    const run = await helm.run(['pharos-net', 'render', '--stdout', '-c', CONFIG])
    t.not(run.exitCode, 0, name)
    t.match(run.stderr, `error: ${join(checkout, 'dist', 'main.js')} is missing: this copy of kubectl-pharos-net is not built\n` +
      `  hint: run \`npm ci && npm run build\` in ${checkout}\n`)
  }
})

t.test('npm packs both plugin.yaml files and the post-renderer’s entry', async (t) => {
  const pack = await execa('npm', ['pack', '--dry-run', '--json'], { cwd: repoRoot, env: toolEnv(), reject: false })
  t.equal(pack.exitCode, 0, String(pack.stderr))
  const [{ files }] = JSON.parse(String(pack.stdout)) as Array<{ files: Array<{ path: string; mode: number }> }>
  const packed = new Map(files.map((f) => [f.path, f.mode]))
  t.ok(packed.has('plugin.yaml'))
  t.ok(packed.has('packaging/helm-postrenderer/plugin.yaml'))
  t.equal((packed.get('packaging/helm-postrenderer/kubectl-pharos_net') ?? 0) & 0o111, 0o111, 'executable')
})
