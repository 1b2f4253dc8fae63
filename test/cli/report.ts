import t from 'tap'
import { XMLValidator } from 'fast-xml-parser'
import { displayPath, formatDiagnostic, formatValidationJson, formatValidationJunit, formatValidationText, printable } from '../../src/cli/report.js'
import type { ValidationReport } from '../../src/validate.js'

const report: ValidationReport = {
  kubernetesVersion: '1.32.13',
  summary: { resources: 3, valid: 1, invalid: 1, errors: 0, skipped: 0, removedApis: 1 },
  resources: [
    { file: '/w/net/01-a.yml', rendered: false, documentIndex: 0, line: 1, apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'ns', status: 'valid', errors: [] },
    { file: '/w/net/02-b.yml.liquid', rendered: true, documentIndex: 0, line: 1, apiVersion: 'apps/v1', kind: 'Deployment', name: 'b', namespace: 'ns', status: 'invalid', errors: [{ path: 'spec.replicas', message: 'expected integer, but got string', line: 7 }] },
    { file: '/w/net/03-c.yml', rendered: false, documentIndex: 1, line: 9, apiVersion: 'extensions/v1beta1', kind: 'DaemonSet', name: 'c', status: 'removed-api', errors: [{ path: '', message: 'extensions/v1beta1 was removed in Kubernetes 1.16; use apps/v1 <&>', line: 9 }], removedApi: { removedIn: '1.16', replacement: 'apps/v1' }, hint: 'render with --upgrade-apis' },
  ],
}

t.test('text: one clickable line per problem, template lines marked, a summary', async (t) => {
  t.equal(formatValidationText(report, '/w'), [
    'net/02-b.yml.liquid: error: Deployment ns/b: spec.replicas: expected integer, but got string (line 7 of the rendered output)',
    'net/03-c.yml:9: error: DaemonSet c: extensions/v1beta1 was removed in Kubernetes 1.16; use apps/v1 <&>',
    '  hint: render with --upgrade-apis',
    '3 resources: 1 valid, 1 invalid, 0 errors, 0 skipped, 1 removed APIs (Kubernetes 1.32.13)',
    '',
  ].join('\n'))
})

t.test('json: the documented shape, relative paths', async (t) => {
  const parsed = JSON.parse(formatValidationJson(report, '/w'))
  t.same(Object.keys(parsed), ['kubernetesVersion', 'summary', 'resources'])
  t.same(parsed.resources[1], {
    file: 'net/02-b.yml.liquid', rendered: true, document: 0, line: 1, apiVersion: 'apps/v1', kind: 'Deployment',
    namespace: 'ns', name: 'b', status: 'invalid', errors: [{ path: 'spec.replicas', message: 'expected integer, but got string', line: 7 }],
    removedApi: null, hint: null,
  })
  t.same(parsed.resources[2].removedApi, { removedIn: '1.16', replacement: 'apps/v1' })
})

t.test('junit: a suite per file, failures counted, XML escaped', async (t) => {
  const xml = formatValidationJunit(report, '/w')
  t.match(xml, '<testsuites name="kubectl-pharos-net validate" tests="3" failures="2" errors="0" skipped="0">')
  t.equal(xml.match(/<testsuite /g)?.length, 3)
  t.match(xml, '<failure message="extensions/v1beta1 was removed in Kubernetes 1.16; use apps/v1 &lt;&amp;&gt;" type="removed-api">')
  t.match(xml, '<testcase classname="net/01-a.yml" name="ConfigMap ns/a (v1)"/>')
})

t.test('diagnostics and paths', async (t) => {
  t.equal(displayPath('/w/a/b.yml', '/w'), 'a/b.yml')
  t.equal(displayPath('/x/y/z/a.yml', '/w/v/u/t'), '/x/y/z/a.yml', 'far away stays absolute')
  t.equal(formatDiagnostic({ severity: 'warning', message: 'm', file: '/w/c.yml', line: 3, col: 4, hint: 'h' }, '/w'), 'c.yml:3:4: warning: m\n  hint: h\n')
  t.equal(formatDiagnostic({ severity: 'error', message: 'm' }, '/w'), 'error: m\n')
})

t.test('manifest text reaches the terminal with its control characters escaped', async (t) => {
  const evil = 'a\u001b[2J\u0007b\u202ec\u009bd\ne'
  t.equal(printable(evil), 'a\\x1b[2J\\x07b\\u202ec\\x9bd\\x0ae')
  const text = formatDiagnostic({ severity: 'error', message: `bad ${evil}`, file: 'x.yml', line: 1, col: 1, frame: `> 1 | ${evil}`, hint: evil }, '/')
  t.notMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, 'only the newlines between lines remain')
  t.equal(text.split('\n').length, 4 + 1, 'a newline inside a value cannot fake a line of its own')
})

