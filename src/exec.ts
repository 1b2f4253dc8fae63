/**
 * The one way the core runs external tools (kubeconform, kubectl): arguments as an array, never a shell,
 * never our stdin, always under a time limit and stoppable by SIGINT/SIGTERM; the ways a tool can fail
 * turned into typed errors that name the command and carry its stderr.
 */
import { execa } from 'execa'
import { EnvironmentError, InterruptedError } from './errors.js'
import { DEFAULT_LIMITS, formatLimit, LIMITS_ENV } from './limits.js'

/** What bounds every tool call of a run; commands pass it down from the CLI. */
export interface ToolLimits {
  /** Milliseconds one call may run: the tool-timeout limit (default: its default). */
  toolTimeout?: number
  /** When (epoch ms) every call of the run must be done, and the flag that set it (apply's --timeout). */
  deadline?: Deadline
  /** Aborted on SIGINT/SIGTERM, with the signal's name as its reason: the running tool is stopped. */
  signal?: AbortSignal
}

export interface Deadline {
  at: number
  /** The flag that set it, and its value: `--timeout`, `5m`. */
  flag: string
  value: string
}

export interface ToolRunOptions extends ToolLimits {
  /** Written to the tool's stdin; without it the tool's stdin is closed, so it can never wait for a person. */
  input?: string
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
 * `kubectl diff` use exit codes for findings. Not found, not runnable and timed out are thrown
 * (EnvironmentError), and so is an interruption (InterruptedError).
 */
export async function runTool(command: string, args: string[], options: ToolRunOptions = {}): Promise<ToolResult> {
  throwIfInterrupted(options.signal)
  const bound = timeBound(options)
  if (bound.ms <= 0) throw timedOut(command, bound)
  const subprocess = execa(command, args, {
    reject: false,
    shell: false,
    stripFinalNewline: false,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    // Its own process group, stopped as a whole: a helper it started (a kubectl credential plugin) would
    // otherwise keep its pipes open, and us waiting, after the tool itself was stopped.
    detached: true,
    env: options.env,
    extendEnv: options.env === undefined,
    cwd: options.cwd,
    maxBuffer: 512 * 1024 * 1024,
  })
  let stopped: 'timeout' | 'signal' | undefined
  const stop = (why: 'timeout' | 'signal') => {
    stopped ??= why
    stopGroup(subprocess.pid)
  }
  // Node's timers hold at most 2^31-1 ms (24 days); a longer one would fire at once.
  const timer = setTimeout(() => stop('timeout'), Math.min(bound.ms, 2 ** 31 - 1))
  const onAbort = () => stop('signal')
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const result = await subprocess.finally(() => {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  })
  if (stopped === 'signal') throwIfInterrupted(options.signal)
  if (stopped === 'timeout') throw timedOut(command, bound)
  const display = [command, ...args].join(' ')
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

/** SIGTERM to the tool's process group, SIGKILL a moment later to whatever ignored it. */
function stopGroup(pid: number | undefined): void {
  if (pid === undefined) return
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal)
    } catch {
      // The group is gone already.
    }
  }
  kill('SIGTERM')
  setTimeout(() => kill('SIGKILL'), 2000).unref()
}

/** Throws InterruptedError once `signal` is aborted: nothing more should start after SIGINT/SIGTERM. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError(signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT')
}

/** Milliseconds left for the next call, and which bound is the tighter: the limit or the run's deadline. */
export function timeBound(limits: ToolLimits, now = Date.now()): { ms: number; deadline?: Deadline; toolTimeout: number } {
  const toolTimeout = limits.toolTimeout ?? DEFAULT_LIMITS['tool-timeout']
  const left = limits.deadline ? limits.deadline.at - now : Infinity
  return left < toolTimeout ? { ms: left, deadline: limits.deadline, toolTimeout } : { ms: toolTimeout, toolTimeout }
}

function timedOut(command: string, bound: ReturnType<typeof timeBound>): EnvironmentError {
  const raised = formatLimit('tool-timeout', bound.toolTimeout * 4)
  return bound.deadline
    ? new EnvironmentError(`${command} did not finish within ${bound.deadline.flag} ${bound.deadline.value} and was stopped`, {
      hint: `the cluster or the tool is slow or does not answer; give it longer with a larger ${bound.deadline.flag}`,
    })
    : new EnvironmentError(
      `${command} did not finish within ${formatLimit('tool-timeout', bound.toolTimeout)} (limit tool-timeout) and was stopped`,
      { hint: `if it is only slow, raise the limit: --limit tool-timeout=${raised} (or ${LIMITS_ENV}=tool-timeout=${raised})` },
    )
}

/** An error for a tool that ran but failed in a way that is not a finding. */
export function toolFailure(command: string, result: ToolResult, hint?: string): EnvironmentError {
  const stderr = result.stderr.trim().split('\n').slice(-10).join('\n')
  return new EnvironmentError(`${command} failed (exit code ${result.exitCode})${stderr ? `: ${stderr}` : ''}`, {
    hint,
  })
}
