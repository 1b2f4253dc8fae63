import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import t from 'tap'
import { corpusMissing } from './helpers/corpus.js'
import { parse, parseAllDocuments } from 'yaml'
import { ConfigError, ManifestError, UsageError } from '../src/errors.js'
import {
  checkSchemaLocations,
  mergeSchemaSets,
  kubernetesRelease,
  normalizeKubernetesVersion,
  readOpenApiFile,
  schemasFromCrds,
  schemasFromOpenApi,
  writeSchemaSet,
  type SchemaSet,
} from '../src/schemas.js'
import { kubeconformSchemaFile } from '../src/schemas/locations.js'
import { schemaPath } from '../src/schemas/layout.js'
import { corpusDir, fixturesDir, toolsBinDir } from './helpers/paths.js'

const kubeconformBin = join(toolsBinDir, 'kubeconform')
const V = 'v1.32.13'
const STRICT = `${V}-standalone-strict`
const LOOSE = `${V}-standalone`

// A small OpenAPI v2 document with what the real one has: GVK lists, $refs with sibling descriptions,
// IntOrString, Quantity, a map, preserve-unknown-fields and a definition that contains itself.
const openapi = {
  definitions: {
    'io.k8s.api.core.v1.ConfigMap': {
      properties: {
        apiVersion: { type: 'string' },
        data: { additionalProperties: { type: 'string' }, type: 'object' },
        kind: { type: 'string' },
        metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: 'Standard metadata.' },
      },
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
    },
    'io.k8s.api.apps.v1.Deployment': {
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
        spec: { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec' },
      },
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
    },
    'io.k8s.api.apps.v1.DeploymentSpec': {
      properties: {
        maxSurge: { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
        cpu: { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' },
        replicas: { format: 'int32', type: 'integer' },
        selector: { type: 'string' },
        template: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
      },
      required: ['selector'],
      type: 'object',
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
      description: 'ObjectMeta is metadata.',
      properties: { labels: { additionalProperties: { type: 'string' }, type: 'object' }, name: { type: 'string' } },
      type: 'object',
    },
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { format: 'int-or-string', type: 'string' },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
    'io.k8s.api.rbac.v1.ClusterRole': {
      properties: { rules: { items: { $ref: '#/definitions/io.k8s.api.rbac.v1.PolicyRule' }, type: 'array' } },
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', version: 'v1' }],
    },
    'io.k8s.api.rbac.v1.PolicyRule': {
      properties: { verbs: { items: { type: 'string' }, type: 'array' } },
      required: ['verbs'],
      type: 'object',
    },
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition': {
      properties: { spec: { $ref: '#/definitions/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps' } },
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', version: 'v1' }],
    },
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': {
      properties: {
        properties: {
          additionalProperties: { $ref: '#/definitions/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps' },
          type: 'object',
        },
        type: { type: 'string' },
      },
      type: 'object',
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': {
      properties: { dryRun: { items: { type: 'string' }, type: 'array' } },
      type: 'object',
      'x-kubernetes-group-version-kind': [
        { group: '', kind: 'DeleteOptions', version: 'v1' },
        { group: 'networking.k8s.io', kind: 'DeleteOptions', version: 'v1beta1' },
        { group: 'apps', kind: 'DeleteOptions', version: '__internal' },
      ],
    },
  },
}

const objectMeta = {
  description: 'ObjectMeta is metadata.',
  properties: {
    labels: { additionalProperties: { type: 'string' }, type: ['object', 'null'] },
    name: { type: ['string', 'null'] },
  },
  type: 'object',
}

const strictOf = (set: SchemaSet, file: string) => set.files.get(`${STRICT}/${file}`) as Record<string, any>
const looseOf = (set: SchemaSet, file: string) => set.files.get(`${LOOSE}/${file}`) as Record<string, any>

t.test('normalizeKubernetesVersion gives kubeconform folder names', async (t) => {
  t.equal(normalizeKubernetesVersion('1.33'), 'v1.33.0')
  t.equal(normalizeKubernetesVersion('v1.33'), 'v1.33.0')
  t.equal(normalizeKubernetesVersion('1.32.4'), 'v1.32.4')
  t.equal(normalizeKubernetesVersion('v1.32.4'), 'v1.32.4')
  t.equal(normalizeKubernetesVersion('master'), 'master')
  for (const bad of ['latest', '1', '1.32.4.1', 'v1.32.4-rc.1', '', 'vv1.32.4']) {
    const error = t.throws(() => normalizeKubernetesVersion(bad)) as UsageError
    t.type(error, UsageError, bad)
    t.equal(error.message, `invalid Kubernetes version '${bad}'`)
    t.match(error.hint, /X\.Y\.Z.*master/)
  }
})

