import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, utimesSync } from 'node:fs'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments } from '../src/documents.js'
import { EnvironmentError, ManifestError, UsageError } from '../src/errors.js'
import {
  checkOutputFolder,
  markerText,
  OUTPUT_MARKER,
  outputFiles,
  outputFolderProblem,
  outputStream,
  realPath,
  writeOutput,
  writeOutputs,
  type ProtectedPath,
} from '../src/output.js'
import { snapshotTree } from './helpers/hostile.js'

const source = (name: string): ManifestSource => ({ path: `/set/${name}`, name, outputName: name, engine: 'plain', text: '' })
const docs = checkDocuments([
  { source: source('01-a.yml'), text: '# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |\n    line\n' },
  { source: source('02-b.yml'), text: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n  labels:\n    app: b\n' },
])
const WRITTEN = ['01-a.yml', '02-b.yml', 'kustomization.yaml']
const none: ProtectedPath[] = []

t.test('one file per source and a kustomization in processing order', async (t) => {
  const files = outputFiles(docs)
  t.same(files.map((f) => f.name), [...WRITTEN, OUTPUT_MARKER])
  t.equal(files[0]?.text, '# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |\n    line\n')
  t.same(parse(files[2]?.text ?? ''), {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    sortOptions: { order: 'fifo' },
    labels: [{ pairs: { 'pharos.kontena.io/stack': 'custom-network' }, includeSelectors: false, includeTemplates: false }],
    resources: ['01-a.yml', '02-b.yml'],
  })
  t.equal(
    files[3]?.text,
    'This folder was written by kubectl-pharos-net render and is replaced on each render.\nIts files:\n' +
      '01-a.yml\n02-b.yml\nkustomization.yaml\n',
    'the marker lists what was written, sorted',
  )
  t.equal(markerText(['b', 'a', 'b']), markerText(['a', 'b']), 'one canonical text per set of names')
})

t.test('the stream carries the stack label and leaves the documents untouched', async (t) => {
  const stream = outputStream(docs)
  t.match(stream, /^# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata:\n {2}name: a\n {2}labels:\n {4}pharos.kontena.io\/stack: custom-network\n/)
  t.match(stream, /---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n {2}name: b\n {2}labels:\n {4}app: b\n {4}pharos.kontena.io\/stack: custom-network\n$/)
  t.notMatch(outputFiles(docs)[0]?.text ?? '', /stack/)
})

t.test('the stack label never goes through a YAML alias into a shared node', async (t) => {
  const objects = (text: string) => {
    const checked = checkDocuments([{ source: source('x.yml'), text }])
    const stream = outputStream(checked)
    t.equal(outputFiles(checked)[0]?.text, text, 'the folder keeps the document as written')
    return parseAllDocuments(stream).map((d) => d.toJS())
  }
  const label = { 'pharos.kontena.io/stack': 'custom-network' }

  const [shared] = objects(
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: &x\n    app: web\n' +
      'spec:\n  selector:\n    matchLabels: *x\n  template:\n    metadata:\n      labels: *x\n',
  )
  t.same(shared.metadata.labels, { app: 'web', ...label }, 'labels anchored and aliased elsewhere: labelled')
  t.same(shared.spec.selector.matchLabels, { app: 'web' }, 'the selector is not')
  t.same(shared.spec.template.metadata.labels, { app: 'web' }, 'nor the pod template')

  const [aliasedLabels] = objects(
    'apiVersion: apps/v1\nkind: Deployment\nspec:\n  selector:\n    matchLabels: &x\n      app: web\n' +
      'metadata:\n  name: web\n  labels: *x\n',
  )
  t.same(aliasedLabels.metadata.labels, { app: 'web', ...label }, 'metadata.labels an alias: a labelled copy')
  t.same(aliasedLabels.spec.selector.matchLabels, { app: 'web' }, 'the anchored selector is untouched')

  const [aliasedMetadata] = objects('apiVersion: v1\nkind: ConfigMap\ndata: &m\n  name: a\nmetadata: *m\n')
  t.same(aliasedMetadata.metadata, { name: 'a', labels: label }, 'metadata an alias: a labelled copy')
  t.same(aliasedMetadata.data, { name: 'a' })

  const [nested] = objects(
    'apiVersion: v1\nkind: ConfigMap\ndata: &m\n  name: a\n  labels: &l\n    k: v\nmetadata: *m\nbinaryData: *l\n',
  )
  t.same(nested.metadata, { name: 'a', labels: { k: 'v', ...label } }, 'an alias of a map with anchored labels')
  t.same(nested.data, { name: 'a', labels: { k: 'v' } })
  t.same(nested.binaryData, { k: 'v' }, 'a later alias of the inner anchor is not labelled')

  const [empty] = objects('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n')
  t.same(empty.metadata.labels, label, 'an empty labels key becomes the label')

  const scalar = checkDocuments([{ source: source('x.yml'), text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: app\n' }])
  t.throws(() => outputStream(scalar), {
    constructor: ManifestError,
    message: 'metadata.labels of ConfigMap a is not a mapping',
    file: '/set/x.yml',
    line: 1,
  })
})

t.test('the folders never replaced: a pure check', async (t) => {
  const home = { role: 'the home folder', path: '/home/ann' }
  const cwd = { role: 'the current folder', path: '/work/repo' }
  const config = { role: 'the config file', path: '/work/repo/cluster.yml' }
  const manifests = { role: 'the manifest path', path: '/work/repo/net' }
  const all = [config, manifests, cwd, home]

  t.equal(outputFolderProblem('/', none), 'refusing to replace the output folder /: it is the root folder')
  for (const dir of ['/usr', '/etc', '/var', '/home', '/root', '/tmp', '/work', '/usr/', '/usr/../etc']) {
    t.match(outputFolderProblem(dir, none), /: it is a top-level system folder$/, dir)
  }
  t.equal(outputFolderProblem('/home/ann', all), 'refusing to replace the output folder /home/ann: it is the home folder /home/ann')
  t.equal(outputFolderProblem('/work/repo', all), 'refusing to replace the output folder /work/repo: it is the current folder /work/repo')
  t.equal(outputFolderProblem('/work/repo/', all), 'refusing to replace the output folder /work/repo/: it is the current folder /work/repo')
  t.equal(outputFolderProblem('/work/repo/net', all), 'refusing to replace the output folder /work/repo/net: it is the manifest path /work/repo/net')
  t.equal(
    outputFolderProblem('/work/repo/cluster.yml', all),
    'refusing to replace the output folder /work/repo/cluster.yml: it is the config file /work/repo/cluster.yml',
  )
  t.match(outputFolderProblem('/work/repo/net/..', all), /: it is the current folder/, 'spelt with ..')
  t.equal(outputFolderProblem('/work/repo', [config]), 'refusing to replace the output folder /work/repo: it contains the config file /work/repo/cluster.yml')
  t.match(outputFolderProblem('/srv/x', [{ role: 'the config file', path: '/srv/x/y/z/cluster.yml' }]), /: it contains the config file/)
  t.match(outputFolderProblem('/home/ann/src', [{ role: 'the current folder', path: '/home/ann/src/repo' }]), /: it contains the current folder/)

  for (const dir of ['/work/repo/out', '/work/repo/net/out', '/work/repo/netx', '/work/rep', '/home/ann/out', '/usr/local/out', '/srv/x']) {
    t.equal(outputFolderProblem(dir, all), undefined, `${dir} is allowed`)
  }
})

t.test('the check sees through symbolic links, on both sides', async (t) => {
  const root = realPath(t.testdir({ repo: { 'cluster.yml': '', net: {} }, elsewhere: {} }))
  const repo = join(root, 'repo')
  await symlink(repo, join(root, 'elsewhere', 'to-repo'))
  await symlink(root, join(root, 'elsewhere', 'to-root'))
  await symlink(join(repo, 'net'), join(root, 'net-link'))
  const protect = [
    { role: 'the current folder', path: join(root, 'net-link') },
    { role: 'the config file', path: join(repo, 'cluster.yml') },
  ]
  t.equal(realPath(join(root, 'elsewhere', 'to-repo', 'not', 'yet')), join(repo, 'not', 'yet'), 'the missing part kept')

  t.throws(() => checkOutputFolder(join(root, 'elsewhere', 'to-repo'), protect), {
    constructor: UsageError,
    message: `refusing to replace the output folder ${join(root, 'elsewhere', 'to-repo')} (${repo}): ` +
      `it contains the current folder ${join(root, 'net-link')} (${join(repo, 'net')})`,
    hint: /a folder of its own, e\.g\. -o out/,
  })
  t.throws(() => checkOutputFolder(join(repo, 'net'), protect), { message: /: it is the current folder .*net-link/ }, 'real path of a protected link')
  t.throws(() => checkOutputFolder(join(root, 'elsewhere', 'to-root', 'repo'), protect), UsageError)
  t.throws(() => checkOutputFolder(join(root, 'elsewhere', 'to-root'), protect), UsageError, 'a link to an ancestor')
  t.doesNotThrow(() => checkOutputFolder(join(root, 'elsewhere'), protect), 'a folder holding links to the inputs, not the inputs')
  t.doesNotThrow(() => checkOutputFolder(join(root, 'elsewhere', 'to-repo', 'out'), protect), 'an output below the inputs')
})

t.test('a protected folder is refused with or without --force, and nothing changes', async (t) => {
  const root = t.testdir({ repo: { 'cluster.yml': 'x\n', net: { 'a.yml': 'y\n' }, '.git': { HEAD: 'ref\n' } } })
  const repo = join(root, 'repo')
  const protect = [
    { role: 'the config file', path: join(repo, 'cluster.yml') },
    { role: 'the manifest path', path: join(repo, 'net') },
    { role: 'the current folder', path: repo },
  ]
  const before = await snapshotTree(root)
  for (const dir of [repo, join(repo, 'net'), root]) {
    for (const force of [false, true]) {
      await t.rejects(writeOutput(outputFiles(docs), { dir, force, protect }), UsageError, `${dir} force=${force}`)
    }
  }
  t.same(await snapshotTree(root), before)
})

t.test('writes a new folder, replaces its own, refuses a foreign one', async (t) => {
  const root = t.testdir({ foreign: { 'keep.txt': 'mine' }, empty: {} })
  const out = join(root, 'out')
  await writeOutput(outputFiles(docs), { dir: out, protect: none })
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, ...WRITTEN].sort())

  await writeOutput(outputFiles(docs.slice(0, 1)), { dir: out, protect: none })
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, '01-a.yml', 'kustomization.yaml'].sort(), 'replaced whole')
  t.same((await readdir(root)).sort(), ['empty', 'foreign', 'out'], 'no staging folder or lock left behind')

  await t.rejects(writeOutput(outputFiles(docs), { dir: join(root, 'foreign'), protect: none }), {
    constructor: UsageError,
    message: `output folder ${join(root, 'foreign')} is not empty and was not written by this tool`,
  })
  t.equal(await readFile(join(root, 'foreign', 'keep.txt'), 'utf8'), 'mine')
  await writeOutput(outputFiles(docs), { dir: join(root, 'empty'), protect: none })
  await writeOutput(outputFiles(docs), { dir: join(root, 'foreign'), force: true, protect: none })
  t.same((await readdir(join(root, 'foreign'))).sort(), [OUTPUT_MARKER, ...WRITTEN].sort())
  t.same((await readdir(root)).sort(), ['empty', 'foreign', 'out'], 'no lock left behind after a refusal either')
})

t.test('the marker is checked, not trusted: anything the tool did not write makes the folder foreign', async (t) => {
  const tampered: Record<string, (dir: string) => Promise<void>> = {
    'a file added': (dir) => writeFile(join(dir, 'notes.txt'), 'mine'),
    'a subfolder added': (dir) => mkdir(join(dir, 'sub')),
    'a listed file replaced by a folder': async (dir) => {
      await writeFile(join(dir, OUTPUT_MARKER), markerText([...WRITTEN, 'sub']))
      await mkdir(join(dir, 'sub'))
    },
    'a listed file replaced by a symbolic link': async (dir) => {
      await writeFile(join(dir, OUTPUT_MARKER), markerText([...WRITTEN, 'link.yml']))
      await symlink('/etc/hostname', join(dir, 'link.yml'))
    },
    'the marker with other text': (dir) => writeFile(join(dir, OUTPUT_MARKER), 'This folder was written by kubectl-pharos-net\n'),
    'the marker of an older version': (dir) =>
      writeFile(join(dir, OUTPUT_MARKER), 'This folder was written by kubectl-pharos-net render and is replaced on each render.\n'),
    'the marker unsorted': (dir) => writeFile(join(dir, OUTPUT_MARKER), markerText(WRITTEN).replace('01-a.yml\n02-b.yml\n', '02-b.yml\n01-a.yml\n')),
    'the marker with a line added': async (dir) => writeFile(join(dir, OUTPUT_MARKER), `${markerText(WRITTEN)}# mine\n`),
    'the marker is a folder': async (dir) => {
      await writeFile(join(dir, 'x'), '')
      await import('node:fs/promises').then((fs) => fs.rm(join(dir, OUTPUT_MARKER)))
      await mkdir(join(dir, OUTPUT_MARKER))
    },
  }
  for (const [name, tamper] of Object.entries(tampered)) {
    const out = join(t.testdir({}), 'out')
    await writeOutput(outputFiles(docs), { dir: out, protect: none })
    await tamper(out)
    const before = await snapshotTree(out)
    await t.rejects(writeOutput(outputFiles(docs), { dir: out, protect: none }), { constructor: UsageError, message: /not written by this tool/ }, name)
    t.same(await snapshotTree(out), before, `${name}: untouched`)
    await writeOutput(outputFiles(docs), { dir: out, force: true, protect: none })
    t.same((await readdir(out)).sort(), [OUTPUT_MARKER, ...WRITTEN].sort(), `${name}: --force takes it over`)
  }

  const out = join(t.testdir({}), 'out')
  await writeOutput(outputFiles(docs), { dir: out, protect: none })
  await import('node:fs/promises').then((fs) => fs.rm(join(out, '02-b.yml')))
  await writeOutput(outputFiles(docs), { dir: out, protect: none })
  t.ok(existsSync(join(out, '02-b.yml')), 'a folder missing one of its listed files is still ours')
})

t.test('a killed run is repaired: the folder moved aside comes back, leftovers of exactly our names go', async (t) => {
  const root = t.testdir({
    '.out.pharos-net-old-0123abcd': { 'keep.txt': 'previous output' },
    '.out.pharos-net-staging-89abcdef': { 'half.yml': 'x' },
    '.out.pharos-net.lock.stale-00000000': '1\n',
    '.out.pharos-net-old-0123abcd.bak': 'not ours',
    '.out.pharos-net-old-XYZ': 'not ours',
    '.other.pharos-net-old-0123abcd': { 'a.txt': 'not ours' },
    '.out.pharos-net-staging-0123abc': 'not ours',
  })
  const out = join(root, 'out')
  // The restored folder has no marker, so the refusal shows it came back before anything else.
  await t.rejects(writeOutput(outputFiles(docs), { dir: out, protect: none }), { message: /not written by this tool/ })
  t.equal(await readFile(join(out, 'keep.txt'), 'utf8'), 'previous output', 'restored')
  t.same((await readdir(root)).sort(), [
    '.other.pharos-net-old-0123abcd',
    '.out.pharos-net-old-0123abcd.bak',
    '.out.pharos-net-old-XYZ',
    '.out.pharos-net-staging-0123abc',
    'out',
  ])

  await mkdir(join(root, '.out.pharos-net-old-feedbeef'))
  await writeOutput(outputFiles(docs), { dir: out, force: true, protect: none })
  t.notOk(existsSync(join(root, '.out.pharos-net-old-feedbeef')), 'an old folder beside an existing output is removed')
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, ...WRITTEN].sort())
})

