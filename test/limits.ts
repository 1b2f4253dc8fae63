import t from 'tap'
import { UsageError } from '../src/errors.js'
import { Budget, DEFAULT_LIMITS, formatLimit, LimitError, resolveLimits } from '../src/limits.js'

t.test('defaults, then PHAROS_NET_LIMITS, then --limit flags, a later one winning', async (t) => {
  t.same(resolveLimits(), DEFAULT_LIMITS)
  const limits = resolveLimits(['file-size=1MiB', 'render-time=90s', 'file-size=2MB'], 'partial-depth=5, render-time=1m,')
  t.equal(limits['file-size'], 2_000_000)
  t.equal(limits['render-time'], 90_000)
  t.equal(limits['partial-depth'], 5)
  t.equal(resolveLimits(['tool-timeout=2'])['tool-timeout'], 2000, 'plain numbers are seconds')
  t.equal(resolveLimits(['output-size=1.5KiB'])['output-size'], 1536)
  t.equal(resolveLimits(['render-time=250ms'])['render-time'], 250)
  t.equal(resolveLimits(['output-size=1.25KiB'])['output-size'], 1280, 'more than one decimal')
  t.equal(resolveLimits(['file-size=2 MiB '])['file-size'], 2 * 1024 * 1024, 'spaces around the unit')
  t.same(['1g', '1GiB', '1GB', '1k', '1KB', '1m'].map((size) => resolveLimits([`output-size=${size}`])['output-size']),
    [2 ** 30, 2 ** 30, 1e9, 1024, 1000, 2 ** 20], 'a unit without B is binary')
  t.same(resolveLimits([], 'file-size=1KiB, ,'), resolveLimits(['file-size=1KiB']), 'blank items in PHAROS_NET_LIMITS are skipped')
})

t.test('bad settings are usage errors that say what is expected', async (t) => {
  const cases: Array<[string[], string | undefined, RegExp, RegExp]> = [
    [['speed=3'], undefined, /--limit: unknown limit speed/, /the limits are file-size, input-size/],
    [['file-size'], undefined, /--limit: file-size is not NAME=VALUE/, /the limits are/],
    [['file-sizes'], undefined, /--limit: file-sizes is not NAME=VALUE/, /the limits are/],
    [['=5'], undefined, /--limit: =5 is not NAME=VALUE/, /the limits are/],
    [['template-steps=1.5'], undefined, /not a valid value/, /positive whole number/],
    [['yaml-nodes=1.5'], undefined, /not a valid value/, /positive whole number/],
    [['file-size=2 MiB x'], undefined, /file-size=2 MiB x is not a valid value/, /write a size such as 16MiB/],
    [['file-size=big'], undefined, /file-size=big is not a valid value/, /write a size such as 16MiB/],
    [['render-time=5 fortnights'], undefined, /not a valid value/, /write a duration such as 5s/],
    [['partial-depth=0'], undefined, /not a valid value/, /positive whole number/],
    [['partial-depth=2.5'], undefined, /not a valid value/, /positive whole number/],
    [[], 'yaml-nodes=-4', /PHAROS_NET_LIMITS: yaml-nodes=-4 is not a valid value/, /whole number/],
  ]
  for (const [flags, env, message, hint] of cases) {
    const error = (() => {
      try {
        return resolveLimits(flags, env)
      } catch (e) {
        return e
      }
    })()
    t.type(error, UsageError, flags.join(' ') || env)
    t.match(error, { message, hint })
  }
})

t.test('a limit error names the limit, its value and how to raise it', async (t) => {
  const limits = resolveLimits(['output-size=4KiB'])
  const error = new LimitError('output-size', 'too much', { file: 'a.yml', line: 3, limits })
  t.equal(error.exitCode, 2)
  t.equal(error.message, 'too much (limit output-size: 4KiB)')
  t.equal(error.hint, 'if the input is trusted and really this large, raise the limit: --limit output-size=16KiB (or PHAROS_NET_LIMITS=output-size=16KiB)')
  t.equal(error.line, 3)
  t.equal(formatLimit('render-time', 5000), '5s')
  t.equal(formatLimit('render-time', 1500), '1500ms')
  t.equal(formatLimit('file-size', 1000), '1000')
  t.same(['yaml-nodes', 'template-steps', 'partial-depth'].map((limit) => formatLimit(limit as 'yaml-nodes', 2048)), ['2048', '2048', '2048'], 'counts have no unit')
  t.equal(new LimitError('partial-depth', 'too deep').message, 'too deep (limit partial-depth: 20)', 'without the run\'s limits, the default')
})

t.test('a budget counts what a run uses and throws when it is spent', async (t) => {
  const budget = new Budget('input-size', resolveLimits(['input-size=10']))
  budget.use(6, () => 'first')
  t.equal(budget.remaining, 4)
  budget.use(4, () => 'second')
  t.throws(() => budget.use(1, () => 'one byte too many', { file: 'x.yml' }), { message: /^one byte too many \(limit input-size: 10\)/, file: 'x.yml' })
})
