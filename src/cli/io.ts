/** What the CLI may touch of the outside world, passed in so tests can run it in-process. */
export interface CliIO {
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown; isTTY?: boolean }
  stdin?: AsyncIterable<string | Buffer>
  cwd: string
  /** The terminal's width when stdout is one; help is not wrapped otherwise. */
  columns?: number
  env: Record<string, string | undefined>
  /** Aborted on SIGINT/SIGTERM (reason: the signal's name); commands pass it to the tools they run. */
  signal?: AbortSignal
}

/** Options every command accepts. */
export interface GlobalArgs {
  debug: boolean
  quiet: boolean
  /** `--limit NAME=VALUE`, repeatable: see src/limits.ts. */
  limit: string[]
}
