import t from 'tap'
import { argocdConfig, argocdSettings, unknownSettingsWarning } from '../../src/cli/argocd.js'
import { UsageError } from '../../src/errors.js'

const cwd = '/repo/clusters/eu-1'

t.test('the settings come from ARGOCD_ENV_<NAME>; empty is unset; other variables are not read', async (t) => {
  t.same(argocdSettings({}, cwd), { config: undefined, upgradeApis: undefined, dropRemoved: undefined, kubernetesVersion: undefined, unknown: [] })
  t.same(
    argocdSettings({
      ARGOCD_ENV_CLUSTER_CONFIG: 'prod.yml',
      ARGOCD_ENV_UPGRADE_APIS: 'true',
      ARGOCD_ENV_DROP_REMOVED: 'false',
      ARGOCD_ENV_KUBERNETES_VERSION: '1.32',
      CLUSTER_CONFIG: 'other.yml',
      UPGRADE_APIS: 'false',
      ARGOCD_APP_NAME: 'app',
    }, cwd),
    { config: 'prod.yml', upgradeApis: true, dropRemoved: false, kubernetesVersion: '1.32', unknown: [] },
  )
  t.same(argocdSettings({ ARGOCD_ENV_CLUSTER_CONFIG: '', ARGOCD_ENV_UPGRADE_APIS: '' }, cwd), {
    config: undefined, upgradeApis: undefined, dropRemoved: undefined, kubernetesVersion: undefined, unknown: [],
  })
})

t.test('unknown ARGOCD_ENV_ names are listed, sorted, unless cluster.yml.erb may read them', async (t) => {
  const env = { ARGOCD_ENV_UPGRADE_API: 'true', ARGOCD_ENV_REGION: 'eu', ARGOCD_ENV_CIDR: 'x' }
  t.same(argocdSettings(env, cwd).unknown, ['ARGOCD_ENV_CIDR', 'ARGOCD_ENV_REGION', 'ARGOCD_ENV_UPGRADE_API'])
  t.same(argocdSettings(env, cwd, ['ARGOCD_ENV_REGION', 'ARGOCD_ENV_C*']).unknown, ['ARGOCD_ENV_UPGRADE_API'])
  t.equal(unknownSettingsWarning(['ARGOCD_ENV_A']), 'ARGOCD_ENV_A is not read by kubectl-pharos-net (it reads CLUSTER_CONFIG, UPGRADE_APIS, DROP_REMOVED, KUBERNETES_VERSION from plugin.env)')
  t.match(unknownSettingsWarning(['ARGOCD_ENV_A', 'ARGOCD_ENV_B']), /^ARGOCD_ENV_A, ARGOCD_ENV_B are not read/)
})

t.test('a boolean is true or false, nothing else', async (t) => {
  for (const value of ['yes', 'True', '1', ' true']) {
    t.throws(() => argocdSettings({ ARGOCD_ENV_DROP_REMOVED: value }, cwd), {
      constructor: UsageError,
      message: `ARGOCD_ENV_DROP_REMOVED must be true or false, not ${JSON.stringify(value)}`,
      hint: 'set DROP_REMOVED to "true" or "false" in the Application\'s spec.source.plugin.env',
    }, value)
  }
})

t.test('the config file stays inside the application folder', async (t) => {
  for (const inside of ['cluster.yml', './prod.yml', 'clusters/../prod.yml', 'sub/dir/c.yml']) t.equal(argocdConfig({ ARGOCD_ENV_CLUSTER_CONFIG: inside }, cwd), inside)
  for (const outside of ['../cluster.yml', '/etc/passwd', '/repo/clusters/eu-1/cluster.yml', '.', 'sub/../..', '../eu-1x/c.yml']) {
    t.throws(() => argocdConfig({ ARGOCD_ENV_CLUSTER_CONFIG: outside }, cwd), {
      constructor: UsageError,
      message: `ARGOCD_ENV_CLUSTER_CONFIG must name a file inside the application folder, not ${JSON.stringify(outside)}`,
      hint: /relative to the Application's spec\.source\.path/,
    }, outside)
  }
  t.equal(argocdConfig({}, cwd), undefined)
})