t.test('the lock: a live holder is waited for, a dead one taken over, and it is always removed', async (t) => {
  const root = t.testdir({})
  const out = join(root, 'out')
  const lock = join(root, '.out.pharos-net.lock')

  const dead = spawnSync(process.execPath, ['-e', '']).pid
  await writeFile(lock, `${dead}\n`)
  await writeOutput(outputFiles(docs), { dir: out, protect: none, onWait: () => t.fail('a dead holder is not waited for') })
  t.notOk(existsSync(lock), 'stale lock taken over, then removed')

  await writeFile(lock, '')
  utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
  await writeOutput(outputFiles(docs), { dir: out, protect: none })
  t.notOk(existsSync(lock), 'an empty lock a minute old is stale too')

  await writeFile(lock, `${process.pid}\n`)
  const waits: number[] = []
  const before = await snapshotTree(root)
  await t.rejects(writeOutput(outputFiles(docs), { dir: out, protect: none, onWait: (pid) => waits.push(pid), lockWaitMs: 400 }), {
    constructor: EnvironmentError,
    message: `another render (pid ${process.pid}) still holds ${lock}`,
    hint: /if no render is running, delete /,
  })
  t.same(waits, [process.pid], 'told once')
  t.same(await snapshotTree(root), before, 'nothing written while waiting')

  const waiting = writeOutput(outputFiles(docs.slice(0, 1)), { dir: out, protect: none, onWait: (pid) => waits.push(pid) })
  await new Promise((done) => setTimeout(done, 300))
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, ...WRITTEN].sort(), 'still waiting')
  await import('node:fs/promises').then((fs) => fs.rm(lock))
  await waiting
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, '01-a.yml', 'kustomization.yaml'].sort(), 'written once the lock is free')
  t.same(waits, [process.pid, process.pid])
})

