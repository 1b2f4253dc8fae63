/**
 * The static preflight end to end: every corpus manifest rendered with a cluster.yml that agrees with its
 * network (no finding) and with one that does not (the finding, at the line that sets the network), through
 * the built tool, kubectl and the real kubeconform.
 */
import t from 'tap'
import { cp, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CORPUS_POD_NETWORKS, corpusCluster, corpusMissing } from '../helpers/corpus.js'
import { corpusDir, repoRoot } from '../helpers/paths.js'
import { testSchemaDir } from '../helpers/schemas.js'
import { pharosNet } from '../helpers/tool.js'

interface NetworkJson {
  summary: { network: number }
  network: Array<{ check: string; file: string; rendered: boolean; line: number; templateLine: number | null; expected: string; found: string; message: string; hint: string }>
}

/** The line that sets each corpus manifest's pod network, and which check reads it. */
const HARDCODED: Readonly<Record<string, { check: string; line: number; found: string }>> = {
  canal: { check: 'flannel', line: 100, found: '10.244.0.0/16' },
  flannel: { check: 'flannel', line: 93, found: '10.244.0.0/16' },
  'flannel-legacy': { check: 'flannel', line: 21, found: '10.244.0.0/16' },
  'flannel-legacy-2019': { check: 'flannel', line: 127, found: '10.244.0.0/16' },
  // IPALLOC_RANGE is unset: Weave's default, reported at the weave container.
  weave: { check: 'weave', line: 143, found: '10.32.0.0/12' },
}

