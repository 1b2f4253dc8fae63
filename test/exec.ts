import t from 'tap'
import { EnvironmentError, InterruptedError } from '../src/errors.js'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runTool, timeBound, toolFailure } from '../src/exec.js'

const sh = (script: string, options: Parameters<typeof runTool>[2] = {}) => runTool('sh', ['-c', script], options)

t.test('a tool never gets our stdin: closed unless we feed it', async (t) => {
  const closed = await sh('readlink /proc/self/fd/0; cat')
  t.equal(closed.stdout, '/dev/null\n', 'stdin is /dev/null, so a prompt reads end-of-file at once')
  const fed = await sh('cat', { input: 'kind: ConfigMap\n' })
  t.equal(fed.stdout, 'kind: ConfigMap\n', 'input is written to it')
})

t.test('the tool-timeout limit stops a tool, and the helpers it started', async (t) => {
  const started = Date.now()
  // sh waits for a sleep that holds our pipes: stopping sh alone would leave us waiting for the sleep.
  const error = await sh('sleep 30; echo done', { toolTimeout: 300 }).catch((e: unknown) => e)
  t.ok(Date.now() - started < 5000, `returned in ${Date.now() - started} ms`)
  t.type(error, EnvironmentError)
  t.match((error as EnvironmentError).message, /^sh did not finish within 300ms \(limit tool-timeout\) and was stopped$/)
  t.match((error as EnvironmentError).hint, /--limit tool-timeout=1200ms .*PHAROS_NET_LIMITS=tool-timeout=1200ms/)
})

t.test("a run's deadline (apply's --timeout) bounds every call, and is named when it is the tighter", async (t) => {
  const deadline = { at: Date.now() + 300, flag: '--timeout', value: '5m' }
  const error = await sh('sleep 30', { deadline }).catch((e: unknown) => e)
  t.type(error, EnvironmentError)
  t.match((error as EnvironmentError).message, 'sh did not finish within --timeout 5m')
  t.match((error as EnvironmentError).hint, /larger --timeout/)

  const spent = { at: Date.now() - 1, flag: '--timeout', value: '1s' }
  const notRun = await sh('echo ran > /dev/stderr', { deadline: spent }).catch((e: unknown) => e)
  t.match((notRun as Error).message, 'did not finish within --timeout 1s', 'nothing starts after the deadline')

  t.same(timeBound({ toolTimeout: 1000, deadline: { at: 10_000, flag: '--timeout', value: '10s' } }, 0), { ms: 1000, toolTimeout: 1000 })
  t.equal(timeBound({ toolTimeout: 60_000, deadline: { at: 10_000, flag: '--timeout', value: '10s' } }, 0).deadline?.flag, '--timeout')
  t.equal(timeBound({}, 0).ms, 600_000, 'the default limit: 10 minutes')
  t.same(timeBound({ toolTimeout: 10_000, deadline: { at: 10_000, flag: '--timeout', value: '10s' } }, 0), { ms: 10_000, toolTimeout: 10_000 }, 'a tie names the limit')
})

t.test('SIGINT and SIGTERM stop the running tool and become InterruptedError', async (t) => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const controller = new AbortController()
    setTimeout(() => controller.abort(signal), 200)
    const started = Date.now()
    const error = await sh('sleep 30; echo done', { signal: controller.signal }).catch((e: unknown) => e)
    t.ok(Date.now() - started < 5000, `${signal}: returned in ${Date.now() - started} ms`)
    t.type(error, InterruptedError)
    t.equal((error as InterruptedError).exitCode, code)
    t.equal((error as InterruptedError).message, 'interrupted')
    t.equal((error as InterruptedError).signal, signal)
    const after = await sh('echo ran', { signal: controller.signal }).catch((e: unknown) => e)
    t.type(after, InterruptedError, `${signal}: nothing starts once interrupted`)
  }
})

