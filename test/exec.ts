import t from 'tap'
import { EnvironmentError, InterruptedError } from '../src/errors.js'
import { runTool, timeBound } from '../src/exec.js'

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
    const after = await sh('echo ran', { signal: controller.signal }).catch((e: unknown) => e)
    t.type(after, InterruptedError, `${signal}: nothing starts once interrupted`)
  }
})

t.test('a missing tool is an EnvironmentError; a non-zero exit is returned', async (t) => {
  await t.rejects(runTool('/nonexistent/kubeconform', [], { installHint: 'get it' }), { message: '/nonexistent/kubeconform not found', hint: 'get it' })
  t.same(await sh('echo out; echo err >&2; exit 1'), { exitCode: 1, stdout: 'out\n', stderr: 'err\n' })
})