t.test('every corpus file: clean with its own network, the finding at its line with another', { skip: corpusMissing() }, async (t) => {
  const schemas = await testSchemaDir()
  const folders = (await readdir(corpusDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  t.ok(folders.length > 0, `corpus folders in ${corpusDir}`)
  for (const folder of folders) {
    t.test(folder, async (t) => {
      const clean = await corpusCluster(t.testdir({}), folder)
      const own = await pharosNet(['validate', '-c', clean.config, '--schema-location', schemas, '-o', 'json'])
      t.same((JSON.parse(own.stdout) as NetworkJson).network, [], `${CORPUS_POD_NETWORKS[folder] ?? 'the default network'}: no finding`)

      const hardcoded = HARDCODED[folder]
      // 10.0.0.0/16 agrees with none of the corpus' networks and overlaps no default.
      const other = await corpusCluster(t.testdir({}), folder, '10.0.0.0/16')
      const run = await pharosNet(['validate', '-c', other.config, '--schema-location', schemas, '-o', 'json'])
      const report = JSON.parse(run.stdout) as NetworkJson
      if (!hardcoded) {
        // Calico (CALICO_IPV4POOL_CIDR commented out), kube-router, Antrea (serviceCIDR ""), Multus: nothing set.
        t.same(report.network, [], 'the manifest sets no network: nothing to disagree with')
        return
      }
      t.equal(run.exitCode, 1, 'a network finding fails validate')
      t.equal(report.summary.network, 1)
      t.match(report.network, [{
        check: hardcoded.check,
        rendered: false,
        line: hardcoded.line,
        expected: '10.0.0.0/16',
        found: hardcoded.found,
        hint: `set network.pod_network_cidr: ${hardcoded.found} in cluster.yml, or ${hardcoded.check === 'weave' ? 'set IPALLOC_RANGE to' : 'write net-conf.json Network as'} 10.0.0.0/16`,
      }])
      t.equal(join(repoRoot, report.network[0]?.file ?? ''), other.manifest, 'the manifest, relative to where the tool ran')
      const manifestLine = (await readFile(other.manifest, 'utf8')).split('\n')[hardcoded.line - 1] ?? ''
      t.match(manifestLine, hardcoded.check === 'weave' ? /- name: weave$/ : hardcoded.found, 'the line sets it')
    })
  }
})

t.test('render warns at the line and still writes; validate reports in text and JUnit', { skip: corpusMissing() }, async (t) => {
  const dir = t.testdir({})
  await corpusCluster(dir, 'flannel', '10.32.0.0/12')
  const render = await pharosNet(['render', '-o', 'out'], { cwd: dir })
  t.equal(render.exitCode, 0, 'render is a build step: it warns')
  t.match(render.stderr, /^net\/kube-flannel\.yml:93: warning: ConfigMap kube-flannel\/kube-flannel-cfg: net-conf\.json Network is 10\.244\.0\.0\/16 but pod_network_cidr is 10\.32\.0\.0\/12$/m)
  t.match(render.stderr, /^ {2}hint: set network\.pod_network_cidr: 10\.244\.0\.0\/16 in cluster\.yml, or write net-conf\.json Network as 10\.32\.0\.0\/12$/m)
  t.ok((await readdir(join(dir, 'out'))).includes('kustomization.yaml'), 'the output is written')

  const schemas = await testSchemaDir()
  const text = await pharosNet(['validate', '--schema-location', schemas], { cwd: dir })
  t.equal(text.exitCode, 1)
  t.match(text.stdout, /^net\/kube-flannel\.yml:93: error: ConfigMap kube-flannel\/kube-flannel-cfg: net-conf\.json Network is 10\.244\.0\.0\/16 but pod_network_cidr is 10\.32\.0\.0\/12$/m)
  t.match(text.stdout, /, 1 network mismatches \(Kubernetes /)
  const junit = await pharosNet(['validate', '--schema-location', schemas, '-o', 'junit'], { cwd: dir })
  t.equal(junit.exitCode, 1)
  t.match(junit.stdout, /<testsuite name="network" tests="1" failures="1" errors="0" skipped="0">\n {4}<testcase classname="network" name="flannel: net\/kube-flannel\.yml:93">\n {6}<failure message="ConfigMap kube-flannel\/kube-flannel-cfg: net-conf\.json Network is 10\.244\.0\.0\/16 but pod_network_cidr is 10\.32\.0\.0\/12" type="network">/)

  const path = await pharosNet(['validate', 'out', '--schema-location', schemas, '-o', 'json'], { cwd: dir })
  t.notOk('network' in (JSON.parse(path.stdout) as object), 'a rendered folder has no cluster.yml: no static check, no field')
})

t.test('an ERB template with a literal network: the template line, and the expression that fixes it', async (t) => {
  const template = (await readFile(join(repoRoot, 'examples/flannel/flannel/04-config-map.yml.erb'), 'utf8'))
    .replace('<%= cluster_config.network.pod_network_cidr %>', '10.244.0.0/16')
  const dir = t.testdir({ 'cluster.yml': 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n', net: { 'cfg.yml.erb': template } })
  const render = await pharosNet(['render'], { cwd: dir })
  t.equal(render.exitCode, 0)
  const templateLine = template.split('\n').findIndex((l) => l.includes('10.244.0.0/16')) + 1
  t.match(render.stderr, new RegExp(`^net/cfg\\.yml\\.erb:${templateLine}: warning: .*net-conf\\.json Network is 10\\.244\\.0\\.0/16 but pod_network_cidr is 10\\.32\\.0\\.0/12 \\(line \\d+ of the rendered output\\)$`, 'm'))
  t.match(render.stderr, '  hint: write net-conf.json Network as `<%= cluster_config.network.pod_network_cidr %>`')
})

t.test('the spec\'s ERB example is never flagged, whatever pod_network_cidr says', async (t) => {
  for (const cidr of ['172.31.0.0/16', '10.0.0.0/8', 'fd00:10:244::/56']) {
    const dir = t.testdir({})
    await cp(join(repoRoot, 'examples/flannel'), dir, { recursive: true })
    const config = join(dir, 'cluster.yml')
    await writeFile(config, (await readFile(config, 'utf8')).replace('172.31.0.0/16', cidr))
    const render = await pharosNet(['render', '-c', config])
    t.equal(render.exitCode, 0, cidr)
    t.notMatch(render.stderr, /net-conf\.json/, `${cidr}: no warning`)
  }
})
