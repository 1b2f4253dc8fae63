/**
 * The one way the core runs external tools (kubeconform, kubectl): arguments as an array, never a shell,
 * and the ways a tool can fail turned into typed errors that name the command and carry its stderr.
 */
import { execa } from 'execa'
import { EnvironmentError } from './errors.js'

export interface ToolRunOptions {
  /** Written to the tool's stdin. */
  input?: string
  /** Milliseconds; the tool is killed after it. */
  timeout?: number
  env?: Record<string, string | undefined>
  cwd?: string
  /** How to tell the user to get the tool when it is missing. */
  installHint?: string
}

export interface ToolResult {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * Runs `command args...`. A non-zero exit is returned, not thrown: tools such as kubeconform and
 * `kubectl diff` use exit codes for findings. Not found, not runnable and timed out are thrown.
 */
export async function runTool(command: string, args: string[], options: ToolRunOptions = {}): Promise<ToolResult> {
  const result = await execa(command, args, {
    reject: false,
    shell: false,
    stripFinalNewline: false,
    input: options.input,
    timeout: options.timeout,
    env: options.env,
    extendEnv: options.env === undefined,
    cwd: options.cwd,
    maxBuffer: 512 * 1024 * 1024,
  })
  const display = [command, ...args].join(' ')
  if (result.timedOut) {
    throw new EnvironmentError(`${command} timed out after ${options.timeout} ms`, {
      hint: `the command was: ${display}`,
    })
  }
  const code = (result.cause as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') {
    throw new EnvironmentError(`${command} not found`, {
      hint: options.installHint ?? `install ${command} or put it on PATH`,
    })
  }
  if (code === 'EACCES') {
    throw new EnvironmentError(`${command} is not executable`, { hint: `check the permissions of ${command}` })
  }
  if (result.exitCode === undefined) {
    throw new EnvironmentError(`${command} did not run: ${result.shortMessage}`, {
      hint: `the command was: ${display}`,
    })
  }
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) }
}

/** An error for a tool that ran but failed in a way that is not a finding. */
export function toolFailure(command: string, result: ToolResult, hint?: string): EnvironmentError {
  const stderr = result.stderr.trim().split('\n').slice(-10).join('\n')
  return new EnvironmentError(`${command} failed (exit code ${result.exitCode})${stderr ? `: ${stderr}` : ''}`, {
    hint,
  })
}