t.test('JUnit XML stays well-formed for any text', async (t) => {
  const name = `x<y>&"'\u0000\u0001\u001b\ud800z\ufffe`
  const report = {
    kubernetesVersion: '1.32.0',
    resources: [{ file: '/w/a.yml', rendered: false, documentIndex: 0, line: 1, apiVersion: 'v1', kind: 'ConfigMap', name, status: 'invalid' as const, errors: [{ path: 'data', message: name, line: 2 }] }],
    summary: { resources: 1, valid: 0, invalid: 1, errors: 0, skipped: 0, removedApis: 0 },
  }
  const xml = formatValidationJunit(report, '/w')
  t.equal(XMLValidator.validate(xml), true)
  t.match(xml, /x&lt;y&gt;&amp;&quot;&apos;\\u0000\\u0001\\u001b\\ud800z\\ufffe/)
})

/** Every status, several errors in one resource, a resource without errors, in two files. */
const everyStatus: ValidationReport = {
  kubernetesVersion: '1.32.0',
  summary: { resources: 5, valid: 1, invalid: 1, errors: 1, skipped: 1, removedApis: 1 },
  resources: [
    { file: '/w/a.yml', rendered: false, documentIndex: 0, line: 1, apiVersion: 'v1', kind: 'ConfigMap', name: 'ok', status: 'valid', errors: [] },
    { file: '/w/a.yml', rendered: false, documentIndex: 1, line: 5, apiVersion: 'v1', kind: 'ConfigMap', name: 'bad', status: 'invalid', errors: [
      { path: 'data.k', message: 'got number', line: 8 }, { path: '', message: 'whole object wrong', line: 5 }] },
    { file: '/w/b.yml', rendered: false, documentIndex: 0, line: 1, apiVersion: 'x/v1', kind: 'Gadget', name: 'g', status: 'error', errors: [{ path: '', message: 'no schema', line: 1 }], hint: 'get a schema' },
    { file: '/w/b.yml', rendered: false, documentIndex: 1, line: 4, apiVersion: 'y/v1', kind: 'Thing', name: 't', status: 'skipped', errors: [] },
    { file: '/w/b.yml', rendered: false, documentIndex: 2, line: 9, apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', name: 'p', status: 'removed-api',
      errors: [{ path: '', message: 'removed', line: 9 }], removedApi: { removedIn: '1.25' } },
  ],
}

t.test('text: every status, every error of a resource', async (t) => {
  t.equal(formatValidationText(everyStatus, '/w'), [
    'a.yml:8: error: ConfigMap bad: data.k: got number',
    'a.yml:5: error: ConfigMap bad: whole object wrong',
    'b.yml:1: error: Gadget g: no schema',
    '  hint: get a schema',
    'b.yml:4: note: Thing t: skipped',
    'b.yml:9: error: PodSecurityPolicy p: removed',
    '5 resources: 1 valid, 1 invalid, 1 errors, 1 skipped, 1 removed APIs (Kubernetes 1.32.0)',
    '',
  ].join('\n'))
})

