/**
 * Hostile input, the "bad input is exit 2 with a location, never a crash" class, and the "read, leak or
 * print what it should not" class: encodings, special files and links in the manifest folder, a manifest
 * path leading out of the repository, ENV in cluster.yml.erb, terminal escapes in names, clock and
 * randomness in templates, and a command line typed in a hurry. Each case runs the built CLI under the
 * heap and time caps of test/helpers/hostile.ts and checks that nothing outside its sandbox changed.
 */
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { XMLValidator } from 'fast-xml-parser'
import { hostileSandbox, runHostile, snapshotTree, type HostileRun } from '../helpers/hostile.js'

const config = (path = './net', extra = '') => `network:\n  provider: custom\n  custom:\n    manifest_path: ${path}\n${extra}`
const cm = (name = 'cm') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`

interface Sandbox {
  work: string
  outside: string
  home: string
}

async function sandbox(t: Test, files: Record<string, string | Buffer>): Promise<Sandbox> {
  const box = await hostileSandbox(t.testdir({}))
  await writeFile(join(box.outside, 'secret.yml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\nstringData:\n  token: s3cr3t\n')
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(box.work, path, '..'), { recursive: true })
    await writeFile(join(box.work, path), content)
  }
  return box
}

/** exit 2, the located first line, a hint, no stack trace, and `outside/` and `home/` as they were. */
async function expectBadInput(t: Test, box: Sandbox, args: string[], at: RegExp, env: Record<string, string> = {}): Promise<HostileRun> {
  const before = { outside: await snapshotTree(box.outside), home: await snapshotTree(box.home) }
  const run = await runHostile(args, { cwd: box.work, env })
  t.equal(run.exitCode, 2, run.stderr)
  t.match(run.stderr, at)
  t.match(run.stderr, /hint: /)
  t.notMatch(run.stderr, /this is a bug|\n\s+at .*:\d+:\d+\)/, 'not reported as a bug, no stack trace')
  t.notOk(run.timedOut, 'within the time cap')
  t.same({ outside: await snapshotTree(box.outside), home: await snapshotTree(box.home) }, before, 'nothing outside work/ changed')
  return run
}

t.test('encodings: UTF-16 and invalid UTF-8 are refused where they are, never replaced', async (t) => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(cm(), 'utf16le')])
  const latin1 = Buffer.from(`${cm()}  caf\xe9: x\n`, 'latin1')
  const box = await sandbox(t, { 'cluster.yml': config(), 'net/01.yml': utf16 })
  await expectBadInput(t, box, ['render'], /^net\/01\.yml:1:1: error: .*UTF-16/)
  await writeFile(join(box.work, 'net/01.yml'), latin1)
  await expectBadInput(t, box, ['render'], /^net\/01\.yml:7:6: error: invalid UTF-8: byte 0xe9/)
  await writeFile(join(box.work, 'net/01.yml'), cm())
  await writeFile(join(box.work, 'cluster.yml'), Buffer.from(`${config()}# \xff\n`, 'latin1'))
  await expectBadInput(t, box, ['render'], /^cluster\.yml:5:3: error: invalid UTF-8/)
  const stdin = await runHostile(['validate', '-'], { cwd: box.work, input: latin1 })
  t.equal(stdin.exitCode, 2, 'stdin is read as bytes too')
  t.match(stdin.stderr, /^<stdin>:7:6: error: invalid UTF-8: byte 0xe9/)
})