t.test('kubernetesRelease reads the X.Y.Z a server or an OpenAPI document reports', async (t) => {
  t.equal(kubernetesRelease('v1.32.13'), '1.32.13')
  t.equal(kubernetesRelease('1.32.13'), '1.32.13')
  t.equal(kubernetesRelease('v1.30.4-gke.1348000'), '1.30.4', 'a provider suffix')
  t.equal(kubernetesRelease('v1.31.2+k3s1'), '1.31.2', 'build metadata')
  t.equal(kubernetesRelease(' v1.29.0\n'), '1.29.0')
  for (const none of ['', 'v1.32', 'unknown', 'master', 'vv1.32.4']) t.equal(kubernetesRelease(none), undefined, JSON.stringify(none))
})

t.test('an OpenAPI document gives one file per GVK, in both flavours', async (t) => {
  const set = schemasFromOpenApi(openapi, { kubernetesVersion: '1.32.13' })
  const names = ['clusterrole-rbac-v1.json', 'configmap-v1.json', 'customresourcedefinition-apiextensions-v1.json',
    'deleteoptions-networking-v1beta1.json', 'deleteoptions-v1.json', 'deployment-apps-v1.json']
  t.same([...set.files.keys()].sort(), [...names.map((n) => `${STRICT}/${n}`), ...names.map((n) => `${LOOSE}/${n}`)])
  t.same([...schemasFromOpenApi(openapi, { kubernetesVersion: V }).files.keys()], [...set.files.keys()], 'v prefix or not')
  t.ok(schemasFromOpenApi(openapi, { kubernetesVersion: 'master' }).files.has('master-standalone/clusterrole-rbac-v1.json'))
})

t.test('$refs are inlined, siblings of a $ref win, apiVersion and kind are pinned', async (t) => {
  const configMap = looseOf(schemasFromOpenApi(openapi, { kubernetesVersion: V }), 'configmap-v1.json')
  t.same(configMap, {
    properties: {
      apiVersion: { type: 'string', enum: ['v1'] },
      data: { additionalProperties: { type: 'string' }, type: ['object', 'null'] },
      kind: { type: 'string', enum: ['ConfigMap'] },
      metadata: { ...objectMeta, description: 'Standard metadata.', type: ['object', 'null'] },
    },
    type: 'object',
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
  })
  const rbac = looseOf(schemasFromOpenApi(openapi, { kubernetesVersion: V }), 'clusterrole-rbac-v1.json')
  t.same(rbac.properties.apiVersion, { type: 'string', enum: ['rbac.authorization.k8s.io/v1'] })
  t.same(rbac.properties.kind, { type: 'string', enum: ['ClusterRole'] }, 'added where the definition had none')
})

t.test('strict closes objects with properties, except maps and preserve-unknown-fields', async (t) => {
  const set = schemasFromOpenApi(openapi, { kubernetesVersion: V })
  const strict = strictOf(set, 'deployment-apps-v1.json')
  t.equal(strict.additionalProperties, false)
  t.equal(strict.properties.metadata.additionalProperties, false)
  t.same(strict.properties.metadata.properties.labels.additionalProperties, { type: 'string' }, 'a map keeps its value schema')
  t.equal(strict.properties.spec.additionalProperties, false)
  t.equal(strict.properties.spec.properties.template.additionalProperties, undefined, 'preserve-unknown-fields stays open')
  t.equal(strictOf(set, 'clusterrole-rbac-v1.json').properties.rules.items.additionalProperties, false, 'array items too')
  const loose = looseOf(set, 'deployment-apps-v1.json')
  t.equal(loose.additionalProperties, undefined)
  t.equal(loose.properties.spec.additionalProperties, undefined)
})

t.test('int-or-string, Quantity and optional fields accept what the API server accepts', async (t) => {
  const spec = strictOf(schemasFromOpenApi(openapi, { kubernetesVersion: V }), 'deployment-apps-v1.json').properties.spec
  t.same(spec.properties.maxSurge, { type: ['string', 'integer', 'null'] })
  t.same(spec.properties.cpu, { type: ['string', 'number', 'null'] })
  t.same(spec.properties.replicas, { format: 'int32', type: ['integer', 'null'] })
  t.same(spec.properties.selector, { type: 'string' }, 'a required field may not be null')
  t.same(strictOf(schemasFromOpenApi(openapi, { kubernetesVersion: V }), 'clusterrole-rbac-v1.json').properties.rules.items.properties.verbs, {
    items: { type: 'string' },
    type: 'array',
  })
})

t.test('a definition that contains itself is cut at its second appearance', async (t) => {
  const crd = strictOf(schemasFromOpenApi(openapi, { kubernetesVersion: V }), 'customresourcedefinition-apiextensions-v1.json')
  t.same(crd.properties.spec.properties.properties, { additionalProperties: {}, type: ['object', 'null'] })
  t.equal(crd.properties.spec.additionalProperties, false)
})

const calicoCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'ippools.crd.projectcalico.org' },
  spec: {
    group: 'crd.projectcalico.org',
    names: { kind: 'IPPool', plural: 'ippools' },
    scope: 'Cluster',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['cidr'],
                properties: {
                  cidr: { type: 'string' },
                  blockSize: { type: 'integer' },
                  port: { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
                  mode: { type: 'string', enum: ['Always', 'Never'], nullable: true },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
                  rules: { type: 'array', items: { type: 'object', properties: { action: { type: 'string' } } } },
                },
              },
            },
          },
        },
      },
      { name: 'v2', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      { name: 'v1beta1', served: true, storage: false },
    ],
  },
}

const legacyCrd = {
  apiVersion: 'apiextensions.k8s.io/v1beta1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'network-attachment-definitions.k8s.cni.cncf.io' },
  spec: {
    group: 'k8s.cni.cncf.io',
    version: 'v1',
    names: { kind: 'NetworkAttachmentDefinition' },
    validation: { openAPIV3Schema: { properties: { spec: { properties: { config: { type: 'string' } } } } } },
  },
}

t.test('CRDs give one file per served version, in both flavours', async (t) => {
  const set = schemasFromCrds([calicoCrd, legacyCrd, { kind: 'CustomResourceDefinition', spec: { names: { kind: 'NoGroup' } } }], {
    kubernetesVersion: '1.32.13',
  })
  t.same([...set.files.keys()].sort(), [
    `${STRICT}/ippool-crd-v1.json`,
    `${STRICT}/ippool-crd-v1beta1.json`,
    `${STRICT}/networkattachmentdefinition-k8s-v1.json`,
    `${LOOSE}/ippool-crd-v1.json`,
    `${LOOSE}/ippool-crd-v1beta1.json`,
    `${LOOSE}/networkattachmentdefinition-k8s-v1.json`,
  ])
})

t.test('a CRD schema: strict, int-or-string, nullable, type meta added', async (t) => {
  const set = schemasFromCrds([calicoCrd], { kubernetesVersion: V })
  const strict = strictOf(set, 'ippool-crd-v1.json')
  t.same(strict.properties.apiVersion, { type: 'string', enum: ['crd.projectcalico.org/v1'] })
  t.same(strict.properties.kind, { type: 'string', enum: ['IPPool'] })
  t.same(strict.properties.metadata, { type: 'object' })
  t.equal(strict.additionalProperties, false)
  const spec = strict.properties.spec
  t.equal(spec.additionalProperties, false)
  t.same(spec.properties.cidr, { type: 'string' })
  t.same(spec.properties.blockSize, { type: ['integer', 'null'] })
  t.same(spec.properties.port.type, ['string', 'integer', 'null'])
  t.same(spec.properties.mode, { type: ['string', 'null'], enum: ['Always', 'Never', null], nullable: true })
  t.equal(spec.properties.extra.additionalProperties, undefined, 'preserve-unknown-fields stays open')
  t.equal(spec.properties.rules.items.additionalProperties, false)
  t.equal(looseOf(set, 'ippool-crd-v1.json').properties.spec.additionalProperties, undefined)
})

t.test('a CRD version without a schema accepts any content', async (t) => {
  const schema = strictOf(schemasFromCrds([calicoCrd], { kubernetesVersion: V }), 'ippool-crd-v1beta1.json')
  t.same(schema, {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      metadata: { type: 'object' },
      apiVersion: { type: 'string', enum: ['crd.projectcalico.org/v1beta1'] },
      kind: { type: 'string', enum: ['IPPool'] },
    },
  })
})

t.test('a v1beta1 CRD uses spec.validation and spec.version, and keeps unknown fields unless told not to', async (t) => {
  const file = 'networkattachmentdefinition-k8s-v1.json'
  const open = strictOf(schemasFromCrds([legacyCrd], { kubernetesVersion: V }), file)
  t.equal(open.type, 'object')
  t.equal(open.additionalProperties, undefined, 'preserveUnknownFields defaults to true in v1beta1')
  t.same(open.properties.spec, { properties: { config: { type: ['string', 'null'] } } })
  t.same(open.properties.apiVersion, { type: 'string', enum: ['k8s.cni.cncf.io/v1'] })

  const pruning = { ...legacyCrd, spec: { ...legacyCrd.spec, preserveUnknownFields: false } }
  const closed = strictOf(schemasFromCrds([pruning], { kubernetesVersion: V }), file)
  t.equal(closed.additionalProperties, false)
  t.same(closed.properties.spec, { properties: { config: { type: ['string', 'null'] } }, additionalProperties: false })
})

t.test('allOf/anyOf/oneOf/not branches are neither closed nor made nullable', async (t) => {
  const branches = {
    anyOf: [{ properties: { a: { type: 'string' } }, required: ['x'] }],
    not: { properties: { b: { type: 'string' } } },
  }
  const crd = {
    spec: {
      group: 'example.com',
      names: { kind: 'Widget' },
      versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } }, ...branches } } } } }],
    },
  }
  const spec = strictOf(schemasFromCrds([crd], { kubernetesVersion: V }), 'widget-example-v1.json').properties.spec
  t.same(spec.anyOf, branches.anyOf)
  t.same(spec.not, branches.not)
  t.equal(spec.additionalProperties, false, 'the object beside them is closed')
  t.same(spec.properties.a, { type: ['string', 'null'] })
})

