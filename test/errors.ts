import t from 'tap'
import { codeFrame, InputErrors, InterruptedError, PharosError } from '../src/errors.js'

t.test('an excerpt shows the line with its neighbours and a caret', async (t) => {
  t.equal(codeFrame('a: 1\nb: 2\nc: 3\n', 2, 4), '  1 | a: 1\n> 2 | b: 2\n    |    ^\n  3 | c: 3')
  t.equal(codeFrame('only\r\n', 1, 1), '> 1 | only\n    | ^\n  2 | ', 'CR LF line ends')
})

t.test('long lines are cut to a window around the column', async (t) => {
  const long = `${'a'.repeat(500)}X${'b'.repeat(500)}`
  const frame = codeFrame(`x: 1\n${long}\n`, 2, 501)
  const [, line = '', caret = ''] = frame.split('\n')
  t.ok(line.length < 140, `cut: ${line.length} characters`)
  t.match(line, /^> 2 \| …a+Xb+…$/)
  t.equal(line.indexOf('X'), caret.indexOf('^'), 'the caret still points at the column')
  const start = codeFrame(long, 1, 2).split('\n')
  t.match(start[0], /^> 1 \| a+…$/, 'no ellipsis before the start of a line')
  t.equal(start[1]?.indexOf('^'), '> 1 | '.length + 1)
  const end = codeFrame(long, 1, 1001).split('\n')
  t.match(end[0], /^> 1 \| …b{120}$/, 'no ellipsis after its end')
  t.equal((end[1] ?? '').indexOf('^'), (end[0] ?? '').length - 1)
})

t.test('a line of exactly the window is shown whole', async (t) => {
  const line = 'x'.repeat(120)
  t.equal(codeFrame(line, 1, 120).split('\n')[0], `> 1 | ${line}`)
  t.equal(codeFrame(`${line}y`, 1, 121).split('\n')[0], `> 1 | …${'x'.repeat(119)}y`)
})

t.test('several input problems: one message, the first one\'s place', async (t) => {
  const errors = new InputErrors([{ message: 'a is wrong', file: 'c.yml', line: 2 }, { message: 'b is wrong', file: 'c.yml', line: 5 }])
  t.equal(errors.message, 'a is wrong; b is wrong')
  t.equal(errors.exitCode, 2)
  t.match(errors.toDiagnostic(), { message: 'a is wrong', line: 2 })
  t.match(new InputErrors([]).toDiagnostic(), { message: '' })
})

t.test('an interruption exits as the shell does for its signal', async (t) => {
  t.match(new InterruptedError('SIGINT'), { name: 'InterruptedError', message: 'interrupted', exitCode: 130 })
  t.equal(new InterruptedError('SIGTERM').exitCode, 143)
  t.notOk(new InterruptedError('SIGINT') instanceof PharosError)
})
