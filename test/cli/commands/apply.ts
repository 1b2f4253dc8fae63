import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDuration } from '../../../src/cli/commands/apply.js'
import { UsageError } from '../../../src/errors.js'
import { runCli } from '../../helpers/cli.js'
import { fakeKubeconform } from '../../helpers/fake-kubeconform.js'
import { fakeCluster, fakeKubectl, labelled, recordedCalls } from '../../helpers/fake-kubectl.js'

t.test('durations', async (t) => {
  t.equal(parseDuration('90'), 90)
  t.equal(parseDuration('90s'), 90)
  t.equal(parseDuration('5m'), 300)
  t.equal(parseDuration('1h'), 3600)
  t.throws(() => parseDuration('5 minutes'), UsageError)
})

const project = {
  'cluster.yml': 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n',
  net: { 'cm.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' },
}

/** A stand-in kubectl that never answers. */
const silentKubectl = async (dir: string) => (await fakeKubectl(dir, {}, 'sleep 30')).kubectl

t.test("--timeout bounds apply's kubectl calls; server calls carry --request-timeout", async (t) => {
  const cwd = t.testdir(project)
  const kubectl = await silentKubectl(cwd)
  const started = Date.now()
  const run = await runCli(['apply', '--kubectl', kubectl, '--timeout', '4s'], { cwd })
  t.ok(Date.now() - started < 12_000, `stopped after ${Date.now() - started} ms`)
  t.equal(run.code, 3)
  t.match(run.stderr, /^error: .*kubectl did not finish within --timeout 4s and was stopped\n {2}hint: .*larger --timeout/)
  // The version and the live preflight's reads run side by side, and all of them hang.
  const calls = (await readFile(join(cwd, 'calls'), 'utf8')).trim().split('\n')
  t.ok(calls.some((c) => /^--request-timeout=[1-4]s version -o json$/.test(c)), 'the version asked')
  t.ok(calls.every((c) => /^--request-timeout=[1-4]s (version|get) /.test(c)), `the time left, on every call: ${calls.join('; ')}`)
})

t.test('the tool-timeout limit bounds them too, when it is the tighter', async (t) => {
  const cwd = t.testdir(project)
  const kubectl = await silentKubectl(cwd)
  const run = await runCli(['apply', '--kubectl', kubectl, '--limit', 'tool-timeout=500ms'], { cwd })
  t.equal(run.code, 3)
  t.match(run.stderr, /kubectl did not finish within 500ms \(limit tool-timeout\)/)
})

t.test('a kubeconfig user without credentials: kubectl gets no stdin to prompt on, exit 3 at once', async (t) => {
  const cwd = t.testdir({
    ...project,
    kubeconfig: [
      'apiVersion: v1', 'kind: Config', 'current-context: x',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]', '',
    ].join('\n'),
  })
  const started = Date.now()
  const run = await runCli(['apply', '--kubeconfig', 'kubeconfig'], { cwd, env: { PATH: process.env.PATH ?? '' } })
  t.ok(Date.now() - started < 10_000, `returned after ${Date.now() - started} ms`)
  t.equal(run.code, 3, run.stderr)
  t.match(run.stderr, /^error: kubectl asked for a username: the kubeconfig user has no credentials\n/)
})

/** A cluster for the command layer: the stack lists `listing`; apply and prune answer as kubectl does. */
async function cluster(dir: string, listing: object[], answers: Record<string, string> = {}, client?: string): Promise<string> {
  const target = await fakeCluster(dir, {
    listing,
    client,
    answers: { apply: 'echo "configmap/a serverside-applied"', delete: 'echo "configmap \\"left\\" deleted"', ...answers },
  })
  return target.kubectl
}
const ours = (name: string) => labelled('ConfigMap', name, 'default')
const env = { PATH: process.env.PATH ?? '' }

t.test('diff prints kubectl diff, then each object prune would delete; exit 1 when anything differs', async (t) => {
  const cwd = t.testdir(project)
  const kubectl = await cluster(cwd, [ours('a'), ours('left')], { diff: 'echo "+  data: new"; exit 1' })
  const run = await runCli(['diff', '--kubectl', kubectl], { cwd, env })
  t.same(run, { code: 1, stdout: '+  data: new\nprune: ConfigMap default/left (v1) would be deleted\n', stderr: '' })

  const same = await cluster(t.testdir(project), [ours('a')], { diff: ':' })
  t.same(await runCli(['diff', '--kubectl', same], { cwd, env }), { code: 0, stdout: '', stderr: '' }, 'no difference, nothing to prune')
})

