import t from 'tap'
import { kubectlTarget, limitsOf, renderOptionsFrom } from '../../src/cli/options.js'
import type { CliIO } from '../../src/cli/io.js'
import { DEFAULT_LIMITS } from '../../src/limits.js'

const io = (env: Record<string, string>): CliIO => ({ stdout: { write: () => true }, stderr: { write: () => true }, cwd: '/work', env })
const global = { debug: false, quiet: false, limit: ['tool-timeout=7s'] }

t.test('render flags become the pipeline’s options', async (t) => {
  const args = {
    ...global, config: 'c.yml', 'upgrade-apis': true, 'drop-removed': false, 'kubernetes-version': '1.30',
    'allow-env': ['B_*'], 'allow-outside-manifests': true,
  }
  const env = { PHAROS_NET_ALLOW_ENV: 'A, ,C', PHAROS_NET_LIMITS: 'file-size=1KiB' }
  t.strictSame(renderOptionsFrom(args, io(env)), {
    configFile: 'c.yml', cwd: '/work', env, upgradeApis: true, dropRemoved: false, kubernetesVersion: '1.30',
    allowEnv: ['A', 'C', 'B_*'], allowOutsideManifests: true,
    limits: { ...DEFAULT_LIMITS, 'file-size': 1024, 'tool-timeout': 7000 },
  })
  t.equal(renderOptionsFrom(args, io(env), '1.31.2').kubernetesVersion, '1.31.2', 'a version the command resolved wins')
  t.equal(renderOptionsFrom({ ...args, 'drop-removed': true, 'upgrade-apis': false }, io(env)).dropRemoved, true)
})

t.test('the kubectl target: kubeconfig from where the user stands, Helm’s context unless --context', async (t) => {
  const args = { ...global, kubectl: 'kc', kubeconfig: 'k/config', context: undefined }
  const signal = new AbortController().signal
  t.strictSame(kubectlTarget(args, { ...io({ HELM_KUBECONTEXT: 'helm-ctx' }), signal }), {
    kubectl: 'kc', kubeconfig: '/work/k/config', context: 'helm-ctx', namespace: undefined, env: { HELM_KUBECONTEXT: 'helm-ctx' },
    toolTimeout: 7000, signal,
  })
  t.equal(kubectlTarget({ ...args, context: 'mine' }, io({ HELM_KUBECONTEXT: 'helm-ctx' })).context, 'mine')
  t.equal(kubectlTarget(args, io({ HELM_KUBECONTEXT: '' })).context, undefined, 'an empty HELM_KUBECONTEXT is no context')
  t.equal(kubectlTarget({ ...args, kubeconfig: undefined }, io({})).kubeconfig, undefined, 'none given: kubectl finds its own')
})

t.test('the namespace for objects that name none: --namespace, else Helm’s HELM_NAMESPACE, else none', async (t) => {
  const args = { ...global, kubectl: 'kc' }
  t.equal(kubectlTarget(args, io({ HELM_NAMESPACE: 'helm-ns' })).namespace, 'helm-ns')
  t.equal(kubectlTarget({ ...args, namespace: 'mine' }, io({ HELM_NAMESPACE: 'helm-ns' })).namespace, 'mine')
  t.equal(kubectlTarget(args, io({ HELM_NAMESPACE: '' })).namespace, undefined, 'an empty HELM_NAMESPACE is none')
  t.equal(kubectlTarget(args, io({})).namespace, undefined, 'none: kubectl’s own default (the context’s)')
})

t.test('limits: defaults, then the environment, then the flags', async (t) => {
  t.strictSame(limitsOf({ ...global, limit: [] }, io({})), DEFAULT_LIMITS)
  t.equal(limitsOf({ ...global, limit: ['file-size=2KiB'] }, io({ PHAROS_NET_LIMITS: 'file-size=1KiB' }))['file-size'], 2048)
  t.equal(limitsOf({ ...global, limit: [] }, io({ PHAROS_NET_LIMITS: 'file-size=1KiB' }))['file-size'], 1024)
})
