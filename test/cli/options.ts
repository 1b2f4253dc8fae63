import t from 'tap'
import { kubectlTarget, limitsOf, renderOptionsFrom } from '../../src/cli/options.js'
import type { CliIO } from '../../src/cli/io.js'
import { DEFAULT_LIMITS } from '../../src/limits.js'

const io = (env: Record<string, string>): CliIO => ({ stdout: { write: () => true }, stderr: { write: () => true }, cwd: '/work', env })
const global = { debug: false, quiet: false, limit: ['tool-timeout=7s'] }

t.test('render flags become the pipeline’s options', async (t) => {
  const args = {
    ...global, config: 'c.yml', 'upgrade-apis': true, 'drop-removed': false, 'kubernetes-version': '1.30',
    'allow-env': ['B_*'], 'allow-outside-manifests': true, 'image-registry': 'registry.local:5000',
  }
  const env = { PHAROS_NET_ALLOW_ENV: 'A, ,C', PHAROS_NET_LIMITS: 'file-size=1KiB' }
  t.strictSame(renderOptionsFrom(args, io(env)), {
    configFile: 'c.yml', cwd: '/work', env, upgradeApis: true, dropRemoved: false, kubernetesVersion: '1.30',
    allowEnv: ['A', 'C', 'B_*'], allowOutsideManifests: true, imageRegistry: 'registry.local:5000',
    limits: { ...DEFAULT_LIMITS, 'file-size': 1024, 'tool-timeout': 7000 },
  })
  t.equal(renderOptionsFrom(args, io(env), '1.31.2').kubernetesVersion, '1.31.2', 'a version the command resolved wins')
  t.equal(renderOptionsFrom({ ...args, 'drop-removed': true, 'upgrade-apis': false }, io(env)).dropRemoved, true)
})

t.test('the kubectl target: kubeconfig from where the user stands, Helm’s context unless --context', async (t) => {
  const args = { ...global, kubectl: 'kc', kubeconfig: 'k/config', context: undefined }
  const signal = new AbortController().signal
  const helm = { HELM_PLUGIN_NAME: 'pharos-net', HELM_KUBECONTEXT: 'helm-ctx' }
  t.strictSame(kubectlTarget(args, { ...io(helm), signal }), {
    kubectl: 'kc', kubeconfig: '/work/k/config', context: 'helm-ctx', namespace: undefined, env: helm,
    toolTimeout: 7000, signal,
  })
  t.equal(kubectlTarget({ ...args, context: 'mine' }, io(helm)).context, 'mine')
  t.equal(kubectlTarget(args, io({ ...helm, HELM_KUBECONTEXT: '' })).context, undefined, 'an empty HELM_KUBECONTEXT is no context')
  t.equal(kubectlTarget(args, io({ HELM_KUBECONTEXT: 'helm-ctx' })).context, undefined, 'not under Helm: exported for Helm, not for us')
  t.equal(kubectlTarget({ ...args, kubeconfig: undefined }, io({})).kubeconfig, undefined, 'none given: kubectl finds its own')
})

t.test('the namespace for objects that name none: --namespace, else Helm’s HELM_NAMESPACE, else none', async (t) => {
  const args = { ...global, kubectl: 'kc' }
  const helm = { HELM_PLUGIN_NAME: 'pharos-net', HELM_NAMESPACE: 'helm-ns' }
  t.equal(kubectlTarget(args, io(helm)).namespace, 'helm-ns')
  t.equal(kubectlTarget({ ...args, namespace: 'mine' }, io(helm)).namespace, 'mine')
  t.equal(kubectlTarget(args, io({ ...helm, HELM_NAMESPACE: '' })).namespace, undefined, 'an empty HELM_NAMESPACE is none')
  t.equal(kubectlTarget(args, io({ HELM_NAMESPACE: 'helm-ns' })).namespace, undefined, 'not under Helm: none')
  t.equal(kubectlTarget(args, io({})).namespace, undefined, 'none: kubectl’s own default (the context’s)')
})

t.test('limits: defaults, then the environment, then the flags', async (t) => {
  t.strictSame(limitsOf({ ...global, limit: [] }, io({})), DEFAULT_LIMITS)
  t.equal(limitsOf({ ...global, limit: ['file-size=2KiB'] }, io({ PHAROS_NET_LIMITS: 'file-size=1KiB' }))['file-size'], 2048)
  t.equal(limitsOf({ ...global, limit: [] }, io({ PHAROS_NET_LIMITS: 'file-size=1KiB' }))['file-size'], 1024)
})