t.test('CRD metadata stays open, embedded resources and optional int-or-string fields are accepted', async (t) => {
  const crd = parse(await readFile(join(fixturesDir, 'schemas-crd', 'crd.yaml'), 'utf8')) as object
  const strict = strictOf(schemasFromCrds([crd], { kubernetesVersion: V }), 'widget-example-v1.json')
  t.same(strict.properties.metadata, { type: 'object', properties: { name: { type: ['string', 'null'], maxLength: 10 } } })
  t.same(strict.properties.spec.properties.port, { type: ['string', 'integer', 'null'], 'x-kubernetes-int-or-string': true })
  t.same(Object.keys(strict.properties.spec.properties.template.properties), ['apiVersion', 'kind', 'metadata', 'spec'])
  t.equal(strict.properties.spec.properties.template.additionalProperties, false)
})

t.test('a CRD whose names would be refused, or would escape the schema folder, is an error', async (t) => {
  const crd = (kind: string, group = 'example.com', version = 'v1') => ({
    metadata: { name: 'bad.example.com' },
    spec: { group, names: { kind }, versions: [{ name: version, served: true }] },
  })
  const cases: Array<[object, string]> = [
    [crd('../../etc/Passwd'), "kind '../../etc/Passwd'"],
    [crd('Widget', 'example.com', 'V1/..'), "version 'V1/..'"],
    [crd('Widget', 'Example..com'), "group 'Example..com'"],
  ]
  for (const [bad, part] of cases) {
    const error = t.throws(() => schemasFromCrds([bad], { kubernetesVersion: V })) as ManifestError
    t.type(error, ManifestError)
    t.equal(error.message, `CustomResourceDefinition bad.example.com has an invalid ${part}`)
    t.match(error.hint, /DNS labels/)
  }
  const good = [crd('X', 'x'), crd('Widget', 'a.b-c.example.com', 'v1beta1'), crd('Widget', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`)]
  t.equal(schemasFromCrds(good, { kubernetesVersion: V }).files.size, 6, 'one-letter kinds and groups, dashes inside, a group of 253 characters')
  for (const [bad, part] of [[crd('Widget', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`), 'group'], [crd('Widget', 'example.com.'), 'group'], [crd('Widget', 'example.com', 'v1-'), 'version']] as Array<[object, string]>) {
    t.throws(() => schemasFromCrds([bad], { kubernetesVersion: V }), { message: new RegExp(`has an invalid ${part} `) }, part)
  }
  const odd = { definitions: { X: { type: 'object', 'x-kubernetes-group-version-kind': [{ group: '', kind: 'a/b', version: 'v1' }] } } }
  const error = t.throws(() => schemasFromOpenApi(odd, { kubernetesVersion: V })) as ConfigError
  t.type(error, ConfigError)
  t.equal(error.message, "the OpenAPI definition X has an invalid kind 'a/b'")
})

t.test('mergeSchemaSets: the later set wins a path', async (t) => {
  const a: SchemaSet = { files: new Map([['x/a.json', { a: 1 }], ['x/b.json', { b: 1 }]]) }
  const b: SchemaSet = { files: new Map([['x/b.json', { b: 2 }]]) }
  t.same([...mergeSchemaSets(a, b).files], [['x/a.json', { a: 1 }], ['x/b.json', { b: 2 }]])
  t.equal(mergeSchemaSets().files.size, 0)
})

t.test('writeSchemaSet writes compact JSON with a final newline, key order kept', async (t) => {
  const dir = t.testdir({})
  const set: SchemaSet = { files: new Map([[`${STRICT}/x-v1.json`, { type: 'object', b: [{ z: 1, a: 2 }], a: null }], [`${LOOSE}/x-v1.json`, {}]]) }
  t.equal(await writeSchemaSet(set, join(dir, 'nested', 'schemas')), 2)
  t.equal(
    await readFile(join(dir, 'nested', 'schemas', STRICT, 'x-v1.json'), 'utf8'),
    '{"type":"object","b":[{"z":1,"a":2}],"a":null}\n',
  )
  t.equal(await readFile(join(dir, 'nested', 'schemas', LOOSE, 'x-v1.json'), 'utf8'), '{}\n')
  const again: SchemaSet = { files: new Map([[`${STRICT}/x-v1.json`, { type: 'string' }], [`${STRICT}/deeper/y-v1.json`, {}]]) }
  t.equal(await writeSchemaSet(again, join(dir, 'nested', 'schemas')), 2, 'into folders that exist, and ones that do not')
  t.equal(await readFile(join(dir, 'nested', 'schemas', STRICT, 'x-v1.json'), 'utf8'), '{"type":"string"}\n')
  const many: SchemaSet = { files: new Map(Array.from({ length: 130 }, (_, i) => [`${LOOSE}/k${i}-v1.json`, { i }])) }
  t.equal(await writeSchemaSet(many, join(dir, 'many')), 130, 'more than one batch')
  t.equal((await readdir(join(dir, 'many', LOOSE))).length, 130)
  t.equal(await readFile(join(dir, 'many', LOOSE, 'k129-v1.json'), 'utf8'), '{"i":129}\n')
})

