import t from 'tap'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { toolsBinDir } from '../../helpers/paths.js'
import { testSchemaDir } from '../../helpers/schemas.js'

const twoObjects = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n'

t.test('a status line on a terminal while kubeconform runs, nothing otherwise', async (t) => {
  const schemas = await testSchemaDir()
  const cwd = t.testdir({ 'set.yml': twoObjects })
  const argv = ['validate', 'set.yml', '--schema-location', schemas, '--kubeconform', join(toolsBinDir, 'kubeconform')]

  const terminal = await runCli(argv, { cwd, stderrIsTTY: true })
  t.equal(terminal.code, 0, terminal.stderr)
  t.equal(terminal.stderr, 'validating 2 objects from 1 file with kubeconform…\r\x1b[K', 'shown, then erased')
  t.match(terminal.stdout, /2 resources: 2 valid/)

  const piped = await runCli(argv, { cwd })
  t.equal(piped.stderr, '', 'quiet when stderr is not a terminal')
  t.equal(piped.stdout, terminal.stdout, 'the same report')
  t.equal((await runCli([...argv, '--quiet'], { cwd, stderrIsTTY: true })).stderr, '', 'and with --quiet')

  const parsed = await runCli([...argv, '--upgrade-apis'], { cwd, stderrIsTTY: true })
  t.equal(parsed.stderr, terminal.stderr, 'the parsed route shows the same line')
})
