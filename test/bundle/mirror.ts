import t from 'tap'
import { execa } from 'execa'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isImageReference, mirrorScript, MIRROR_TOOLS, type MirroredImage } from '../../src/bundle/mirror.js'
import { ManifestError } from '../../src/errors.js'
import { configMap, daemonSet, documentsOf } from '../helpers/bundle.js'

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`
const images: MirroredImage[] = [
  { source: 'busybox:1.36', target: 'registry.local:5000/library/busybox:1.36' },
  { source: `quay.io/coreos/flannel@${DIGEST}`, target: `registry.local:5000/coreos/flannel@${DIGEST}` },
  { source: 'registry.local:5000/already/there:v1', target: 'registry.local:5000/already/there:v1' },
]
const HEADER = (tool: string) =>
  '#!/bin/sh\n' +
  `# Copies the bundle's images into the registry the bundle was made for, with ${tool}.\n` +
  '# Run it where both registries can be reached; written by kubectl-pharos-net bundle --images-script.\n' +
  'set -eu\n'

t.test('one copy command a line for each tool, images already in place left out', async (t) => {
  t.same(MIRROR_TOOLS, ['crane', 'skopeo', 'docker'])
  t.equal(
    mirrorScript(images, 'crane', []),
    HEADER('crane') +
      "crane copy 'busybox:1.36' 'registry.local:5000/library/busybox:1.36'\n" +
      `crane copy 'quay.io/coreos/flannel@${DIGEST}' 'registry.local:5000/coreos/flannel@${DIGEST}'\n`,
  )
  t.equal(
    mirrorScript(images, 'skopeo', []),
    HEADER('skopeo') +
      "skopeo copy --all 'docker://busybox:1.36' 'docker://registry.local:5000/library/busybox:1.36'\n" +
      `skopeo copy --all 'docker://quay.io/coreos/flannel@${DIGEST}' 'docker://registry.local:5000/coreos/flannel@${DIGEST}'\n`,
  )
  t.equal(
    mirrorScript(images, 'docker', []),
    HEADER('docker') +
      "docker pull 'busybox:1.36' && docker tag 'busybox:1.36' 'registry.local:5000/library/busybox:1.36' && docker push 'registry.local:5000/library/busybox:1.36'\n" +
      `docker pull 'quay.io/coreos/flannel@${DIGEST}' && docker tag 'quay.io/coreos/flannel@${DIGEST}' 'registry.local:5000/coreos/flannel@${DIGEST}' && ` +
      `docker push 'registry.local:5000/coreos/flannel@${DIGEST}'\n`,
  )
  t.equal(mirrorScript([images[2]!], 'crane', []), HEADER('crane'), 'nothing to copy: the header alone')
  t.equal(mirrorScript([], 'skopeo', []), HEADER('skopeo'))
})