t.test('readOpenApiFile reads an OpenAPI v2 document and says what is wrong with others', async (t) => {
  const dir = t.testdir({
    'ok.json': JSON.stringify(openapi),
    'broken.json': '{\n  "definitions": {,\n}\n',
    'v3.json': '{"openapi": "3.0.0", "components": {}}',
  })
  t.same(await readOpenApiFile(join(dir, 'ok.json')), openapi)

  const missing = (await readOpenApiFile(join(dir, 'nope.json')).catch((e: unknown) => e)) as ConfigError
  t.type(missing, ConfigError)
  t.equal(missing.message, `the OpenAPI document ${join(dir, 'nope.json')} does not exist`)
  t.match(missing.hint, /kubectl get --raw \/openapi\/v2.*fetch-openapi\.sh/)

  const broken = (await readOpenApiFile(join(dir, 'broken.json')).catch((e: unknown) => e)) as ConfigError
  t.type(broken, ConfigError)
  t.match(broken.message, new RegExp(`^${join(dir, 'broken.json')} is not JSON: `))
  t.match(broken, { file: join(dir, 'broken.json'), line: 2, col: 19 })
  t.equal(broken.frame, '  1 | {\n> 2 |   "definitions": {,\n    |                   ^\n  3 | }')

  const v3 = (await readOpenApiFile(join(dir, 'v3.json')).catch((e: unknown) => e)) as ConfigError
  t.type(v3, ConfigError)
  t.equal(v3.message, `${join(dir, 'v3.json')} has no \`definitions\`: it is not an OpenAPI v2 document`)
  t.match(v3.hint, /OpenAPI v3 \(\/openapi\/v3\) is not supported/)
})

interface KubeconformResult {
  resources?: Array<{ filename: string; kind: string; name: string; status: string; msg: string; validationErrors?: Array<{ path: string; msg: string }> }>
  summary: { valid: number; invalid: number; errors: number; skipped: number }
}

async function kubeconform(file: string, locations: string[], strict = true): Promise<KubeconformResult> {
  const args = [...(strict ? ['-strict'] : []), '-summary', '-output', 'json', '-kubernetes-version', '1.32.13']
  const run = await execa(kubeconformBin, [...args, ...locations.flatMap((l) => ['-schema-location', l]), file], { reject: false })
  try {
    return JSON.parse(String(run.stdout)) as KubeconformResult
  } catch {
    throw new Error(`${kubeconformBin} printed no JSON (run scripts/install-tools.sh): ${run.stderr || run.message}`)
  }
}

const statuses = (result: KubeconformResult) =>
  result.resources?.map((r) => [r.name, r.status, r.validationErrors ?? []]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))

t.test('kubeconform finds and applies the small schemas', async (t) => {
  const dir = t.testdir({
    'ok.yaml': [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, labels: {app: web}}\nspec: {selector: s, maxSurge: 25%, cpu: 2, replicas: null, template: {anything: 1}}',
      'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/16, port: 80, mode: null, extra: {z: 1}}',
      'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata: {name: q}\nspec: {cidr: 10.0.0.0/16, port: http}',
      'apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: n}\nspec: {config: "{}"}',
    ].join('\n---\n'),
    'bad.yaml': [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {selector: s, maxSurge: 1.5}',
      'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/16, mode: Sometimes}',
      'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata: {name: q}\nspec: {cidr: 10.0.0.0/16, colour: blue}',
    ].join('\n---\n'),
  })
  await writeSchemaSet(schemasFromOpenApi(openapi, { kubernetesVersion: '1.32.13' }), join(dir, 'k8s'))
  await writeSchemaSet(schemasFromCrds([calicoCrd, legacyCrd], { kubernetesVersion: '1.32.13' }), join(dir, 'crds'))
  const locations = [join(dir, 'k8s'), join(dir, 'crds')]

  const ok = await kubeconform(join(dir, 'ok.yaml'), locations)
  t.same(ok.summary, { valid: 4, invalid: 0, errors: 0, skipped: 0 }, JSON.stringify(ok.resources))

  const bad = await kubeconform(join(dir, 'bad.yaml'), locations)
  t.same(bad.summary, { valid: 0, invalid: 3, errors: 0, skipped: 0 })
  t.same(
    bad.resources?.map((r) => [r.name, r.validationErrors?.map((e) => e.path)]).sort(),
    [['a', ['/spec/maxSurge']], ['p', ['/spec/mode']], ['q', ['/spec']]],
  )
  t.same((await kubeconform(join(dir, 'bad.yaml'), locations, false)).summary.invalid, 2, 'without -strict, unknown fields pass')
})