t.test('special files in the manifest folder are refused, never opened for a read that blocks', async (t) => {
  const box = await sandbox(t, { 'cluster.yml': config(), 'net/01.yml': cm() })
  await execa('mkfifo', [join(box.work, 'net/02-pipe.yml')])
  await expectBadInput(t, box, ['render'], /^net\/02-pipe\.yml: error: .*FIFO/)
  await execa('rm', [join(box.work, 'net/02-pipe.yml')])

  await symlink('nowhere.yml', join(box.work, 'net/03-dangling.yml'))
  await expectBadInput(t, box, ['render'], /^net\/03-dangling\.yml: error: manifest 03-dangling\.yml is a link to nothing/)
  await execa('rm', [join(box.work, 'net/03-dangling.yml')])

  await symlink('04-loop.yml', join(box.work, 'net/04-loop.yml'))
  await expectBadInput(t, box, ['render'], /^net\/04-loop\.yml: error: .*loop/)
  await execa('rm', [join(box.work, 'net/04-loop.yml')])

  await symlink('/dev/zero', join(box.work, 'net/05-zero.yml'))
  await expectBadInput(t, box, ['render'], /^net\/05-zero\.yml: error: .*outside the manifest folder/)
  await execa('rm', [join(box.work, 'net/05-zero.yml')])

  const mknod = await execa('mknod', [join(box.work, 'net/06-null.yml'), 'c', '1', '3'], { reject: false })
  if (mknod.exitCode === 0) {
    await expectBadInput(t, box, ['render'], /^net\/06-null\.yml: error: .*a device, not a regular file/)
    await execa('rm', [join(box.work, 'net/06-null.yml')])
  } else {
    t.comment(`mknod is not allowed here (${mknod.stderr.trim()}): the device case is not tried`)
  }

  await mkdir(join(box.work, 'net/07-folder.yml'))
  const run = await runHostile(['render', '--debug'], { cwd: box.work })
  t.equal(run.exitCode, 0, 'a folder with a manifest name is passed over, as the folder is read non-recursively')
  t.match(run.stderr, /ignored 07-folder\.yml/)
})

t.test('the manifest path and links stay inside the folder holding cluster.yml', async (t) => {
  const box = await sandbox(t, { 'cluster.yml': config('../outside'), 'net/01.yml': cm() })
  const run = await expectBadInput(t, box, ['render'], /^cluster\.yml:4:20: error: network\.custom\.manifest_path leads outside the folder holding cluster\.yml/)
  t.notMatch(run.stderr, /s3cr3t/, 'nothing of the outside file is printed')
  t.match(run.stderr, /--allow-outside-manifests/)
  await writeFile(join(box.work, 'cluster.yml'), config(JSON.stringify(join(box.outside, 'secret.yml'))))
  await expectBadInput(t, box, ['render'], /^cluster\.yml:4:20: error: .*leads outside/)
  await symlink(box.outside, join(box.work, 'linked'))
  await writeFile(join(box.work, 'cluster.yml'), config('./linked'))
  await expectBadInput(t, box, ['render'], /^cluster\.yml:4:20: error: .*leads outside/)
  await symlink(join(box.outside, 'secret.yml'), join(box.work, 'net/02-secret.yml'))
  await writeFile(join(box.work, 'cluster.yml'), config())
  await expectBadInput(t, box, ['render'], /^net\/02-secret\.yml: error: manifest 02-secret\.yml is a link to .*, outside the manifest folder/)

  await writeFile(join(box.work, 'cluster.yml'), config('../outside'))
  await execa('rm', [join(box.work, 'net/02-secret.yml')])
  const allowed = await runHostile(['render', '--allow-outside-manifests'], { cwd: box.work })
  t.equal(allowed.exitCode, 0, 'the user may opt out')
  t.match(allowed.stdout, /name: stolen/)
})