t.test('every script is valid sh, and runs each copy with the images as single words', async (t) => {
  const dir = t.testdir({})
  const log = join(dir, 'calls.log')
  // Stand-ins that record their arguments, one per line, so that word splitting would show.
  for (const tool of MIRROR_TOOLS) {
    await writeFile(join(dir, tool), `#!/bin/sh\nfor a in "$@"; do printf '%s|' "$a" >> '${log}'; done\necho >> '${log}'\n`)
    await chmod(join(dir, tool), 0o755)
  }
  const expected: Record<string, string[]> = {
    crane: ['copy|busybox:1.36|registry.local:5000/library/busybox:1.36|', `copy|quay.io/coreos/flannel@${DIGEST}|registry.local:5000/coreos/flannel@${DIGEST}|`],
    skopeo: [
      'copy|--all|docker://busybox:1.36|docker://registry.local:5000/library/busybox:1.36|',
      `copy|--all|docker://quay.io/coreos/flannel@${DIGEST}|docker://registry.local:5000/coreos/flannel@${DIGEST}|`,
    ],
    docker: [
      'pull|busybox:1.36|',
      'tag|busybox:1.36|registry.local:5000/library/busybox:1.36|',
      'push|registry.local:5000/library/busybox:1.36|',
      `pull|quay.io/coreos/flannel@${DIGEST}|`,
      `tag|quay.io/coreos/flannel@${DIGEST}|registry.local:5000/coreos/flannel@${DIGEST}|`,
      `push|registry.local:5000/coreos/flannel@${DIGEST}|`,
    ],
  }
  for (const tool of MIRROR_TOOLS) {
    const script = join(dir, `mirror-${tool}.sh`)
    await writeFile(script, mirrorScript(images, tool, []))
    const syntax = await execa('sh', ['-n', script], { reject: false })
    t.equal(syntax.exitCode, 0, `${tool}: sh -n ${syntax.stderr}`)
    await writeFile(log, '')
    const run = await execa('sh', [script], { env: { PATH: `${dir}:${process.env.PATH}` }, reject: false })
    t.equal(run.exitCode, 0, `${tool}: ${run.stderr}`)
    t.same((await readFile(log, 'utf8')).trimEnd().split('\n'), expected[tool], tool)
  }
  // set -eu: a failed copy stops the script.
  await writeFile(join(dir, 'crane'), '#!/bin/sh\nexit 7\n')
  const failed = await execa('sh', [join(dir, 'mirror-crane.sh')], { env: { PATH: `${dir}:${process.env.PATH}` }, reject: false })
  t.equal(failed.exitCode, 7, 'the first failure ends the script with its status')
})

t.test('an image that is not a plain reference is refused, located in its manifest', async (t) => {
  for (const evil of ["busybox'; rm -rf / #", 'busybox:$(touch /tmp/pwned)', 'busy box:1', 'busybox:`id`', 'busybox\n:1', 'busybox;id', '-oProxyCommand=x', 'Busybox:1']) {
    const documents = documentsOf({ '01-config.yml': configMap('c'), '02-ds.yml': `${configMap('other')}---\n${daemonSet('cni', ['busybox:1.36', evil])}` })
    const error = t.throws(() => mirrorScript([{ source: 'busybox:1.36', target: 'r.local/busybox:1.36' }, { source: evil, target: `r.local/${evil}` }], 'crane', documents)) as ManifestError
    t.type(error, ManifestError, evil)
    t.equal(error.exitCode, 2)
    t.equal(error.message, `image ${JSON.stringify(evil)} is not an image reference: it cannot go into the mirror script`)
    t.equal(error.file, '/set/02-ds.yml', 'the file holding it')
    t.equal(error.line, 8, 'the line its document starts at')
    t.match(error.hint, /\[registry\/\]path\[:tag\]\[@digest\]/)
  }
  const unplaced = t.throws(() => mirrorScript([{ source: 'a b', target: 'a b' }], 'docker', [])) as ManifestError
  t.type(unplaced, ManifestError, 'refused even when no manifest holds it, and even when it would not be copied')
  t.equal(unplaced.file, undefined)
})

t.test('isImageReference: Docker reference grammar', async (t) => {
  for (const good of [
    'busybox',
    'busybox:1.36',
    'library/busybox:latest',
    'quay.io/coreos/flannel:v0.10.0-amd64',
    'localhost:5000/a/b',
    'registry.local:5000/a_b/c__d/e-f/g.h:tag_1.2-x',
    `ghcr.io/x/y@${DIGEST}`,
    `ghcr.io/x/y:v1@${DIGEST}`,
    'REGISTRY.example.com/lower/case',
  ]) {
    t.ok(isImageReference(good), good)
  }
  for (const bad of [
    '',
    'Busybox',
    'busybox:',
    ':tag',
    'busybox:.tag',
    'a//b',
    '/a',
    'a/',
    'http://registry/a',
    'busybox@sha256:short',
    'a:b:c',
    "it's",
    'a b',
    'a$(b)',
    '-a',
    `busybox:${'x'.repeat(129)}`,
  ]) {
    t.notOk(isImageReference(bad), JSON.stringify(bad))
  }
})