t.test('kubeconform with a CRD fixture: what the API server accepts passes, the rest fails at its field', async (t) => {
  const fixture = join(fixturesDir, 'schemas-crd')
  const crd = parse(await readFile(join(fixture, 'crd.yaml'), 'utf8')) as object
  const dir = t.testdir({})
  await writeSchemaSet(schemasFromCrds([crd], { kubernetesVersion: '1.32.13' }), dir)

  const valid = await kubeconform(join(fixture, 'valid.yaml'), [dir])
  t.same(valid.summary, { valid: 2, invalid: 0, errors: 0, skipped: 0 }, JSON.stringify(valid.resources))

  const invalid = await kubeconform(join(fixture, 'invalid.yaml'), [dir])
  t.same(statuses(invalid), [
    ['much-too-long', 'statusInvalid', [{ path: '/metadata/name', msg: 'maxLength: got 13, want 10' }]],
    ['neither', 'statusInvalid', [{ path: '/spec', msg: 'anyOf failed' }]],
    ['port', 'statusInvalid', [{ path: '/spec/port', msg: 'got number, want null or integer or string' }]],
    ['unknown', 'statusInvalid', [{ path: '/spec', msg: "additional properties 'colour' not allowed" }]],
  ])
})

/**
 * The real swagger.json: PHAROS_TEST_OPENAPI (set by `npm test` from scripts/fetch-openapi.sh), else the
 * pinned release in the Go module cache, else none.
 */
function realOpenApiPath(): string | undefined {
  const fromEnv = process.env.PHAROS_TEST_OPENAPI
  if (fromEnv) return fromEnv
  const moduleCache = process.env.GOMODCACHE || join(process.env.GOPATH || join(process.env.HOME ?? '/root', 'go'), 'pkg', 'mod')
  const cached = join(moduleCache, 'k8s.io', `kubernetes@${V}`, 'api', 'openapi-spec', 'swagger.json')
  return existsSync(cached) ? cached : undefined
}

function corpusObjects(text: string): Array<Record<string, any>> {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, any> | null)
    .filter((o): o is Record<string, any> => o !== null && typeof o === 'object')
    .flatMap((o) => (o.kind === 'List' && Array.isArray(o.items) ? o.items : [o]))
}

const openapiPath = realOpenApiPath()
const noOpenApi = openapiPath
  ? false
  : `no swagger.json for Kubernetes ${V}: run the tests with \`npm test\`, or set PHAROS_TEST_OPENAPI to the output of ` +
    `\`scripts/fetch-openapi.sh ${V.slice(1)}\``

t.test('with the real swagger.json, every corpus manifest validates under -strict', { skip: corpusMissing() }, async (t) => {
  // `npm test` always fetches it: missing there is a failure, not a skip.
  if (noOpenApi) return t.fail(noOpenApi)
  const dir = t.testdir({})
  const document = await readOpenApiFile(openapiPath as string)
  const started = performance.now()
  const set = schemasFromOpenApi(document, { kubernetesVersion: '1.32.13' })
  const generated = performance.now() - started
  const written = await writeSchemaSet(set, join(dir, 'k8s'))
  t.comment(`${written} schemas from ${openapiPath}: generated in ${Math.round(generated)} ms, written in ${Math.round(performance.now() - started - generated)} ms`)
  t.ok(generated < 3000, `generation takes under 3 s (${Math.round(generated)} ms)`)
  t.ok(existsSync(join(dir, 'k8s', STRICT, 'customresourcedefinition-apiextensions-v1.json')), 'the CRD kind has a schema')
  t.ok(existsSync(join(dir, 'k8s', LOOSE, 'daemonset-apps-v1.json')))

  const corpora = (await readdir(corpusDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name !== 'flannel-legacy' && e.name !== 'flannel-legacy-2019')
    .map((e) => e.name)
    .sort()
  t.ok(corpora.length >= 7, `corpus found in ${corpusDir}`)
  for (const corpus of corpora) {
    for (const file of (await readdir(join(corpusDir, corpus))).sort()) {
      const path = join(corpusDir, corpus, file)
      const objects = corpusObjects(await readFile(path, 'utf8'))
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition')
      const crdDir = join(dir, `crds-${corpus}`)
      await writeSchemaSet(schemasFromCrds(crds, { kubernetesVersion: '1.32.13' }), crdDir)
      const result = await kubeconform(path, [join(dir, 'k8s'), crdDir])
      t.comment(`${corpus}/${file}: ${JSON.stringify(result.summary)}`)
      t.same(
        result.summary,
        { valid: objects.length, invalid: 0, errors: 0, skipped: 0 },
        `${corpus}/${file}: ${objects.length} resources valid`,
        { problems: result.resources?.map((r) => `${r.kind}/${r.name}: ${r.status} ${r.msg}`) },
      )
    }
  }

  const bad = join(dir, 'bad.yaml')
  await writeFile(
    bad,
    [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: "three"\n  selector: {matchLabels: {app: web}}\n' +
        '  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n',
      'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector: {matchLabels: {app: agent}}\n' +
        '  templatee:\n    metadata: {labels: {app: agent}}\n    spec: {containers: [{name: agent, image: busybox}]}\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labelz: {a: b}\n',
    ].join('---\n'),
  )
  const strict = await kubeconform(bad, [join(dir, 'k8s')])
  t.same(strict.summary, { valid: 0, invalid: 3, errors: 0, skipped: 0 })
  t.same(statuses(strict), [
    ['agent', 'statusInvalid', [{ path: '/spec', msg: "missing property 'template'" }, { path: '/spec', msg: "additional properties 'templatee' not allowed" }]],
    ['cm', 'statusInvalid', [{ path: '/metadata', msg: "additional properties 'labelz' not allowed" }]],
    ['web', 'statusInvalid', [{ path: '/spec/replicas', msg: 'got string, want null or integer' }]],
  ])
  const loose = await kubeconform(bad, [join(dir, 'k8s')], false)
  t.same(loose.summary, { valid: 1, invalid: 2, errors: 0, skipped: 0 }, 'without -strict the unknown metadata field passes')
  t.same(statuses(loose)?.map(([name]) => name), ['agent', 'web'], 'the wrong type and the missing template still fail')
})

const widgetCrd = (schema: object) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Widget' },
    versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: schema } }],
  },
})

