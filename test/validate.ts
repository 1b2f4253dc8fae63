/**
 * validate's mapping of kubeconform's results, with a stand-in kubeconform that prints a recorded report
 * (unit tests may use fakes; test/e2e/validate.ts runs the real one).
 */
import t from 'tap'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { checkDocuments } from '../src/documents.js'
import { resolveKubernetesVersion, validateManifests } from '../src/validate.js'
import { fakeKubeconform } from './helpers/fake-kubeconform.js'

const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  annotations:
    example.com/a~b: x
data:
  key: 1
`

t.test('JSON-pointer paths are unescaped (~1 is /, ~0 is ~) and point at their lines', async (t) => {
  const dir = t.testdir({})
  const kubeconform = await fakeKubeconform(dir, 'statusInvalid', [
    { path: '/metadata/annotations/example.com~1a~0b', msg: 'bad annotation' },
    { path: '/data/key', msg: 'expected string, but got number' },
  ])
  const documents = checkDocuments([{ source: { path: '/s/c.yml', name: 'c.yml', outputName: 'c.yml', engine: 'plain', text }, text }])
  const report = await validateManifests({ documents, removedApis: [], kubernetesVersion: '1.32.0', schemaLocations: [], kubeconform, tmpDir: dir })
  t.same(report.resources[0]?.errors, [
    { path: 'metadata.annotations.example.com/a~b', message: 'bad annotation', line: 6 },
    { path: 'data.key', message: 'expected string, but got number', line: 8 },
  ])
  t.equal(report.summary.invalid, 1)
})

t.test('the Kubernetes version: as given, else the one schema folder version, else master', async (t) => {
  const root = t.testdir({
    one: { 'v1.31.4-standalone-strict': {}, 'v1.31.4-standalone': {} },
    two: { 'v1.31.4-standalone-strict': {}, 'v1.32.1-standalone-strict': {} },
  })
  const [one, two] = [join(root, 'one'), join(root, 'two')]
  t.equal(await resolveKubernetesVersion('1.30', [one]), '1.30.0')
  t.equal(await resolveKubernetesVersion(undefined, [one]), '1.31.4')
  t.equal(await resolveKubernetesVersion(undefined, [two]), 'master', 'several versions: none is chosen for the user')
  t.equal(await resolveKubernetesVersion(undefined, [one, two]), 'master')
  t.equal(await resolveKubernetesVersion(undefined, []), 'master')
  await mkdir(join(two, 'unrelated'))
  t.equal(await resolveKubernetesVersion(undefined, ['https://example.com/schemas']), 'master', 'a URL is not read')
})