t.test('renders into one folder at once all succeed, one after the other', async (t) => {
  const root = t.testdir({})
  const out = join(root, 'out')
  const runs = [docs, docs.slice(0, 1), docs, docs.slice(1)].map((set) => writeOutput(outputFiles(set), { dir: out, protect: none }))
  const results = await Promise.allSettled(runs)
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
  const names = (await readdir(out)).sort()
  t.ok(
    [[OUTPUT_MARKER, ...WRITTEN], [OUTPUT_MARKER, '01-a.yml', 'kustomization.yaml'], [OUTPUT_MARKER, '02-b.yml', 'kustomization.yaml']]
      .some((set) => JSON.stringify(set.sort()) === JSON.stringify(names)),
    `one whole render: ${names.join(', ')}`,
  )
  t.same(await readdir(root), ['out'], 'no lock or staging left')
})

t.test('file-system failures are environment errors that name the path and the reason', async (t) => {
  const root = t.testdir({ 'a-file': 'x' })
  await t.rejects(writeOutput(outputFiles(docs), { dir: join(root, 'a-file', 'out'), protect: none }), {
    constructor: EnvironmentError,
    message: `cannot create the folder ${join(root, 'a-file')}: a file of that name already exists (EEXIST)`,
    hint: 'move it aside, or choose another folder',
  })
  await t.rejects(writeOutput(outputFiles(docs), { dir: join(root, 'a-file', 'sub', 'out'), protect: none }), {
    constructor: EnvironmentError,
    message: `cannot create the folder ${join(root, 'a-file', 'sub')}: a part of the path is a file, not a folder (ENOTDIR)`,
  })
  t.equal(await readFile(join(root, 'a-file'), 'utf8'), 'x')
})