t.test('a $ref anywhere in a CRD schema is refused, located: kubeconform would load it', async (t) => {
  const places: Array<[string, object]> = [
    ['/properties/spec/$ref', { type: 'object', properties: { spec: { $ref: 'http://127.0.0.1:9/x' } } }],
    ['/$ref', { $ref: 'file:///etc/passwd' }],
    ['/properties/list/items/$ref', { properties: { list: { type: 'array', items: { $ref: '#/definitions/x' } } } }],
    ['/allOf/1/$ref', { allOf: [{ type: 'object' }, { $ref: 'other.json' }] }],
    ['/additionalProperties/$ref', { type: 'object', additionalProperties: { $ref: 'http://x/' } }],
    ['/patternProperties/^a/$ref', { patternProperties: { '^a': { $ref: 'http://x/' } } }],
    ['/not/$ref', { not: { $ref: 'http://x/' } }],
  ]
  for (const [pointer, schema] of places) {
    const crd = widgetCrd(schema)
    const asked: Array<Array<string | number>> = []
    const locate = (at: object, path: Array<string | number>) => {
      t.equal(at, crd, 'asked about the CRD itself')
      asked.push(path)
      return { file: 'crds.yml', line: 7 }
    }
    t.throws(() => schemasFromCrds([crd], { kubernetesVersion: '1.32.13', locate }), {
      constructor: ManifestError,
      message: `CustomResourceDefinition widgets.example.com: $ref is not supported in a CRD schema (/spec/versions/0/schema/openAPIV3Schema${pointer}:`,
      file: 'crds.yml',
      line: 7,
      hint: /\$ref is not supported/,
    }, pointer)
    t.same(asked.map((p) => p.slice(0, 5)), [['spec', 'versions', 0, 'schema', 'openAPIV3Schema']])
  }
  const legacy = { ...legacyCrd, spec: { ...legacyCrd.spec, validation: { openAPIV3Schema: { properties: { a: { $ref: 'http://x/' } } } } } }
  t.throws(() => schemasFromCrds([legacy], { kubernetesVersion: '1.32.13' }), { message: '(/spec/validation/openAPIV3Schema/properties/a/$ref:' })
})

t.test('a CRD field named $ref or id is a field; $schema, id and $id keywords are dropped, data is kept', async (t) => {
  const crd = widgetCrd({
    $schema: 'http://127.0.0.1:9/meta',
    id: 'http://127.0.0.1:9/base',
    type: 'object',
    properties: {
      $ref: { type: 'string' },
      id: { type: 'string', $id: 'http://127.0.0.1:9/id', default: 'x' },
      spec: { type: 'object', default: { $ref: 'http://127.0.0.1:9/data' }, items: { $schema: 'http://127.0.0.1:9/deep' } },
    },
  })
  const set = schemasFromCrds([crd], { kubernetesVersion: '1.32.13' })
  const schema = set.files.get(`${STRICT}/widget-example-v1.json`) as any
  const text = JSON.stringify(schema)
  t.notMatch(text, /"\$schema"|"\$id"|"id":"http/, 'no identifier keyword is left')
  t.same(schema.properties.$ref, { type: ['string', 'null'] }, 'a field named $ref')
  t.same(schema.properties.id.default, 'x', 'a field named id')
  t.same(schema.properties.spec.default, { $ref: 'http://127.0.0.1:9/data' }, 'a default is data, not a schema')
})

t.test('an OpenAPI document: a $ref inlining cannot resolve is refused, identifiers are dropped', async (t) => {
  const doc = (definition: object) => ({
    definitions: { 'io.example.v1.Thing': { ...definition, 'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Thing' }] } },
  })
  t.throws(() => schemasFromOpenApi(doc({ properties: { a: { patternProperties: { x: { $ref: 'http://x/' } } } } }), { kubernetesVersion: '1.32.13' }), {
    constructor: ConfigError,
    message: /io\.example\.v1\.Thing has a \$ref that cannot be inlined \(\/properties\/a\/patternProperties\/x\/\$ref: "http:\/\/x\/"\)/,
  })
  const set = schemasFromOpenApi(doc({ $schema: 'http://x/', id: 'http://x/', properties: { a: { type: 'string', $id: 'http://x/' } } }), { kubernetesVersion: '1.32.13' })
  t.notMatch(JSON.stringify([...set.files.values()]), /\$schema|\$id|"id"/)
  const unknown = schemasFromOpenApi(doc({ properties: { a: { $ref: 'http://x/' } } }), { kubernetesVersion: '1.32.13' })
  t.same((unknown.files.get(`${STRICT}/thing-v1.json`) as any).properties.a, {}, 'an unknown definition inlines as anything, as before')
})

