/** Runs the CLI in-process through main(argv, io), capturing what it prints. */
import { Readable } from 'node:stream'
import { main } from '../../src/cli/main.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export async function runCli(
  argv: string[],
  options: { cwd: string; env?: Record<string, string>; stderrIsTTY?: boolean; stdin?: string },
): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.stderrIsTTY ?? false },
    stdin: options.stdin === undefined ? undefined : Readable.from([options.stdin]),
    cwd: options.cwd,
    env: options.env ?? {},
  })
  return { code, stdout, stderr }
}