t.test('a failed write leaves the previous output as it was', async (t) => {
  const root = t.testdir({})
  const out = join(root, 'out')
  await writeOutput(outputFiles(docs), { dir: out, protect: none })
  const before = await snapshotTree(out)
  await t.rejects(writeOutput([{ name: 'sub/x.yml', text: 'boom' }], { dir: out, protect: none }), {
    constructor: EnvironmentError,
    message: /^cannot write .*sub\/x\.yml: no such file or folder \(ENOENT\)/,
  })
  t.same(await snapshotTree(out), before)
  t.same(await readdir(root), ['out'])
})

t.test('the output folder is missing only between two back-to-back renames, never while a folder is deleted', async (t) => {
  const fs = await import('node:fs')
  const out = join(t.testdir({}), 'out')
  const calls: Array<{ call: string; from: string; to?: string; outExists: boolean }> = []
  const recorded = <F extends (...args: never[]) => unknown>(name: string, real: F) =>
    ((...args: Parameters<F>) => {
      const result = real(...args)
      const [from, to] = args as unknown as [string, string?]
      calls.push({ call: name, from, to: typeof to === 'string' ? to : undefined, outExists: fs.existsSync(out) })
      return result
    }) as F
  const { outputFiles: files, writeOutput: write } = await t.mockImport<typeof import('../src/output.js')>('../src/output.js', {
    'node:fs': { ...fs, renameSync: recorded('rename', fs.renameSync), rmSync: recorded('rm', fs.rmSync) },
  })
  await write(files(docs), { dir: out, protect: none })
  for (let i = 0; i < 3; i++) {
    calls.length = 0
    await write(files(i % 2 ? docs : docs.slice(0, 1)), { dir: out, protect: none })
    const gaps = calls.flatMap((c, at) => (c.outExists ? [] : [at]))
    t.equal(gaps.length, 1, `render ${i}: the folder is missing after exactly one call`)
    const [gap = -1] = gaps
    t.match(calls[gap], { call: 'rename', from: out }, 'that call moved the previous output aside')
    t.match(calls[gap + 1], { call: 'rename', to: out, outExists: true }, 'and the next one moved the new output in')
    t.ok(calls.slice(0, gap).every((c) => c.call !== 'rm' || !c.from.startsWith(out + '/') && c.from !== out), 'nothing of the output was deleted before')
  }
})