t.test('junit: every status, word for word', async (t) => {
  t.equal(formatValidationJunit(everyStatus, '/w'), [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites name="kubectl-pharos-net validate" tests="5" failures="2" errors="1" skipped="1">',
    '  <testsuite name="a.yml" tests="2" failures="1" errors="0" skipped="0">',
    '    <testcase classname="a.yml" name="ConfigMap ok (v1)"/>',
    '    <testcase classname="a.yml" name="ConfigMap bad (v1)">',
    '      <failure message="got number" type="invalid">data.k: got number\nwhole object wrong</failure>',
    '    </testcase>',
    '  </testsuite>',
    '  <testsuite name="b.yml" tests="3" failures="1" errors="1" skipped="1">',
    '    <testcase classname="b.yml" name="Gadget g (x/v1)">',
    '      <error message="no schema" type="error">no schema</error>',
    '    </testcase>',
    '    <testcase classname="b.yml" name="Thing t (y/v1)">',
    '      <skipped/>',
    '    </testcase>',
    '    <testcase classname="b.yml" name="PodSecurityPolicy p (policy/v1beta1)">',
    '      <failure message="removed" type="removed-api">removed</failure>',
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n'))
  t.same(JSON.parse(formatValidationJson(everyStatus, '/w')).resources[4].removedApi, { removedIn: '1.25', replacement: null })
})

t.test('paths and places', async (t) => {
  t.equal(displayPath('/w', '/w'), '.')
  t.equal(displayPath('rel/a.yml', '/w'), 'rel/a.yml', 'a relative path is shown as given')
  t.equal(displayPath('/x/a.yml', '/w/v'), '../../x/a.yml', 'two levels up still reads as a path')
  t.equal(displayPath('/x/a.yml', '/w/v/u'), '/x/a.yml')
  t.equal(displayPath('/w/..a/b.yml', '/w'), '..a/b.yml', 'only whole .. segments count')
  t.equal(formatDiagnostic({ severity: 'error', message: 'm', file: '/w/c.yml', col: 4 }, '/w'), 'c.yml: error: m\n', 'a column without a line is left out')
  t.equal(formatDiagnostic({ severity: 'error', message: 'm', file: '/w/c.yml', line: 2 }, '/w'), 'c.yml:2: error: m\n')
  t.equal(printable('\u00ff\u0100\u2066'), '\u00ff\u0100\\u2066', 'printable Latin-1 and beyond stay; isolates are escaped')
  t.equal(printable('\x7f\x80\x9f'), '\\x7f\\x80\\x9f')
})

t.test('network findings (validate -c): located lines in text, a JSON array and count, a JUnit suite', async (t) => {
  const withNetwork: ValidationReport = {
    ...report,
    network: [
      {
        check: 'flannel', file: '/w/net/cfg.yml.erb', rendered: true, line: 12, templateLine: 30, expected: '10.32.0.0/12', found: '10.244.0.0/16',
        message: 'ConfigMap kube-flannel/cfg: net-conf.json Network is 10.244.0.0/16 but pod_network_cidr is 10.32.0.0/12',
        hint: 'write net-conf.json Network as `<%= cluster_config.network.pod_network_cidr %>`',
      },
      {
        check: 'weave', file: '/w/net/weave.yml', rendered: false, line: 143, expected: '10.244.0.0/16', found: '10.32.0.0/12',
        message: 'DaemonSet kube-system/weave-net: IPALLOC_RANGE is unset, so weave uses 10.32.0.0/12, but pod_network_cidr is 10.244.0.0/16',
        hint: 'set network.pod_network_cidr: 10.32.0.0/12 in cluster.yml, or set IPALLOC_RANGE to 10.244.0.0/16',
      },
    ],
  }
  const text = formatValidationText(withNetwork, '/w').split('\n')
  t.same(text.slice(3), [
    'net/cfg.yml.erb:30: error: ConfigMap kube-flannel/cfg: net-conf.json Network is 10.244.0.0/16 but pod_network_cidr is 10.32.0.0/12 (line 12 of the rendered output)',
    '  hint: write net-conf.json Network as `<%= cluster_config.network.pod_network_cidr %>`',
    'net/weave.yml:143: error: DaemonSet kube-system/weave-net: IPALLOC_RANGE is unset, so weave uses 10.32.0.0/12, but pod_network_cidr is 10.244.0.0/16',
    '  hint: set network.pod_network_cidr: 10.32.0.0/12 in cluster.yml, or set IPALLOC_RANGE to 10.244.0.0/16',
    '3 resources: 1 valid, 1 invalid, 0 errors, 0 skipped, 1 removed APIs, 2 network mismatches (Kubernetes 1.32.13)',
    '',
  ])
  const parsed = JSON.parse(formatValidationJson(withNetwork, '/w'))
  t.same(Object.keys(parsed), ['kubernetesVersion', 'summary', 'resources', 'network'])
  t.same(parsed.summary, { ...report.summary, network: 2 })
  t.same(parsed.network[1], {
    check: 'weave', file: 'net/weave.yml', rendered: false, line: 143, templateLine: null, expected: '10.244.0.0/16', found: '10.32.0.0/12',
    message: withNetwork.network?.[1]?.message, hint: withNetwork.network?.[1]?.hint,
  })
  t.same(JSON.parse(formatValidationJson({ ...report, network: [] }, '/w')).network, [], 'checked and clean: an empty array')
  const xml = formatValidationJunit(withNetwork, '/w')
  t.equal(XMLValidator.validate(xml), true)
  t.match(xml, '<testsuites name="kubectl-pharos-net validate" tests="5" failures="4" errors="0" skipped="0">')
  t.match(xml, '<testsuite name="network" tests="2" failures="2" errors="0" skipped="0">\n    <testcase classname="network" name="flannel: net/cfg.yml.erb:30">')
  t.notMatch(formatValidationJunit({ ...report, network: [] }, '/w'), 'name="network"', 'no suite without findings')
})