t.test('apply prints what kubectl applied and pruned; a version skew is a warning unless --quiet', async (t) => {
  const cwd = t.testdir(project)
  const kubectl = await cluster(cwd, [ours('a'), ours('left')], {}, 'v1.29.0')
  const kubeconform = await fakeKubeconform(cwd, 'statusValid')
  const run = await runCli(['apply', '--kubectl', kubectl, '--kubeconform', kubeconform], { cwd, env })
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, 'configmap/a serverside-applied\nconfigmap "left" deleted\n')
  t.equal(run.stderr, 'warning: kubectl v1.29.0 is 3 minor versions away from the server (v1.32.13); kubectl supports one minor version of skew\n')
  t.equal((await runCli(['apply', '-q', '--kubectl', kubectl, '--kubeconform', kubeconform], { cwd, env })).stderr, '')
})

t.test('apply with validation findings applies nothing: the findings on stdout, exit 1', async (t) => {
  const cwd = t.testdir(project)
  const kubectl = await cluster(cwd, [])
  const kubeconform = await fakeKubeconform(cwd, 'statusInvalid', [{ path: '/data', msg: 'expected object' }])
  const run = await runCli(['apply', '--kubectl', kubectl, '--kubeconform', kubeconform], { cwd, env })
  t.equal(run.code, 1)
  t.match(run.stdout, /net\/cm\.yml:1: .*expected object/)
  t.equal(run.stderr, 'error: validation failed; nothing was applied\n')
  const calls = await readFile(join(cwd, 'calls'), 'utf8')
  t.notMatch(calls, /^apply /m, 'kubectl apply never ran')
})

t.test('apply --wait: a rollout that does not finish is an error with what to look at, exit 1', async (t) => {
  const cwd = t.testdir({
    ...project,
    net: { 'ds.yml': 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: net\n  namespace: kube-system\nspec:\n  selector:\n    matchLabels: {app: net}\n  template:\n    metadata:\n      labels: {app: net}\n    spec:\n      containers: [{name: c, image: busybox}]\n' },
  })
  const kubectl = await cluster(cwd, [], { rollout: 'echo "error: timed out waiting for the condition" >&2; exit 1' })
  const run = await runCli(['apply', '--wait', '--kubectl', kubectl, '--kubeconform', await fakeKubeconform(cwd, 'statusValid')], { cwd, env })
  t.equal(run.code, 1)
  t.match(run.stderr, /^error: DaemonSet kube-system\/net is not ready: .*timed out waiting for the condition\n {2}hint: check its pods \(kubectl describe, kubectl logs\); --timeout gives it longer\n$/)
})

t.test('under Helm: HELM_KUBECONTEXT, HELM_NAMESPACE and KUBECONFIG reach kubectl; --context and --namespace win', async (t) => {
  const helm = { ...env, HELM_PLUGIN_NAME: 'pharos-net', HELM_KUBECONTEXT: 'helm-ctx', HELM_NAMESPACE: 'helm-ns', KUBECONFIG: '/helm/kubeconfig' }
  const set = {
    ...project,
    net: { ...project.net, 'kept.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  namespace: kube-system\n' },
  }
  for (const [flags, context, namespace] of [[[], 'helm-ctx', 'helm-ns'], [['--context', 'mine', '-n', 'mine-ns'], 'mine', 'mine-ns']] as const) {
    const cwd = t.testdir(set)
    const kubectl = await cluster(cwd, [], { 'api-resources': `echo "$KUBECONFIG" > ${join(cwd, 'kubeconfig-seen')}; echo configmaps`, diff: ':' })
    const run = await runCli(['apply', ...flags, '--kubectl', kubectl, '--kubeconform', await fakeKubeconform(cwd, 'statusValid')], { cwd, env: helm })
    t.equal(run.code, 0, run.stderr)
    // The stand-in kubeconform logs to the same file: its calls start with -output.
    const calls = (await recordedCalls(cwd)).filter((c) => !c.startsWith('-output ')).map((c) => c.replace(/ --request-timeout=\d+s/, ''))
    t.ok(calls.every((c) => c.startsWith(`--context ${context} `)), `every call in context ${context}`)
    t.same(calls.filter((c) => / apply /.test(c)).map((c) => / -n (\S+) /.exec(c)?.[1]), [undefined, namespace],
      'kube-system/kept without -n, the nameless ConfigMap a with it')
    t.notOk(calls.some((c) => / config view /.test(c)), 'prune places nameless objects there too, without asking the context')
    t.equal(await readFile(join(cwd, 'kubeconfig-seen'), 'utf8'), '/helm/kubeconfig\n', 'KUBECONFIG from the environment, to kubectl')

    const diffRun = await runCli(['diff', ...flags, '--kubectl', kubectl], { cwd, env: helm })
    t.equal(diffRun.code, 0, diffRun.stderr)
    t.same((await recordedCalls(cwd)).filter((c) => / diff /.test(c)).map((c) => / -n (\S+) /.exec(c)?.[1]), [undefined, namespace])
  }
})