type FsName = 'renameSync' | 'rmSync' | 'readdirSync' | 'mkdirSync' | 'readFileSync' | 'writeFileSync' | 'statSync' | 'lstatSync'

/**
 * output.ts with one file-system call failing: `fn` throws `code` when its first argument matches `when`
 * (the first time only, unless `always`). Every call's name and first two arguments go to `calls`.
 */
async function outputWithFailing(t: Test, fn: FsName, when: RegExp, code = 'EIO', always = true) {
  const fs = await import('node:fs')
  const calls: string[] = []
  let failed = false
  const wrap = <N extends FsName>(name: N) =>
    ((...args: unknown[]) => {
      calls.push(`${name} ${args.slice(0, 2).filter((a) => typeof a === 'string').join(' ')}`)
      if (name === fn && when.test(String(args[0])) && (always || !failed)) {
        failed = true
        throw Object.assign(new Error(`${code}: mocked`), { code })
      }
      return (fs[name] as (...a: unknown[]) => unknown)(...args)
    }) as unknown as (typeof fs)[N]
  const names: FsName[] = ['renameSync', 'rmSync', 'readdirSync', 'mkdirSync', 'readFileSync', 'writeFileSync', 'statSync', 'lstatSync']
  const module = await t.mockImport<typeof import('../src/output.js')>('../src/output.js', {
    'node:fs': { ...fs, ...Object.fromEntries(names.map((name) => [name, wrap(name)])) },
  })
  return { ...module, calls }
}

