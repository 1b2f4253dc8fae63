/**
 * The command line: parses flags, runs one command, and is the only place that turns errors into exit
 * codes and text. Everything it prints goes through `io`.
 */
import yargs from 'yargs'
import { PharosError, InputErrors, InterruptedError, type ExitCode } from '../errors.js'
import { renderCommand } from './commands/render.js'
import { initCommand } from './commands/init.js'
import { postRenderCommand } from './commands/post-render.js'
import { validateCommand } from './commands/validate.js'
import { schemasCommand } from './commands/schemas.js'
import { applyCommand, diffCommand } from './commands/apply.js'
import { preflightCommand } from './commands/preflight.js'
import { bundleCommand } from './commands/bundle.js'
import { detectCommand } from './commands/detect.js'
import { completionCommand } from './commands/completion.js'
import type { CliIO } from './io.js'
import { formatDiagnostic } from './report.js'
import { LIMIT_NAMES, LIMITS_ENV } from '../limits.js'
import { toolVersion } from '../version.js'
import { COMPLETE_COMMAND, completeWords, formatCompletions } from './completion.js'

/**
 * A command's work, run after parsing so that its errors reach the one handler below. Command modules
 * import the core inside their handlers, so that start-up (and --help) only loads what the command uses.
 */
export type CommandResult = () => Promise<ExitCode>

export const PROGRAM = 'kubectl pharos-net'

export async function main(argv: string[], io: CliIO): Promise<ExitCode | InterruptedError['exitCode']> {
  let work: CommandResult | undefined
  const done = (result: CommandResult) => {
    work = result
  }
  let usageOutput = ''
  let usageError: Error | undefined
  const debug = argv.includes('--debug')
  const parser = yargs()
    .scriptName(PROGRAM)
    .exitProcess(false)
    .strict()
    // On a terminal, its width; piped, no wrapping at all: cut words help nobody in a pager or a log.
    .wrap(io.columns ? Math.min(110, io.columns) : null)
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces and ignored files' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print errors only' })
    .option('limit', {
      type: 'string',
      array: true,
      default: [] as string[],
      requiresArg: true,
      describe: `raise or lower a safety limit, NAME=VALUE (repeatable; also $${LIMITS_ENV}): ${LIMIT_NAMES.join(', ')}`,
    })
    .command(renderCommand(io, done))
    .command(validateCommand(io, done))
    .command(schemasCommand(io, done))
    .command(preflightCommand(io, done))
    .command(diffCommand(io, done))
    .command(applyCommand(io, done))
    .command(bundleCommand(io, done))
    .command(initCommand(io, done))
    .command(postRenderCommand(io, done))
    .command(detectCommand(io, done))
    .command(completionCommand(io, done))
    .check(refuseRepeatedFlags)
    .demandCommand(1, 'choose a command')
    .recommendCommands()
    .epilog('Exit codes: 0 ok, 1 findings, 2 bad input, 3 environment (tool or cluster). Docs: README.md')
    .help()
    .describe('help', 'show help')
    .version(toolVersion())
    .describe('version', 'show the version of kubectl-pharos-net')

  if (argv[0] === COMPLETE_COMMAND) {
    // Shell completion asks what may follow the words typed so far (kubectl_complete-pharos_net, `completion`).
    io.stdout.write(formatCompletions(await completeWords(parser, argv.slice(1))))
    return 0
  }

  await parser.parseAsync(argv, {}, (err, _args, output) => {
    usageError = err ?? undefined
    usageOutput = output
  })
  if (usageError) {
    io.stderr.write(`${usageOutput.trimEnd()}\n`)
    return 2
  }
  if (!work) {
    // --help or --version: yargs produced the text.
    if (usageOutput) io.stdout.write(`${usageOutput.trimEnd()}\n`)
    return 0
  }
  try {
    return await work()
  } catch (error) {
    if (error instanceof InterruptedError) {
      io.stderr.write('interrupted\n')
      return error.exitCode
    }
    return reportError(error, io, debug)
  }
}

/**
 * A flag that takes one value, given twice, is a mistake to point out (yargs would make it a list that
 * nothing expects, or keep one silently).
 */
function refuseRepeatedFlags(
  argv: Record<string, unknown>,
  options: { array?: string[]; string?: string[]; number?: string[]; alias?: Record<string, string[]> },
): true {
  // yargs lists a list flag's aliases (render's -c) as strings only.
  const lists = new Set((options.array ?? []).flatMap((key) => [key, ...(options.alias?.[key] ?? [])]))
  const single = new Set([...(options.string ?? []), ...(options.number ?? [])].filter((key) => !lists.has(key)))
  const repeated = Object.keys(argv)
    .filter((key) => single.has(key) && Array.isArray(argv[key]))
    .sort((a, b) => b.length - a.length)[0]
  if (repeated !== undefined) {
    const values = (argv[repeated] as unknown[]).map(String).join(', ')
    // yargs lists a flag under its long name too, and the longest comes first.
    throw new Error(`--${repeated} was given more than once (${values}); give it once`)
  }
  return true
}

function reportError(error: unknown, io: CliIO, debug: boolean): ExitCode {
  if (error instanceof InputErrors) {
    for (const d of error.diagnostics) io.stderr.write(formatDiagnostic(d, io.cwd))
  } else if (error instanceof PharosError) {
    io.stderr.write(formatDiagnostic(error.toDiagnostic(), io.cwd))
  } else if (isSystemError(error)) {
    // The machine said no (permissions, a full or read-only disk): the environment, not a bug.
    const hint = SYSTEM_ERROR_HINTS[error.code] ?? 'check the path and its permissions'
    io.stderr.write(formatDiagnostic({ severity: 'error', message: error.message, hint }, io.cwd))
  } else {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`error: ${message}\n  hint: this is a bug in kubectl-pharos-net; rerun with --debug and report it\n`)
  }
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`)
  return error instanceof PharosError ? error.exitCode : 3
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
}

const SYSTEM_ERROR_HINTS: Record<string, string> = {
  EACCES: 'permission denied: check the permissions of the path, or run where you may write',
  EPERM: 'the operation is not permitted: check the permissions of the path',
  EROFS: 'the file system is read-only: choose a writable place',
  ENOSPC: 'the disk is full: free some space',
  EDQUOT: 'the disk quota is exceeded: free some space',
  EMFILE: 'too many open files: raise `ulimit -n`',
}
