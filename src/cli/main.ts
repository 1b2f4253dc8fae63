/**
 * The command line: parses flags, runs one command, and is the only place that turns errors into exit
 * codes and text. Everything it prints goes through `io`.
 */
import yargs from 'yargs'
import { PharosError, InputErrors, InterruptedError, type ExitCode } from '../errors.js'
import { renderCommand } from './commands/render.js'
import { initCommand } from './commands/init.js'
import { validateCommand } from './commands/validate.js'
import { schemasCommand } from './commands/schemas.js'
import { applyCommand, diffCommand } from './commands/apply.js'
import type { CliIO } from './io.js'
import { formatDiagnostic } from './report.js'
import { LIMIT_NAMES, LIMITS_ENV } from '../limits.js'

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
    .wrap(Math.min(110, process.stdout.columns ?? 100))
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
    .command(diffCommand(io, done))
    .command(applyCommand(io, done))
    .command(initCommand(io, done))
    .demandCommand(1, 'choose a command')
    .recommendCommands()
    .epilog('Exit codes: 0 ok, 1 findings, 2 bad input, 3 environment (tool or cluster). Docs: README.md')
    .help()
    .version()

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

function reportError(error: unknown, io: CliIO, debug: boolean): ExitCode {
  if (error instanceof InputErrors) {
    for (const d of error.diagnostics) io.stderr.write(formatDiagnostic(d, io.cwd))
  } else if (error instanceof PharosError) {
    io.stderr.write(formatDiagnostic(error.toDiagnostic(), io.cwd))
  } else {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`error: ${message}\n  hint: this is a bug in kubectl-pharos-net; rerun with --debug and report it\n`)
  }
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`)
  return error instanceof PharosError ? error.exitCode : 3
}