t.test('every file-system step names itself and its path when it fails, and the previous output survives', async (t) => {
  const HEX = '[0-9a-f]{8}'
  const cases: Array<[string, FsName, RegExp, (root: string) => RegExp, boolean]> = [
    // [what, call, the path it fails on, the message, whether an output exists before]
    ['moving the new output in', 'renameSync', /-staging-/, (r) => new RegExp(`^cannot rename the new output to ${r}/out: input/output error \\(EIO\\)$`), false],
    ['moving the previous output aside', 'renameSync', /\/out$/, (r) => new RegExp(`^cannot move aside the previous output ${r}/out: `), true],
    ['moving the new output in over the old', 'renameSync', /-staging-/, (r) => new RegExp(`^cannot rename the new output to ${r}/out: `), true],
    ['removing the previous output', 'rmSync', new RegExp(`-old-${HEX}$`), (r) => new RegExp(`^cannot remove the previous output ${r}/\\.out\\.pharos-net-old-${HEX}: `), true],
    ['reading the parent folder', 'readdirSync', /\/root$/, (r) => new RegExp(`^cannot read the folder ${r}: `), true],
    ['reading the output folder', 'statSync', /\/out$/, (r) => new RegExp(`^cannot read the output folder ${r}/out: `), true],
    ['reading the marker', 'readFileSync', /\.kubectl-pharos-net$/, (r) => new RegExp(`^cannot read ${r}/out/\\.kubectl-pharos-net: `), true],
    ['looking for the output', 'lstatSync', /\/out$/, (r) => new RegExp(`^cannot read ${r}/out: `), true],
    ['creating the lock', 'writeFileSync', /\.lock$/, (r) => new RegExp(`^cannot create the lock file ${r}/\\.out\\.pharos-net\\.lock: `), true],
    ['creating the staging folder', 'mkdirSync', /-staging-/, (r) => new RegExp(`^cannot create the folder ${r}/\\.out\\.pharos-net-staging-${HEX}: `), true],
  ]
  for (const [what, fn, when, message, existing] of cases) {
    const root = join(t.testdir({ root: {} }), 'root')
    const out = join(root, 'out')
    if (existing) await writeOutput(outputFiles(docs.slice(0, 1)), { dir: out, protect: none })
    const before = existing ? await snapshotTree(out) : undefined
    const failing = await outputWithFailing(t, fn, when)
    await t.rejects(failing.writeOutput(outputFiles(docs), { dir: out, protect: none }), { constructor: EnvironmentError, message: message(root) }, what)
    if (fn === 'rmSync') {
      t.same((await readdir(out)).sort(), [OUTPUT_MARKER, ...WRITTEN].sort(), `${what}: the new output is in place`)
    } else if (before) {
      t.same(await snapshotTree(out), before, `${what}: the previous output is as it was`)
    }
    const left = (await readdir(root)).filter((name) => name !== 'out' && !/-old-/.test(name))
    t.same(left, [], `${what}: no staging folder or lock left`)
  }
})

t.test('a lock that cannot be read or moved aside is an error; one that vanishes meanwhile is not', async (t) => {
  const root = t.testdir({ '.out.pharos-net.lock': '999999999\n' })
  const out = join(root, 'out')
  const unreadable = await outputWithFailing(t, 'readFileSync', /\.lock$/)
  await t.rejects(unreadable.writeOutput(outputFiles(docs), { dir: out, protect: none }), { message: `cannot read the lock file ${root}/.out.pharos-net.lock: input/output error (EIO)` })
  const stuck = await outputWithFailing(t, 'renameSync', /\.lock$/)
  await t.rejects(stuck.writeOutput(outputFiles(docs), { dir: out, protect: none }), { message: `cannot take over the stale lock file ${root}/.out.pharos-net.lock: input/output error (EIO)` })

  // Another render took the stale lock over first (rename: ENOENT), or released its own (read: ENOENT): try again.
  const overtaken = await outputWithFailing(t, 'renameSync', /\.lock$/, 'ENOENT', false)
  await overtaken.writeOutput(outputFiles(docs), { dir: out, protect: none })
  t.same((await readdir(out)).sort(), [OUTPUT_MARKER, ...WRITTEN].sort())
  await writeFile(join(root, '.out.pharos-net.lock'), '999999999\n')
  const released = await outputWithFailing(t, 'readFileSync', /\.lock$/, 'ENOENT', false)
  await released.writeOutput(outputFiles(docs), { dir: out, protect: none })
  t.same(await readdir(root), ['out'])
})

t.test('staging and previous folders have our names, which a later run recognises', async (t) => {
  const root = t.testdir({})
  const out = join(root, 'out')
  const recorded = await outputWithFailing(t, 'rmSync', /^$/)
  await recorded.writeOutput(outputFiles(docs), { dir: out, protect: none })
  await recorded.writeOutput(outputFiles(docs), { dir: out, protect: none })
  const made = recorded.calls.filter((c) => c.startsWith('mkdirSync ') || c.startsWith('renameSync '))
  t.match(made, [
    new RegExp(`^mkdirSync ${root}$`),
    new RegExp(`^mkdirSync ${root}/\\.out\\.pharos-net-staging-[0-9a-f]{8}$`),
    new RegExp(`^renameSync ${root}/\\.out\\.pharos-net-staging-[0-9a-f]{8} ${out}$`),
    new RegExp(`^mkdirSync ${root}$`),
    new RegExp(`^mkdirSync ${root}/\\.out\\.pharos-net-staging-[0-9a-f]{8}$`),
    new RegExp(`^renameSync ${out} ${root}/\\.out\\.pharos-net-old-[0-9a-f]{8}$`),
    new RegExp(`^renameSync ${root}/\\.out\\.pharos-net-staging-[0-9a-f]{8} ${out}$`),
  ])
  t.equal(made.length, 7)
})

t.test('a path that is a file is refused as such', async (t) => {
  const root = t.testdir({ out: 'a file' })
  await t.rejects(writeOutput(outputFiles(docs), { dir: join(root, 'out'), protect: none, force: true }), {
    constructor: UsageError,
    message: `output path ${join(root, 'out')} is a file, not a folder`,
    hint: 'choose a folder with -o',
  })
  t.equal(await readFile(join(root, 'out'), 'utf8'), 'a file')
})

