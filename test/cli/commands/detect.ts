/** detect through the CLI in-process: Argo CD's discovery protocol, a path on stdout or silence, exit 0. */
import t from 'tap'
import { runCli } from '../../helpers/cli.js'

const custom = 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n'

t.test('prints the config file relative to the current folder, or nothing', async (t) => {
  const dir = t.testdir({ 'cluster.yml': custom, 'weave.yml': 'network:\n  provider: weave\n', clusters: { 'prod.yml': custom } })
  t.same(await runCli(['detect'], { cwd: dir }), { code: 0, stdout: 'cluster.yml\n', stderr: '' })
  t.same(await runCli(['detect', '-c', 'weave.yml'], { cwd: dir }), { code: 0, stdout: '', stderr: '' })
  t.same(await runCli(['detect', '-c', 'clusters/prod.yml'], { cwd: dir }), { code: 0, stdout: 'clusters/prod.yml\n', stderr: '' })
  t.same(await runCli(['detect'], { cwd: `${dir}/clusters` }), { code: 0, stdout: '', stderr: '' }, 'no cluster.yml')
})

t.test('--argocd reads ARGOCD_ENV_CLUSTER_CONFIG, -c wins, and nothing is read without --argocd', async (t) => {
  const dir = t.testdir({ 'cluster.yml': 'network:\n  provider: weave\n', 'prod.yml': custom, 'stage.yml': custom })
  const env = { ARGOCD_ENV_CLUSTER_CONFIG: 'prod.yml', ARGOCD_ENV_UPGRADE_APIS: 'not read by detect' }
  t.equal((await runCli(['detect', '--argocd'], { cwd: dir, env })).stdout, 'prod.yml\n')
  t.equal((await runCli(['detect', '--argocd', '-c', 'stage.yml'], { cwd: dir, env })).stdout, 'stage.yml\n')
  t.equal((await runCli(['detect'], { cwd: dir, env })).stdout, '')
  const outside = await runCli(['detect', '--argocd'], { cwd: dir, env: { ARGOCD_ENV_CLUSTER_CONFIG: '../prod.yml' } })
  t.equal(outside.code, 2)
  t.equal(outside.stdout, '')
  t.match(outside.stderr, /^error: ARGOCD_ENV_CLUSTER_CONFIG must name a file inside the application folder/)
})

t.test('cluster.yml.erb sees what --allow-env allows, as render does', async (t) => {
  const dir = t.testdir({ 'cluster.yml.erb': "network:\n  provider: <%= ENV['ARGOCD_ENV_NETWORK'] %>\n" })
  const env = { ARGOCD_ENV_NETWORK: 'weave' }
  t.equal((await runCli(['detect', '--allow-env', 'ARGOCD_ENV_NETWORK'], { cwd: dir, env })).stdout, '')
  t.equal((await runCli(['detect', '--allow-env', 'ARGOCD_ENV_*'], { cwd: dir, env: { ARGOCD_ENV_NETWORK: 'custom' } })).stdout, 'cluster.yml.erb\n')
  t.equal((await runCli(['detect'], { cwd: dir, env })).stdout, 'cluster.yml.erb\n', 'ENV not allowed: claimed, render says why')
})
