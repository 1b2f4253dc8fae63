import t from 'tap'
import { readFileSync } from 'node:fs'
import { toolVersion } from '../src/version.js'

t.test('from src/, the version is the package.json beside it', async (t) => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(toolVersion(), version)
  t.match(version, /^\d+\.\d+\.\d+/)
})