t.test('repair restores the newest folder moved aside, and only names that are exactly ours go', async (t) => {
  const root = t.testdir({ '.out.pharos-net-old-00000001': { 'which.txt': 'older' } })
  await new Promise((done) => setTimeout(done, 20))
  await mkdir(join(root, '.out.pharos-net-old-00000002'))
  await writeFile(join(root, '.out.pharos-net-old-00000002', 'which.txt'), 'newer')
  const notOurs = ['.out.pharos-netX-old-0123abcd', '.out.pharos-netX.lock.stale-00000000', '.out.pharos-net.lock.stale-00000000x', '.out.pharos-net-old-0123abcdx']
  for (const name of notOurs) await writeFile(join(root, name), 'not ours')
  const out = join(root, 'out')
  await t.rejects(writeOutput(outputFiles(docs), { dir: out, protect: none }), { message: /not written by this tool/ })
  t.equal(await readFile(join(out, 'which.txt'), 'utf8'), 'newer')
  t.same((await readdir(root)).sort(), [...notOurs, 'out'].sort())
  const failing = await outputWithFailing(t, 'rmSync', /\.out\.pharos-net-old-00000009$/)
  await mkdir(join(root, '.out.pharos-net-old-00000009'))
  await t.rejects(failing.writeOutput(outputFiles(docs), { dir: out, protect: none, force: true }), {
    message: `cannot remove the leftover ${root}/.out.pharos-net-old-00000009: input/output error (EIO)`,
  })
  await import('node:fs/promises').then((fs) => fs.rm(out, { recursive: true }))
  const unrestorable = await outputWithFailing(t, 'renameSync', /-old-00000009$/)
  await t.rejects(unrestorable.writeOutput(outputFiles(docs), { dir: out, protect: none }), {
    message: `cannot restore the previous output to ${out}: input/output error (EIO)`,
  })
})

t.test('labelling leaves other aliases alone, and follows a re-used anchor name as YAML does', async (t) => {
  const label = { 'pharos.kontena.io/stack': 'custom-network' }
  const objects = (text: string) => parseAllDocuments(outputStream(checkDocuments([{ source: source('x.yml'), text }]))).map((d) => d.toJS())
  const [unrelated] = objects(
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &l\n    app: a\ndata: &d\n  k: v\nbinaryData: *d\nimmutable: false\n' +
      'extra:\n  labels: *l\n',
  )
  t.same(unrelated.binaryData, { k: 'v' }, 'an alias of another anchor keeps its own value')
  t.same(unrelated.extra.labels, { app: 'a' })
  t.same(unrelated.metadata.labels, { app: 'a', ...label })
  const [reused] = objects(
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &l\n    app: a\ndata: &l\n  k: v\nbinaryData: *l\n',
  )
  t.same(reused.binaryData, { k: 'v' }, 'the alias stands for the later anchor of that name')
  t.same(reused.metadata.labels, { app: 'a', ...label })
})

t.test('images: the kustomization moves them, and the stream shows what kustomize builds', async (t) => {
  const images = [{ name: 'busybox', newName: 'reg.local:5000/library/busybox' }]
  const [pod] = checkDocuments([{
    source: source('01-pod.yml'),
    text: [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p}',
      'spec:',
      '  containers:',
      '  - {name: a, image: &img "busybox:1.36"}  # shared below',
      '  - {name: b, image: "other:1"}',
      '  initContainers: [{name: i, image: busybox}]',
      '  ephemeralContainers: [{name: e, image: "busybox:9"}]',
      '  note: *img',
      '',
    ].join('\n'),
  }])
  const kustomization = parse(outputFiles([pod!], images).find((f) => f.name === 'kustomization.yaml')?.text ?? '')
  t.same(kustomization.images, images, 'images: in the kustomization')
  t.notOk('images' in parse(outputFiles([pod!]).find((f) => f.name === 'kustomization.yaml')?.text ?? ''), 'none without rewrites')

  const stream = outputStream([pod!], images)
  const object = parse(stream)
  t.equal(object.spec.containers[0].image, 'reg.local:5000/library/busybox:1.36', 'the tag is kept')
  t.equal(object.spec.containers[1].image, 'other:1', 'an image of no entry stays')
  t.equal(object.spec.initContainers[0].image, 'reg.local:5000/library/busybox', 'init containers too')
  t.equal(object.spec.ephemeralContainers[0].image, 'busybox:9', 'ephemeral containers are not kustomize\'s to change')
  t.equal(object.spec.note, 'busybox:1.36', 'an alias of the image elsewhere keeps the old value')
  t.match(stream, /# shared below/, 'comments are kept')
  t.equal(outputStream([pod!], images), stream, 'the same bytes again: the documents themselves are not changed')
  t.equal(parse(outputStream([pod!])).spec.containers[0].image, 'busybox:1.36', 'no rewrites, no change')
})

