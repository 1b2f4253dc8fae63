import t, { type Test } from 'tap'
import { join } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import { collectBundleSchemas, type BundleSchemaSources } from '../../src/bundle/schemas.js'
import { UsageError } from '../../src/errors.js'
import { configMap, daemonSet, documentsOf } from '../helpers/bundle.js'

const V = 'v1.32.13'
const STRICT = `${V}-standalone-strict`
const LOOSE = `${V}-standalone`

/** A schema that says where it came from, so a test can tell which source a file was taken from. */
const marked = (from: string) => JSON.stringify({ type: 'object', description: from })

const ipPoolCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ippools.crd.projectcalico.org
spec:
  group: crd.projectcalico.org
  names:
    kind: IPPool
    plural: ippools
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                cidr:
                  type: string
`
const ipPool = 'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: default\nspec:\n  cidr: 10.32.0.0/12\n'

const documents = documentsOf({
  '01-crd.yml': ipPoolCrd,
  '02-config.yml': `${configMap('a')}---\n${configMap('b')}`,
  '03-ds.yml': daemonSet('cni', ['busybox:1.36']),
  '04-pool.yml': ipPool,
})

/** A schema folder with both flavours of the set's built-in kinds, and kinds the set does not use. */
function schemaFolder(t: Test, extra: Record<string, unknown> = {}) {
  const kinds = ['configmap-v1.json', 'daemonset-apps-v1.json', 'customresourcedefinition-apiextensions-v1.json', 'secret-v1.json', 'pod-v1.json']
  const flavour = (name: string) => Object.fromEntries(kinds.map((k) => [k, marked(`${name}/${k}`)]))
  return t.testdir({ schemas: { [STRICT]: flavour(STRICT), [LOOSE]: flavour(LOOSE), 'v1.31.0-standalone-strict': flavour('old') }, ...extra })
}

const collect = (sources: Partial<BundleSchemaSources>) => collectBundleSchemas({ documents, kubernetesVersion: '1.32.13', locations: [], ...sources })

t.test('exactly the files the set needs, in both flavours, sorted', async (t) => {
  const dir = schemaFolder(t)
  const set = await collect({ locations: [join(dir, 'schemas')] })
  // `-strict/` sorts before `/`: '-' is 0x2d, '/' 0x2f.
  t.same([...set.files.keys()], [
    `${STRICT}/configmap-v1.json`,
    `${STRICT}/customresourcedefinition-apiextensions-v1.json`,
    `${STRICT}/daemonset-apps-v1.json`,
    `${STRICT}/ippool-crd-v1.json`,
    `${LOOSE}/configmap-v1.json`,
    `${LOOSE}/customresourcedefinition-apiextensions-v1.json`,
    `${LOOSE}/daemonset-apps-v1.json`,
    `${LOOSE}/ippool-crd-v1.json`,
  ])
  t.same(set.files.get(`${STRICT}/configmap-v1.json`), { type: 'object', description: `${STRICT}/configmap-v1.json` }, 'the strict file is the strict one')
  t.same(set.files.get(`${LOOSE}/configmap-v1.json`), { type: 'object', description: `${LOOSE}/configmap-v1.json` })
  t.same((await collect({ locations: [join(dir, 'schemas')], kubernetesVersion: 'v1.32.13' })).files, set.files, 'the version with a v')
})

t.test("the set's CRDs give their kinds' schemas", async (t) => {
  const set = await collect({ locations: [join(schemaFolder(t), 'schemas')] })
  const strict = set.files.get(`${STRICT}/ippool-crd-v1.json`) as any
  t.same(strict.properties.kind, { type: 'string', enum: ['IPPool'] })
  t.same(strict.properties.spec.properties.cidr.type, ['string', 'null'], "the CRD's field, optional")
  t.equal(strict.additionalProperties, false, 'strict')
  t.equal((set.files.get(`${LOOSE}/ippool-crd-v1.json`) as any).additionalProperties, undefined, 'and loose')
})

t.test('generated schemas win over a location; among locations the first that has the file', async (t) => {
  const dir = schemaFolder(t, {
    first: { [STRICT]: { 'configmap-v1.json': marked('first'), 'ippool-crd-v1.json': marked('stale copy of the CRD') } },
  })
  const locations = [join(dir, 'first'), join(dir, 'schemas')]
  const set = await collect({ locations })
  t.same(set.files.get(`${STRICT}/configmap-v1.json`), { type: 'object', description: 'first' }, 'the first location')
  t.same(set.files.get(`${LOOSE}/configmap-v1.json`), { type: 'object', description: `${LOOSE}/configmap-v1.json` }, 'each flavour on its own')
  t.not((set.files.get(`${STRICT}/ippool-crd-v1.json`) as any).description, 'stale copy of the CRD', "the set's CRD, not a file")
  const openapi = {
    definitions: {
      'io.k8s.api.core.v1.ConfigMap': {
        type: 'object',
        description: 'from the cluster',
        properties: { data: { type: 'object', additionalProperties: { type: 'string' } } },
        'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
      },
    },
  }
  const fromCluster = await collect({ locations, openapi })
  t.equal((fromCluster.files.get(`${STRICT}/configmap-v1.json`) as any).description, 'from the cluster', "the cluster's OpenAPI")
  t.equal((fromCluster.files.get(`${LOOSE}/configmap-v1.json`) as any).description, 'from the cluster')
  t.same(fromCluster.files.get(`${STRICT}/daemonset-apps-v1.json`), { type: 'object', description: `${STRICT}/daemonset-apps-v1.json` }, 'a kind it lacks from the folder')
})

t.test('the OpenAPI document alone, with no location, is enough for what it has', async (t) => {
  const only = documentsOf({ '01.yml': configMap('a') })
  const openapi = { definitions: { 'io.k8s.api.core.v1.ConfigMap': { type: 'object', 'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }] } } }
  const set = await collect({ documents: only, openapi })
  t.same([...set.files.keys()], [`${STRICT}/configmap-v1.json`, `${LOOSE}/configmap-v1.json`])
})

t.test('a kind without a strict schema is an error naming every such kind', async (t) => {
  const dir = t.testdir({ schemas: { [STRICT]: { 'configmap-v1.json': marked('cm') }, [LOOSE]: { 'daemonset-apps-v1.json': marked('loose only') } } })
  const error = (await collect({ locations: [join(dir, 'schemas')] }).catch((e: unknown) => e)) as UsageError
  t.type(error, UsageError)
  t.equal(error.exitCode, 2)
  t.equal(
    error.message,
    `no schema for CustomResourceDefinition (apiextensions.k8s.io/v1), DaemonSet (apps/v1) in Kubernetes ${V}: the bundle could not be validated offline`,
    'a loose schema alone is not enough; the CRD-made kind is not missing',
  )
  t.match(error.hint, /--schema-location DIR.*--from-cluster/)
  t.match(error.hint, /a custom resource needs its CRD in the set/)
  const noCrd = documentsOf({ '01.yml': ipPool, '02.yml': configMap('a') })
  await t.rejects(collect({ documents: noCrd, locations: [join(dir, 'schemas')] }), { message: /^no schema for IPPool \(crd\.projectcalico\.org\/v1\) in / }, 'a custom resource without its CRD')
  await t.rejects(collect({ documents: noCrd, locations: [join(dir, 'schemas')], kubernetesVersion: 'master' }), { message: / in Kubernetes master: / })
})

t.test('a loose schema may be missing where the strict one is there', async (t) => {
  const dir = t.testdir({ schemas: { [STRICT]: { 'configmap-v1.json': marked('cm') } } })
  const set = await collect({ documents: documentsOf({ '01.yml': configMap('a') }), locations: [join(dir, 'schemas')] })
  t.same([...set.files.keys()], [`${STRICT}/configmap-v1.json`])
})

t.test('schema files are checked as validate checks them', async (t) => {
  const dir = t.testdir({
    remote: { [STRICT]: { 'configmap-v1.json': JSON.stringify({ type: 'object', properties: { data: { $ref: 'https://example.com/x.json' } } }) } },
    broken: { [STRICT]: { 'configmap-v1.json': '{"type": "object",' } },
  })
  const only = documentsOf({ '01.yml': configMap('a') })
  await t.rejects(collect({ documents: only, locations: [join(dir, 'remote')] }), {
    constructor: UsageError,
    message: /^schema file .*\/remote\/v1\.32\.13-standalone-strict\/configmap-v1\.json refers outside itself: \$ref "https:\/\/example\.com\/x\.json"/,
    hint: /--allow-external-refs/,
  })
  const allowed = await collect({ documents: only, locations: [join(dir, 'remote')], allowExternalRefs: true })
  t.same([...allowed.files.keys()], [`${STRICT}/configmap-v1.json`], 'allowed: taken as it is')
  const loose = join(dir, 'loose')
  await mkdir(join(loose, STRICT), { recursive: true })
  await mkdir(join(loose, 'v1.32.13-standalone'), { recursive: true })
  await writeFile(join(loose, STRICT, 'configmap-v1.json'), JSON.stringify({ type: 'object' }))
  await writeFile(join(loose, 'v1.32.13-standalone', 'configmap-v1.json'), JSON.stringify({ type: 'object', properties: { data: { $ref: '/etc/x.json' } } }))
  await t.rejects(collect({ documents: only, locations: [loose] }), {
    constructor: UsageError,
    message: /^schema file .*\/loose\/v1\.32\.13-standalone\/configmap-v1\.json refers outside itself: \$ref "\/etc\/x\.json"/,
  }, 'the loose flavour, which the bundle carries too, is checked as well')
  await t.rejects(collect({ documents: only, locations: [join(dir, 'broken')] }), {
    constructor: UsageError,
    message: `schema file ${join(dir, 'broken', STRICT, 'configmap-v1.json')} is not JSON`,
    file: join(dir, 'broken', STRICT, 'configmap-v1.json'),
  })
  await t.rejects(collect({ documents: only, locations: [join(dir, 'missing')] }), { constructor: UsageError, message: `schema location ${join(dir, 'missing')} does not exist` })
  await t.rejects(collect({ documents: only, kubernetesVersion: 'latest' }), { constructor: UsageError, message: "invalid Kubernetes version 'latest'" })
})
