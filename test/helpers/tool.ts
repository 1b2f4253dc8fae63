/** Runs the built tool as a user would: `kubectl pharos-net ...` through the real kubectl. */
import { execa } from 'execa'
import { repoRoot, toolEnv } from './paths.js'

export interface ToolRun {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * `env -u NODE_OPTIONS`: tap wraps child processes to inject its loader hooks, which must not reach the
 * process under test; env drops them after the wrap.
 */
export async function kubectl(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<ToolRun> {
  const result = await execa('env', ['-u', 'NODE_OPTIONS', 'kubectl', ...args], {
    cwd: options.cwd ?? repoRoot,
    env: toolEnv(options.env),
    input: options.input,
    reject: false,
  })
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
}

export const pharosNet = (args: string[], options?: Parameters<typeof kubectl>[1]) =>
  kubectl(['pharos-net', ...args], options)