t.test('schema locations: missing is usage, and the files kubeconform would read must not refer outside', async (t) => {
  const dir = t.testdir({
    [STRICT]: {
      'configmap-v1.json': JSON.stringify({ type: 'object', properties: { data: { $ref: 'file:///etc/passwd' } } }),
      'secret-v1.json': JSON.stringify({ definitions: { a: { type: 'string' } }, properties: { $ref: { $ref: '#/definitions/a' } } }),
      'daemonset-apps-v1.json': JSON.stringify({ $schema: 'http://127.0.0.1:9/meta' }),
      'service-v1.json': JSON.stringify({ $schema: 'http://json-schema.org/schema#', type: 'object' }),
      'pod-v1.json': JSON.stringify({ properties: { spec: { id: 'http://127.0.0.1:9/', $ref: '#/x' } } }),
      'job-batch-v1.json': '{"$ref": "http://x/", not json',
    },
    'flat': { 'configmap.json': JSON.stringify({ $ref: 'http://127.0.0.1:9/x' }) },
  })
  const check = (kinds: Array<[string, string]>, locations = [dir], allowExternalRefs = false) =>
    checkSchemaLocations(locations, kinds.map(([apiVersion, kind]) => ({ apiVersion, kind })), { kubernetesVersion: '1.32.13', allowExternalRefs })

  await t.rejects(check([['v1', 'ConfigMap']]), {
    constructor: UsageError,
    message: `schema file ${dir}/${STRICT}/configmap-v1.json refers outside itself: $ref "file:///etc/passwd" at /properties/data/$ref; kubeconform would load it`,
    file: `${dir}/${STRICT}/configmap-v1.json`,
    hint: /--allow-external-refs/,
  })
  await t.rejects(check([['apps/v1', 'DaemonSet']]), { message: '$schema "http://127.0.0.1:9/meta" at /$schema' })
  await t.rejects(check([['v1', 'Pod']]), { message: 'id "http://127.0.0.1:9/" at /properties/spec/id' }, 'an id re-bases the local $ref under it')
  await t.rejects(check([['v1', 'ConfigMap']], [`${dir}/flat/{{ .ResourceKind }}.json`]), { message: `${dir}/flat/configmap.json refers outside itself` })
  await t.resolves(check([['v1', 'Secret'], ['v1', 'Service'], ['batch/v1', 'Job'], ['v1', 'Namespace']]), 'local $refs, a known meta-schema, a file that is not JSON, no file')
  await t.resolves(check([['v1', 'ConfigMap'], ['apps/v1', 'DaemonSet']], [dir], true), 'allowed')
  await t.resolves(check([['v1', 'ConfigMap']], ['http://127.0.0.1:9/', 'default']), 'remote locations are not read')
  await t.rejects(check([], [join(dir, 'missing')]), { constructor: UsageError, message: `schema location ${dir}/missing does not exist` })
  await t.rejects(check([], [join(dir, 'missing', '{{ .ResourceKind }}.json')]), { message: 'does not exist' })
})

t.test("kubeconformSchemaFile is kubeconform's path, and the layout we write", async (t) => {
  const folder = '/s/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json'
  for (const [apiVersion, kind, group, version] of [['v1', 'ConfigMap', '', 'v1'], ['apps/v1', 'DaemonSet', 'apps', 'v1'], ['crd.projectcalico.org/v1', 'IPPool', 'crd.projectcalico.org', 'v1']] as const) {
    t.equal(kubeconformSchemaFile(folder, { apiVersion, kind }, '1.32.13'), `/s/${schemaPath(V, 'standalone-strict', { group, version, kind })}`)
  }
  t.equal(kubeconformSchemaFile('/s/{{.Group}}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json', { apiVersion: 'apps/v1', kind: 'DaemonSet' }, 'master'), '/s/apps/v1/daemonset.json')
})
