import t from 'tap'
import { formatPreflightJson, formatPreflightJunit, formatPreflightText } from '../../src/cli/preflight-report.js'
import type { PreflightReport } from '../../src/preflight/live.js'

const report: PreflightReport = {
  checks: ['flannel-network', 'node-pod-cidr'],
  foreignCni: [],
  findings: [
    // A static finding (file and line), as the render checks will add them to the same list.
    { check: 'flannel-network', severity: 'error', object: 'ConfigMap kube-system/kube-flannel-cfg', field: 'data["net-conf.json"].Network',
      message: 'is 10.244.0.0/16 but pod_network_cidr is 10.32.0.0/12 <&>', file: '/p/out/04.yml', line: 12 },
    { check: 'node-pod-cidr', severity: 'warning', object: 'Nodes', message: 'not checked: user ci may not list nodes\x1b[2J', hint: 'grant list nodes' },
  ],
}

t.test('text: place, severity, object, field; terminal controls escaped; the summary', async (t) => {
  t.equal(formatPreflightText(report, '/p'), [
    'out/04.yml:12: error: ConfigMap kube-system/kube-flannel-cfg: data["net-conf.json"].Network: is 10.244.0.0/16 but pod_network_cidr is 10.32.0.0/12 <&>',
    'warning: Nodes: not checked: user ci may not list nodes\\x1b[2J',
    '  hint: grant list nodes',
    '2 checks: 1 errors, 1 warnings', '',
  ].join('\n'))
})

t.test('json: every key present, null where there is nothing', async (t) => {
  const parsed = JSON.parse(formatPreflightJson(report, '/p'))
  t.same(parsed.summary, { checks: 2, errors: 1, warnings: 1 })
  t.same(parsed.findings[0], {
    check: 'flannel-network', severity: 'error', object: 'ConfigMap kube-system/kube-flannel-cfg', field: 'data["net-conf.json"].Network',
    message: 'is 10.244.0.0/16 but pod_network_cidr is 10.32.0.0/12 <&>', hint: null, file: 'out/04.yml', line: 12,
  })
  t.same(parsed.findings[1].field, null)
})

t.test('junit: a failed case per check with errors, skipped for a check that could not be read; XML escaped', async (t) => {
  const xml = formatPreflightJunit(report, '/p')
  t.match(xml, '<testsuites name="kubectl-pharos-net preflight" tests="2" failures="1" errors="0" skipped="1">')
  t.match(xml, /<testcase classname="preflight" name="flannel-network">\n {6}<failure message="ConfigMap kube-system\/kube-flannel-cfg: is 10\.244\.0\.0\/16 but pod_network_cidr is 10\.32\.0\.0\/12 &lt;&amp;&gt;" type="flannel-network">out\/04\.yml:12: error: /)
  t.match(xml, '<skipped message="not checked: user ci may not list nodes\\u001b[2J"/>')
  t.notMatch(xml, '\x1b')
})
