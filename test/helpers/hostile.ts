/**
 * Runs the built CLI on hostile input the way Argo CD or CI would, under a memory and a time cap: a small
 * V8 heap (an input that would exhaust memory crashes the process instead of passing), a wall-clock limit,
 * and peak RSS measured by GNU time. Each case gets a sandbox: `work/` (the current folder, holding the
 * input), `home/` (HOME) and `outside/` (files the tool must never read, change or delete); the snapshot
 * helpers show that nothing outside `work/` changed.
 */
import { execa } from 'execa'
import { lstat, mkdir, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { binDir, repoRoot, toolsBinDir } from './paths.js'

export interface HostileRun {
  exitCode: number
  stdout: string
  stderr: string
  /** Peak resident set size of the CLI process, in MiB. */
  peakMiB: number
  /** Wall-clock milliseconds. */
  ms: number
  timedOut: boolean
}

export interface HostileOptions {
  cwd: string
  env?: Record<string, string>
  input?: string | Buffer
  /** V8 old-space cap in MiB (default 256): exhausting it fails the run with a crash, never a pass. */
  heapMiB?: number
  /** Wall-clock cap in ms (default 20 s). */
  timeoutMs?: number
}

export const DEFAULT_HEAP_MIB = 256
export const DEFAULT_TIMEOUT_MS = 20_000

export async function runHostile(args: string[], options: HostileOptions): Promise<HostileRun> {
  const started = performance.now()
  const heap = options.heapMiB ?? DEFAULT_HEAP_MIB
  // `env -u NODE_OPTIONS`: tap injects its loader hooks into child processes; they must not reach the CLI.
  const result = await execa(
    'env',
    ['-u', 'NODE_OPTIONS', '/usr/bin/time', '-f', 'PEAK_RSS_KB=%M', 'node', `--max-old-space-size=${heap}`, join(binDir, 'kubectl-pharos_net'), ...args],
    {
      cwd: options.cwd,
      env: {
        PATH: `${toolsBinDir}:${process.env.PATH}`,
        HOME: join(options.cwd, '..', 'home'),
        // `npm run coverage`: the CLI writes its V8 coverage there too (scripts/coverage.sh).
        ...(process.env.NODE_V8_COVERAGE ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
        ...options.env,
      },
      extendEnv: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      reject: false,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    },
  )
  const stderr = String(result.stderr)
  const peak = /PEAK_RSS_KB=(\d+)\s*$/.exec(stderr)
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: stderr.replace(/(Command exited with non-zero status \d+\n)?PEAK_RSS_KB=\d+\s*$/, ''),
    peakMiB: peak ? Math.round(Number(peak[1]) / 1024) : NaN,
    ms: Math.round(performance.now() - started),
    timedOut: result.timedOut,
  }
}

/** A sandbox under `root` (a tap testdir): work/ holding `files`, home/ and outside/ with a canary. */
export async function hostileSandbox(root: string): Promise<{ work: string; home: string; outside: string }> {
  const sandbox = { work: join(root, 'work'), home: join(root, 'home'), outside: join(root, 'outside') }
  for (const dir of Object.values(sandbox)) await mkdir(dir, { recursive: true })
  return sandbox
}

/** Every path under `dir` with its type and content (links by target), to compare before and after. */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (path: string, rel: string): Promise<void> => {
    const info = await lstat(path)
    if (info.isSymbolicLink()) out[rel] = `link:${await readlink(path)}`
    else if (info.isDirectory()) {
      out[rel] = 'dir'
      for (const name of (await readdir(path)).sort()) await walk(join(path, name), rel ? `${rel}/${name}` : name)
    } else if (info.isFile()) out[rel] = `file:${await readFile(path, 'utf8')}`
    else out[rel] = 'special'
  }
  await walk(dir, '')
  return out
}

/** Every regular file below `dir`, relative with `/` separators, sorted. */
export async function filesBelow(dir: string): Promise<string[]> {
  return Object.entries(await snapshotTree(dir)).filter(([, what]) => what.startsWith('file:')).map(([path]) => path).sort()
}

/**
 * node:fs/promises with a readdir that lists in reverse, for t.mockImport: Node's readdir sorts on Linux
 * (libuv), not on every platform, so an order a test checks must not come from it.
 */
export async function fsWithReversedReaddir(): Promise<typeof import('node:fs/promises')> {
  const fs = await import('node:fs/promises')
  const readdir = async (...args: Parameters<typeof fs.readdir>) => ((await fs.readdir(...args)) as unknown[]).reverse()
  return { ...fs, readdir } as typeof fs
}

export { repoRoot }
