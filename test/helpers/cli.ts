/** Runs the CLI in-process through main(argv, io), capturing what it prints. */
import { main } from '../../src/cli/main.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export async function runCli(
  argv: string[],
  options: { cwd: string; env?: Record<string, string>; stderrIsTTY?: boolean },
): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.stderrIsTTY ?? false },
    cwd: options.cwd,
    env: options.env ?? {},
  })
  return { code, stdout, stderr }
}