t.test('images: containers reached through an alias, at any depth, of any kind', async (t) => {
  const images = [{ name: 'busybox', newName: 'reg/library/busybox' }]
  const [doc] = checkDocuments([{
    source: source('01-x.yml'),
    text: [
      'apiVersion: example.com/v1',
      'kind: Widget',
      'metadata: {name: w}',
      'spec:',
      '  deep: {containers: &c [{name: a, image: busybox}]}',
      '  again: {containers: *c}',
      '  image: busybox',
      '',
    ].join('\n'),
  }])
  const object = parse(outputStream([doc!], images))
  t.equal(object.spec.deep.containers[0].image, 'reg/library/busybox')
  t.equal(object.spec.again.containers[0].image, 'reg/library/busybox', 'through the alias too')
  t.equal(object.spec.image, 'busybox', 'an image key outside a container list stays')
})

t.test('several folders: all are staged before any is swapped in, so a refused one changes none', async (t) => {
  const root = t.testdir({ b: { 'keep.txt': 'mine' } })
  const [a, b, c] = ['a', 'b', 'c'].map((name) => join(root, name)) as [string, string, string]
  await writeOutput(outputFiles(docs.slice(0, 1)), { dir: a, protect: none })
  const before = await snapshotTree(root)
  await t.rejects(
    writeOutputs([a, b, c].map((dir) => ({ files: outputFiles(docs), options: { dir, protect: none } }))),
    { constructor: UsageError, message: `output folder ${b} is not empty and was not written by this tool` },
  )
  t.same(await snapshotTree(root), before, 'a kept its previous output, c was not created, no staging or lock left')

  await writeOutputs([c, a].map((dir) => ({ files: outputFiles(docs), options: { dir, protect: none } })))
  for (const dir of [a, c]) t.same((await readdir(dir)).sort(), [OUTPUT_MARKER, ...WRITTEN].sort(), `${dir} written`)
  t.same((await readdir(root)).sort(), ['a', 'b', 'c'], 'previous folders removed once all are in')
})

t.test('several folders: when a later swap fails, the folders already swapped get their previous output back', async (t) => {
  const root = join(t.testdir({ root: {} }), 'root')
  const [a, b] = [join(root, 'a'), join(root, 'b')]
  for (const dir of [a, b]) await writeOutput(outputFiles(docs.slice(0, 1)), { dir, protect: none })
  const before = await snapshotTree(root)
  const failing = await outputWithFailing(t, 'renameSync', /\/\.b\.pharos-net-staging-/)
  await t.rejects(
    failing.writeOutputs([b, a].map((dir) => ({ files: outputFiles(docs), options: { dir, protect: none } }))),
    { constructor: EnvironmentError, message: new RegExp(`^cannot rename the new output to ${b}: `) },
  )
  t.same(await snapshotTree(root), before, 'a swapped in, then put back; b as it was; nothing left beside them')
  const swaps = failing.calls.filter((call) => call.startsWith('renameSync '))
  t.match(swaps, [
    new RegExp(`^renameSync ${a} ${root}/\\.a\\.pharos-net-old-`),
    new RegExp(`^renameSync ${root}/\\.a\\.pharos-net-staging-\\w+ ${a}$`),
    new RegExp(`^renameSync ${b} ${root}/\\.b\\.pharos-net-old-`),
    new RegExp(`^renameSync ${root}/\\.b\\.pharos-net-staging-\\w+ ${b}$`),
    new RegExp(`^renameSync ${root}/\\.b\\.pharos-net-old-\\w+ ${b}$`),
    new RegExp(`^renameSync ${a} ${root}/\\.a\\.pharos-net-staging-`),
    new RegExp(`^renameSync ${root}/\\.a\\.pharos-net-old-\\w+ ${a}$`),
  ], 'in path order, then a put back')
})

t.test('several folders: a put-back that fails is named, and the next render restores that folder', async (t) => {
  const root = join(t.testdir({ root: {} }), 'root')
  const [a, b] = [join(root, 'a'), join(root, 'b')]
  for (const dir of [a, b]) await writeOutput(outputFiles(docs.slice(0, 1)), { dir, protect: none })
  const previous = await snapshotTree(a)
  const failing = await outputWithFailing(t, 'renameSync', /\/\.(b\.pharos-net-staging|a\.pharos-net-old)-/)
  await t.rejects(
    failing.writeOutputs([a, b].map((dir) => ({ files: outputFiles(docs), options: { dir, protect: none } }))),
    {
      constructor: EnvironmentError,
      message: new RegExp(`^cannot rename the new output to ${b}: .*; then could not put back ${a}$`),
      hint: /beside it as \.NAME\.pharos-net-old-\*, and the next render into it restores it/,
    },
  )
  t.notOk(existsSync(a), 'a is aside, not deleted')
  t.match((await readdir(root)).sort(), [/^\.a\.pharos-net-old-[0-9a-f]{8}$/, 'b'], 'its previous output beside it')
  await t.rejects(writeOutput([{ name: 'sub/x.yml', text: 'boom' }], { dir: a, protect: none }), { constructor: EnvironmentError, message: /sub\/x\.yml/ })
  t.same(await snapshotTree(a), previous, 'the next render into a put its previous output back first')
})
