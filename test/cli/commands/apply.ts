import t from 'tap'
import { parseDuration } from '../../../src/cli/commands/apply.js'
import { UsageError } from '../../../src/errors.js'

t.test('durations', async (t) => {
  t.equal(parseDuration('90'), 90)
  t.equal(parseDuration('90s'), 90)
  t.equal(parseDuration('5m'), 300)
  t.equal(parseDuration('1h'), 3600)
  t.throws(() => parseDuration('5 minutes'), UsageError)
})