t.test('ENV in cluster.yml.erb shows only what the user allows', async (t) => {
  const box = await sandbox(t, {
    'cluster.yml.erb': config('./net', "    options:\n      all: <%= ENV.to_json %>\n      cidr: <%= ENV['CLUSTER_CIDR'] %>\n"),
    'net/01.yml.liquid': `${cm()}  env: '{{ options.all | to_json }}'\n`,
  })
  const env = { CI_SECRET: 's3cr3t', CLUSTER_CIDR: '10.0.0.0/16' }
  const refused = await expectBadInput(t, box, ['render'], /^cluster\.yml\.erb:7:20: error: ENV\['CLUSTER_CIDR'\] is not visible/, env)
  t.notMatch(refused.stderr + refused.stdout, /s3cr3t|10\.0\.0\.0/)
  const allowed = await runHostile(['render', '--allow-env', 'CLUSTER_*'], { cwd: box.work, env })
  t.equal(allowed.exitCode, 0, allowed.stderr)
  t.match(allowed.stdout, /env: '\{"CLUSTER_CIDR":"10\.0\.0\.0\/16"\}'/)
  t.notMatch(allowed.stdout, /s3cr3t/, 'ENV.to_json holds the allowed variables only')
  const fromEnv = await runHostile(['render'], { cwd: box.work, env: { ...env, PHAROS_NET_ALLOW_ENV: 'CLUSTER_CIDR' } })
  t.equal(fromEnv.exitCode, 0, 'PHAROS_NET_ALLOW_ENV, for Argo CD')
})

t.test('a source named as a kustomization is refused, whatever the spelling kustomize reads', async (t) => {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization', 'kustomization.yml.liquid']) {
    const box = await sandbox(t, { 'cluster.yml': config(), 'net/01.yml': cm(), [`net/${name}`]: cm('k') })
    const file = name.replace(/\./g, '\\.')
    if (name === 'Kustomization') {
      // Not a manifest name: passed over like any other file.
      const run = await runHostile(['render'], { cwd: box.work })
      t.equal(run.exitCode, 0, name)
      continue
    }
    await expectBadInput(t, box, ['render', '-o', 'out'], new RegExp(`^net/${file}: error: .*second kustomization`))
  }
})

t.test('names with terminal escapes are printed escaped', async (t) => {
  const evil = 'x\u001b]0;pwned\u0007\u001b[2J\u202eevil'
  const box = await sandbox(t, { 'cluster.yml': config(), 'net/01.yml': `${cm(JSON.stringify(evil))}`, 'net/02.yml': `${cm(JSON.stringify(evil))}` })
  const run = await expectBadInput(t, box, ['render'], /is defined twice/)
  t.notMatch(run.stderr, /[\u001b\u0007\u202e]/, 'no raw control character reaches the terminal')
  t.match(run.stderr, /x\\x1b\]0;pwned\\x07\\x1b\[2J\\u202eevil/)
})

t.test('validate -o junit is well-formed XML for any name', async (t) => {
  const nasty = `a<b>&"'\u0001\u001b\ud800-${'x'.repeat(10)}`
  const box = await sandbox(t, {})
  await writeFile(join(box.work, 'odd.yml'), `${cm(JSON.stringify(nasty))}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: "p\\u0002"\nspec: {}\n`)
  await mkdir(join(box.work, 'no-schemas'))
  const run = await runHostile(['validate', 'odd.yml', '-o', 'junit', '--schema-location', join(box.work, 'no-schemas')], { cwd: box.work })
  t.equal(run.exitCode, 1, run.stderr)
  t.equal(XMLValidator.validate(run.stdout), true, 'parses as XML')
  t.notMatch(run.stdout, /[\u0001\u0002\u001b]/)
})

