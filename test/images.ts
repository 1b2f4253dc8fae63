import t from 'tap'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments, type ManifestObject } from '../src/documents.js'
import { ConfigError, UsageError } from '../src/errors.js'
import {
  checkRegistry,
  findContainerImages,
  imageRewrites,
  imagesOf,
  parseImageReference,
  rewrittenImage,
} from '../src/images.js'

const podSpec = (tag: string) => ({
  containers: [{ name: 'a', image: `app:${tag}` }],
  initContainers: [{ name: 'i', image: `init:${tag}` }],
  ephemeralContainers: [{ name: 'e', image: `debug:${tag}` }],
})
const object = (kind: string, body: Record<string, unknown>): ManifestObject =>
  ({ apiVersion: 'v1', kind, metadata: { name: 'x' }, ...body }) as ManifestObject

t.test('images of every workload kind: containers, init and ephemeral containers', async (t) => {
  const template = (tag: string) => ({ spec: { template: { spec: podSpec(tag) } } })
  const cases: Array<[string, Record<string, unknown>]> = [
    ['Pod', { spec: podSpec('pod') }],
    ['PodTemplate', { template: { spec: podSpec('podtemplate') } }],
    ['Deployment', template('deployment')],
    ['DaemonSet', template('daemonset')],
    ['StatefulSet', template('statefulset')],
    ['ReplicaSet', template('replicaset')],
    ['ReplicationController', template('replicationcontroller')],
    ['Job', template('job')],
    ['CronJob', { spec: { jobTemplate: { spec: { template: { spec: podSpec('cronjob') } } } } }],
  ]
  for (const [kind, body] of cases) {
    const tag = kind.toLowerCase()
    t.same(imagesOf(object(kind, body)), [`app:${tag}`, `init:${tag}`, `debug:${tag}`], kind)
  }
})

t.test('no images where there are none to find', async (t) => {
  t.same(imagesOf(object('ConfigMap', { data: { image: 'busybox' } })), [], 'a ConfigMap value is not an image')
  t.same(imagesOf(object('Deployment', {})), [], 'no spec')
  t.same(imagesOf(object('Deployment', { spec: { template: 'x' } })), [], 'a template that is not a mapping')
  t.same(imagesOf(object('Pod', { spec: { containers: 'x' } })), [], 'containers that are not a list')
  t.same(
    imagesOf(object('Pod', { spec: { containers: [null, 'x', { name: 'n' }, { image: 7 }, { image: '' }, { image: 'ok' }] } })),
    ['ok'],
    'only string images',
  )
})

t.test('the set\'s images: sorted by bytes and unique', async (t) => {
  const source: ManifestSource = { path: '/set/a.yml', name: 'a.yml', outputName: 'a.yml', engine: 'plain', text: '' }
  const docs = checkDocuments([{
    source,
    text: [
      'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: a, image: "quay.io/b:1"}, {name: b, image: "busybox"}]\n',
      'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: busybox}]\n      initContainers: [{name: i, image: "Zed:1"}]\n',
    ].join('---\n'),
  }])
  t.same(findContainerImages(docs), ['Zed:1', 'busybox', 'quay.io/b:1'])
})

t.test('image references read as Docker reads them', async (t) => {
  const cases: Array<[string, { name: string; registry: string; path: string; suffix: string }]> = [
    ['quay.io/coreos/flannel:v0.10.0-amd64', { name: 'quay.io/coreos/flannel', registry: 'quay.io', path: 'coreos/flannel', suffix: ':v0.10.0-amd64' }],
    ['busybox', { name: 'busybox', registry: 'docker.io', path: 'library/busybox', suffix: '' }],
    ['busybox:1.36', { name: 'busybox', registry: 'docker.io', path: 'library/busybox', suffix: ':1.36' }],
    ['calico/node:v3.8', { name: 'calico/node', registry: 'docker.io', path: 'calico/node', suffix: ':v3.8' }],
    ['localhost/app', { name: 'localhost/app', registry: 'localhost', path: 'app', suffix: '' }],
    ['registry:5000/team/app:1@sha256:abc', { name: 'registry:5000/team/app', registry: 'registry:5000', path: 'team/app', suffix: ':1@sha256:abc' }],
    ['nginx@sha256:0123', { name: 'nginx', registry: 'docker.io', path: 'library/nginx', suffix: '@sha256:0123' }],
    ['docker.io/library/nginx:1', { name: 'docker.io/library/nginx', registry: 'docker.io', path: 'library/nginx', suffix: ':1' }],
  ]
  for (const [image, expected] of cases) t.same(parseImageReference(image), { image, ...expected }, image)
})

t.test('rewrites: one entry per image name, path kept, tag and digest kept by kustomize', async (t) => {
  const images = ['quay.io/coreos/flannel:v0.10.0-amd64', 'quay.io/coreos/flannel:v0.11.0', 'busybox', 'calico/node:v3.8', 'nginx@sha256:0123']
  const rewrites = imageRewrites(images, 'registry.local:5000')
  t.same(rewrites, [
    { name: 'busybox', newName: 'registry.local:5000/library/busybox' },
    { name: 'calico/node', newName: 'registry.local:5000/calico/node' },
    { name: 'nginx', newName: 'registry.local:5000/library/nginx' },
    { name: 'quay.io/coreos/flannel', newName: 'registry.local:5000/coreos/flannel' },
  ])
  t.equal(rewrittenImage('quay.io/coreos/flannel:v0.10.0-amd64', rewrites), 'registry.local:5000/coreos/flannel:v0.10.0-amd64')
  t.equal(rewrittenImage('nginx@sha256:0123', rewrites), 'registry.local:5000/library/nginx@sha256:0123')
  t.equal(rewrittenImage('busybox', rewrites), 'registry.local:5000/library/busybox')
  t.equal(rewrittenImage('other:1', rewrites), 'other:1', 'an image of no entry stays')
  t.same(imageRewrites(images, 'mirror.example.com/cni'), imageRewrites(images, 'mirror.example.com/cni'), 'deterministic')
  t.equal(imageRewrites(['busybox'], 'mirror.example.com/cni')[0]?.newName, 'mirror.example.com/cni/library/busybox', 'a registry with a path')
})

t.test('a registry must be a host with an optional port and path', async (t) => {
  t.equal(checkRegistry('registry.local:5000/', { flag: '--image-registry' }), 'registry.local:5000', 'a trailing slash goes')
  t.equal(checkRegistry('mirror.example.com/cni/v2', { flag: '--image-registry' }), 'mirror.example.com/cni/v2')
  for (const bad of ['https://registry.local', 'registry.local:5000/x:tag', 'reg istry', '', '-reg', 'reg/UPPER', 'reg:port']) {
    t.throws(() => checkRegistry(bad, { flag: '--image-registry' }), UsageError, `flag: ${JSON.stringify(bad)}`)
  }
  const error = t.throws(() => checkRegistry('http://x', { file: '/c/cluster.yml' })) as ConfigError
  t.ok(error instanceof ConfigError, 'from cluster.yml it is a config error')
  t.equal(error.file, '/c/cluster.yml')
  t.match(error.message, /image_repository 'http:\/\/x' is not a registry host/)
})
