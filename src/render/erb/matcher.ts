/**
 * Where a template's regexps run. ./regexp.ts refuses what backtracks exponentially, but adjacent
 * repetitions (`\s*=\s*.*\s*$`) still cost a power of the text's length, and one JavaScript match cannot be
 * interrupted. So a match whose worst case is cheap runs here; any other runs on a worker thread that the
 * render waits for synchronously, at most until its `render-time` runs out, and then stops.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'

export interface Match {
  index: number
  /** The whole match, then each group (undefined when it did not take part). */
  groups: (string | undefined)[]
  named: Record<string, string | undefined> | undefined
}

/** Steps of backtracking below which a match runs in place, whatever it looks like. */
const CHEAP = 1_000_000

/** `all`: every match, as a global regexp's exec loop finds them; else the first only. */
export function findMatches(pattern: RegExp, text: string, all: boolean, deadline: number): Match[] | 'timed-out' {
  if (worstCase(pattern.source, text.length) <= CHEAP) return matchHere(pattern.source, pattern.flags, text, all)
  return matchOnWorker(pattern.source, pattern.flags, text, all, deadline)
}

/** Length ** (repetitions + 1): each unbounded repetition may try every split of what the others took. */
function worstCase(source: string, length: number): number {
  const repetitions = source.replace(/\\./g, '').match(/[*+]|\{\d*,\}/g)?.length ?? 0
  return Math.max(1, length) ** (repetitions + 1)
}

function matchHere(source: string, flags: string, text: string, all: boolean): Match[] {
  const regexp = new RegExp(source, `${flags.replace('g', '')}g`)
  const found: Match[] = []
  for (let match = regexp.exec(text); match; match = all ? regexp.exec(text) : null) {
    found.push({ index: match.index, groups: [...match], named: match.groups ? { ...match.groups } : undefined })
    if (match[0] === '') regexp.lastIndex++
  }
  return found
}

// The worker repeats matchHere: it is given as source, so that the bundle needs no second file.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { port, signal } = workerData
port.on('message', ({ source, flags, text, all }) => {
  const regexp = new RegExp(source, flags.replace('g', '') + 'g')
  const found = []
  for (let match = regexp.exec(text); match; match = all ? regexp.exec(text) : null) {
    found.push({ index: match.index, groups: [...match], named: match.groups ? { ...match.groups } : undefined })
    if (match[0] === '') regexp.lastIndex++
  }
  port.postMessage(found)
  Atomics.store(signal, 0, 1)
  Atomics.notify(signal, 0)
})
`

interface Runner {
  worker: Worker
  port: MessagePort
  signal: Int32Array
}

let runner: Runner | undefined

function startRunner(): Runner {
  const { port1, port2 } = new MessageChannel()
  const signal = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, signal }, transferList: [port2] })
  worker.unref()
  port1.unref()
  return { worker, port: port1, signal }
}

function matchOnWorker(source: string, flags: string, text: string, all: boolean, deadline: number): Match[] | 'timed-out' {
  runner ??= startRunner()
  const { port, signal } = runner
  Atomics.store(signal, 0, 0)
  port.postMessage({ source, flags, text, all })
  const waited = Atomics.wait(signal, 0, 0, Math.max(0, deadline - Date.now()))
  if (waited === 'timed-out') {
    // The match may never end: stop its thread; the next one starts afresh.
    void runner.worker.terminate()
    runner = undefined
    return 'timed-out'
  }
  return receiveMessageOnPort(port)!.message as Match[]
}