t.test('a missing tool is an EnvironmentError; a non-zero exit is returned', async (t) => {
  await t.rejects(runTool('/nonexistent/kubeconform', [], { installHint: 'get it' }), { message: '/nonexistent/kubeconform not found', hint: 'get it' })
  t.same(await sh('echo out; echo err >&2; exit 1'), { exitCode: 1, stdout: 'out\n', stderr: 'err\n' })
})

t.test('a stopped tool gets SIGTERM first, and SIGKILL if it ignores that', async (t) => {
  const dir = t.testdir({})
  const log = join(dir, 'signals')
  await sh(`trap 'echo TERM > ${log}; exit 1' TERM; sleep 30 & wait`, { toolTimeout: 300 }).catch(() => undefined)
  t.equal(await readFile(log, 'utf8'), 'TERM\n', 'the tool could clean up')
  const started = Date.now()
  const error = await sh("trap '' TERM; sleep 30", { toolTimeout: 300 }).catch((e: unknown) => e)
  t.match(error, { message: /did not finish within 300ms/ })
  t.ok(Date.now() - started < 10_000, `a tool that ignores SIGTERM is killed (${Date.now() - started} ms), not waited for`)
})

t.test('a limit longer than a timer holds (24 days) does not fire at once', async (t) => {
  t.same(await sh('echo ok', { toolTimeout: 2 ** 32 }), { exitCode: 0, stdout: 'ok\n', stderr: '' })
})

t.test('env replaces the environment when given, else the tool inherits ours', async (t) => {
  const script = 'echo "${PHAROS_EXEC_TEST:-unset} ${ONLY:-unset}"'
  process.env.PHAROS_EXEC_TEST = 'ours'
  t.teardown(() => delete process.env.PHAROS_EXEC_TEST)
  t.equal((await sh(script)).stdout, 'ours unset\n')
  t.equal((await sh(script, { env: { ONLY: 'given', PATH: process.env.PATH } })).stdout, 'unset given\n')
})

t.test('each way a tool cannot run is named, with what to do', async (t) => {
  await t.rejects(runTool('/nonexistent/kubectl', []), { constructor: EnvironmentError, message: '/nonexistent/kubectl not found', hint: 'install /nonexistent/kubectl or put it on PATH' })
  const dir = t.testdir({})
  const tool = join(dir, 'tool')
  await writeFile(tool, '#!/bin/sh\necho hi\n')
  await chmod(tool, 0o644)
  await t.rejects(runTool(tool, ['--version']), { constructor: EnvironmentError, message: `${tool} is not executable`, hint: `check the permissions of ${tool}` })
  await t.rejects(sh('kill -KILL $$'), { constructor: EnvironmentError, message: /^sh did not run: /, hint: 'the command was: sh -c kill -KILL $$' }, 'killed from outside, with no exit code')
})

t.test('an abort listener lives only as long as its call', async (t) => {
  const listeners = new Set<unknown>()
  const signal = {
    aborted: false,
    reason: undefined,
    addEventListener: (_: string, listener: unknown) => listeners.add(listener),
    removeEventListener: (type: string, listener: unknown) => type === 'abort' && listeners.delete(listener),
  } as unknown as AbortSignal
  await sh('true', { signal })
  await sh('true', { signal })
  t.equal(listeners.size, 0)
})

t.test("a failed tool's error: its exit code and the last ten lines of its stderr", async (t) => {
  const stderr = `\n${Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n')}\n\n`
  const error = toolFailure('kubectl', { exitCode: 1, stdout: '', stderr }, 'check the cluster')
  t.equal(error.message, `kubectl failed (exit code 1): ${Array.from({ length: 10 }, (_, i) => `line ${i + 3}`).join('\n')}`)
  t.equal(error.hint, 'check the cluster')
  t.equal(toolFailure('kubectl', { exitCode: 2, stdout: 'out', stderr: ' \n' }).message, 'kubectl failed (exit code 2)')
})
