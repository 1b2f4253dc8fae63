/**
 * Shell completion in cobra's `__complete` protocol, the one kubectl speaks to plugins (kubectl 1.26+ runs
 * `kubectl_complete-pharos_net WORDS...`) and the scripts of `completion bash|zsh` speak to
 * `kubectl-pharos_net __complete WORDS...`: the words typed so far, the last one the word being completed
 * (empty for a new word); one candidate a line, `value<TAB>description`, then `:<directive>`.
 *
 * yargs' own completion lists the candidates (commands, flags not given yet, an option's choices); the
 * option table of the command being typed decides whether the word is a flag's or a positional's value,
 * and so whether the shell should complete file names instead.
 */
import type { Argv, MiddlewareFunction } from 'yargs'

/** The hidden first word that asks for completions instead of running a command (cobra's name). */
export const COMPLETE_COMMAND = '__complete'

/** cobra's ShellCompDirective bits, which kubectl passes on to its own completion scripts. */
export const DIRECTIVE = {
  /** Complete file names when there are no candidates. */
  default: 0,
  /** No file names: the candidates are all there is. */
  noFileComp: 4,
  /** Complete folder names only. */
  filterDirs: 16,
} as const

export interface Candidate {
  value: string
  description?: string
}

export interface Completions {
  candidates: Candidate[]
  directive: number
}

/** Options whose value is a folder to write or read: the shell offers folders only. */
const FOLDER_VALUES = new Set(['output-dir', 'dir'])
/**
 * Options and positionals whose value is a word, not a path: no file names offered. Every other string
 * value (config, kubeconfig, schema locations, the tools' binaries, ...) completes as a file name, as
 * cobra does for a flag without a completion function.
 */
const WORD_VALUES = new Set(['kubernetes-version', 'context', 'allow-env', 'limit', 'provider'])

/** Stands for the word being completed while the command line is parsed: no one types it. */
const MARKER = '\u0000pharos-net-completing'

interface ParsedContext {
  /** The option or positional names (with their aliases) that took the word being completed. */
  valueOf: string[]
  choices: Record<string, unknown[]>
  aliases: Record<string, string[]>
  descriptions: Record<string, string | undefined>
  commands: Array<[string, string]>
}

/** What may come at the end of `words` (words typed after the program's name; the last one is being completed). */
export async function completeWords(parser: Argv<object>, words: string[]): Promise<Completions> {
  const typed = words.length > 0 ? words : ['']
  const before = typed.slice(0, -1)
  const current = typed[typed.length - 1]!
  // `--config=clu`: the value of --config, typed in the same word.
  const inline = /^(--?[^=]+=)(.*)$/.exec(current)
  const context = await parseContext(parser, [...before, inline ? `${inline[1]}${MARKER}` : current.startsWith('-') ? current : MARKER])

  if (context.valueOf.length > 0) {
    const prefix = inline ? inline[2]! : current
    const choices = context.valueOf.map((key) => context.choices[key]).find((list) => list !== undefined)
    if (choices) {
      const candidates = choices.map(String).filter((choice) => choice.startsWith(prefix))
      return { candidates: candidates.map((choice) => ({ value: inline ? `${inline[1]}${choice}` : choice })), directive: DIRECTIVE.noFileComp }
    }
    if (context.valueOf.some((key) => FOLDER_VALUES.has(key))) return { candidates: [], directive: DIRECTIVE.filterDirs }
    if (context.valueOf.some((key) => WORD_VALUES.has(key))) return { candidates: [], directive: DIRECTIVE.noFileComp }
    return { candidates: [], directive: DIRECTIVE.default }
  }
  const flags = Object.entries(context.descriptions).flatMap(([key, description]) =>
    [key, ...(context.aliases[key] ?? [])].map((name): [string, string | undefined] => [name.length === 1 ? `-${name}` : `--${name}`, description]))
  const descriptions = new Map<string, string | undefined>([...context.commands, ...flags])
  const candidates = (await yargsCompletions(parser, [...before, current]))
    // yargs offers short aliases with two dashes too (`--c`) after `--`: not a flag anyone types.
    .filter((value) => !/^--.$/.test(value) && value.startsWith(current))
    .map((value) => ({ value, description: descriptions.get(value) }))
  return { candidates, directive: DIRECTIVE.noFileComp }
}

/** cobra's output: one candidate a line (a tab before its description), then `:<directive>`. */
export function formatCompletions(completions: Completions): string {
  const lines = completions.candidates.map(({ value, description }) =>
    description ? `${value}\t${description.replace(/\s+/g, ' ').trim()}` : value,
  )
  return [...lines, `:${completions.directive}`].join('\n') + '\n'
}

/**
 * Parses the words as a command line (nothing runs: main() does not run the work a command hands it
 * here) and reads, before validation, the option table of the command they reach. The middleware stays
 * on the parser, which serves this one completion only.
 */
async function parseContext(parser: Argv<object>, words: string[]): Promise<ParsedContext> {
  let context: ParsedContext = { valueOf: [], choices: {}, aliases: {}, descriptions: {}, commands: [] }
  const readState = (argv: Record<string, unknown>, yargs: ParserState) => {
    const usage = yargs.getInternalMethods().getUsageInstance()
    context = {
      valueOf: Object.keys(argv).filter((key) => {
        const value = argv[key]
        return key !== '_' && (value === MARKER || (Array.isArray(value) && value.includes(MARKER)))
      }),
      choices: yargs.getOptions().choices,
      aliases: yargs.getOptions().alias,
      descriptions: Object.fromEntries(Object.entries(usage.getDescriptions())
        .map(([key, text]) => [key, text?.replace(/^__yargsString__:/, '')])),
      commands: usage.getCommands().map(([usageLine, description]) => [usageLine.split(' ')[0]!, description]),
    }
  }
  parser.middleware(readState as unknown as MiddlewareFunction<object>, true)
  // Errors (a missing required option, a marker that is not a valid choice) are expected mid-typing.
  await parser.parseAsync(words, {}, () => undefined)
  return context
}

/**
 * What a middleware receives as its second argument: the parser in the state of the command being run
 * (yargs passes it; @types/yargs leaves it out). The usage instance is internal to yargs, which its own
 * completion reads the same way.
 */
interface ParserState {
  getOptions(): { choices: Record<string, unknown[]>; alias: Record<string, string[]> }
  getInternalMethods(): {
    getUsageInstance(): {
      getDescriptions(): Record<string, string | undefined>
      getCommands(): Array<[string, string]>
    }
  }
}

/**
 * yargs' own candidates for the last word, through its hidden `--get-yargs-completions` flag: a parse
 * enters the command typed and completes there. (`parser.getCompletion()` cannot: to enter a command it
 * re-reads process.argv, and never answers.)
 */
async function yargsCompletions(parser: Argv<object>, words: string[]): Promise<string[]> {
  let printed = ''
  await parser.parseAsync(['--get-yargs-completions', ...words], {}, (_error, _argv, output) => {
    printed += output
  })
  return printed
    .split('\n')
    .filter((line) => line !== '')
    // In zsh mode ($SHELL) yargs writes `value:description`, with colons in values escaped.
    .map((line) => (/^((?:[^:\\]|\\.)*)/.exec(line)![1]!).replace(/\\:/g, ':'))
}