t.test('templates render the same output on every run, whatever the clock, TZ or locale', async (t) => {
  const box = await sandbox(t, {
    // Quoted: Pharos' YAML.safe_load refused an unquoted timestamp (a Ruby Time), and so does cluster.yml here.
    'cluster.yml': config('./net', "    options:\n      released: '2024-02-29T23:30:00Z'\n"),
    'net/01.yml.liquid': `${cm()}  date: '{{ options.released | date: "%Y-%m-%d %H:%M %Z" }}'\n  day: '{{ "2024-03-01T00:30:00+01:00" | date: "%A %d %B" }}'\n`,
  })
  const outputs = new Set<string>()
  for (const env of [{ TZ: 'UTC', LANG: 'C' }, { TZ: 'Pacific/Kiritimati', LANG: 'de_DE.UTF-8' }, { TZ: 'America/Adak', LANG: 'ja_JP.UTF-8' }]) {
    const run = await runHostile(['render'], { cwd: box.work, env })
    t.equal(run.exitCode, 0, run.stderr)
    outputs.add(run.stdout)
  }
  t.equal(outputs.size, 1, 'byte-identical across TZ and LANG')
  t.match([...outputs][0], /date: '2024-02-29 23:30 /)
  for (const [template, at] of [
    ['{{ "now" | date: "%Y" }}', /now.* would make every render differ/],
    ["{{ 'today' | date_to_xmlschema }}", /today.* would make every render differ/],
    ['{{ "a,b,c" | split: "," | sample }}', /sample picks at random/],
  ] as const) {
    await writeFile(join(box.work, 'net/01.yml.liquid'), `${cm()}  x: '${template}'\n`)
    await expectBadInput(t, box, ['render'], new RegExp(`^net/01\\.yml\\.liquid:7:\\d+: error: .*${at.source}`))
  }
})

t.test('a command line typed in a hurry', async (t) => {
  const box = await sandbox(t, { 'cluster.yml': config(), 'net/01.yml': cm() })
  // render takes several -c (a fleet); validate takes one.
  const twice = await runHostile(['validate', '-c', 'cluster.yml', '-c', 'other.yml'], { cwd: box.work })
  t.equal(twice.exitCode, 2)
  t.match(twice.stderr, /--config was given more than once \(cluster\.yml, other\.yml\)/)
  const fleet = await runHostile(['render', '-c', 'cluster.yml', '-c', 'other.yml'], { cwd: box.work })
  t.equal(fleet.exitCode, 2)
  t.match(fleet.stderr, /2 configs render a fleet, one folder per cluster, which standard output cannot hold/)
  const limit = await runHostile(['render', '--limit', 'file-size=lots'], { cwd: box.work })
  t.equal(limit.exitCode, 2)
  t.match(limit.stderr, /--limit: file-size=lots is not a valid value/)
  const unknown = await runHostile(['render', '--limit', 'speed=11'], { cwd: box.work })
  t.equal(unknown.exitCode, 2)
  t.match(unknown.stderr, /unknown limit speed.*\n.*hint: the limits are file-size, /)

  await writeFile(join(box.work, 'package.json'), '{"name": "someone-else", "version": "9.9.9"}\n')
  const version = await runHostile(['--version'], { cwd: box.work })
  const ours = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(version.stdout.trim(), ours.version, 'our own version, not the package.json where the user stands')
  // `--version` alone skips the parser (bin/kubectl-pharos_net); with another flag, yargs answers it.
  const parsed = await runHostile(['--version', '--quiet'], { cwd: box.work })
  t.equal(version.stdout, parsed.stdout, 'the quick --version prints what the parser prints')
  t.equal(version.exitCode, 0)

  for (const command of ['', 'render', 'validate', 'schemas', 'apply', 'diff', 'init']) {
    const help = await runHostile([...(command ? [command] : []), '--help'], { cwd: box.work })
    t.equal(help.exitCode, 0, `${command} --help`)
    const options = help.stdout.split('\n').filter((line) => /^\s+(-\w, )?--[\w-]+/.test(line))
    t.ok(options.length > 2, `${command}: options listed`)
    for (const line of options) {
      t.match(line, /^\s+(-\w, )?--[\w-]+\s+\S.*\S/, `${command}: described: ${line.trim()}`)
      t.notMatch(line.replace(/^\s+(-\w, )?--[\w-]+\s+/, '').replace(/\s+\[.*$/, ''), /^\[/, `${command}: a description, not only a type: ${line.trim()}`)
    }
    t.notMatch(help.stdout, /\w\n\s+\w+\)? +\[(string|boolean|array)/, `${command}: no word cut across lines when piped`)
    t.match(help.stdout, /kubectl pharos-net/, `${command}: examples and usage name the command`)
  }
})
