/**
 * A stand-in kubectl for unit tests (fakes of tools belong there only; the e2e layer runs the real one):
 * a shell script that logs each call's arguments to `calls` and answers by the first subcommand word it
 * finds, with the shell snippet given for it; anything else runs `otherwise` (by default: exit 9).
 */
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubectlTarget } from '../../src/cluster.js'

export async function fakeKubectl(dir: string, answers: Record<string, string>, otherwise = 'exit 9'): Promise<KubectlTarget> {
  const path = join(dir, 'kubectl')
  await writeFile(path, [
    '#!/bin/sh',
    `echo "$@" >> ${join(dir, 'calls')}`,
    'case " $* " in',
    ...Object.entries(answers).map(([word, answer]) => `  *" ${word} "*) ${answer} ;;`),
    `  *) ${otherwise} ;;`,
    'esac', '',
  ].join('\n'))
  await chmod(path, 0o755)
  return { kubectl: path, env: { PATH: process.env.PATH } }
}
