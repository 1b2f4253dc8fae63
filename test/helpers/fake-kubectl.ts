/**
 * A stand-in kubectl for unit tests (fakes of tools belong there only; the e2e layer runs the real one):
 * a shell script that logs each call's arguments to `calls` and answers by the first subcommand word it
 * finds, with the shell snippet given for it; anything else runs `otherwise` (by default: exit 9).
 */
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubectlTarget } from '../../src/cluster.js'

export async function fakeKubectl(dir: string, answers: Record<string, string>, otherwise = 'exit 9'): Promise<KubectlTarget> {
  const path = join(dir, 'kubectl')
  await writeFile(path, [
    '#!/bin/sh',
    `echo "$@" >> ${join(dir, 'calls')}`,
    'case " $* " in',
    ...Object.entries(answers).map(([word, answer]) => `  *" ${word} "*) ${answer} ;;`),
    `  *) ${otherwise} ;;`,
    'esac', '',
  ].join('\n'))
  await chmod(path, 0o755)
  return { kubectl: path, env: { PATH: process.env.PATH } }
}

/** An object carrying our stack label, as the prune scan lists it. */
export const labelled = (kind: string, name: string, namespace: string) =>
  ({ apiVersion: 'v1', kind, metadata: { name, namespace, labels: { 'pharos.kontena.io/stack': 'custom-network' } } })

export interface FakeClusterOptions {
  /** What `kubectl get -l <our stack label>` lists. */
  listing?: object[]
  /** What the prune's first listing (its selector reads the stack's record too) lists; default: `listing`. */
  first?: object[]
  /** The gitVersions `kubectl version` reports. */
  server?: string
  client?: string
  /** What `kubectl api-resources` lists, one a line. */
  resources?: string[]
  /** Answers by subcommand word (as fakeKubectl takes them), over the ones above. */
  answers?: Record<string, string>
}

/**
 * A stand-in kubectl with a cluster behind it: its version, its resources, an empty /openapi/v2 of the
 * server's version and the stack's objects; apply, diff, delete and the rest come from `answers`.
 */
export async function fakeCluster(dir: string, options: FakeClusterOptions = {}): Promise<KubectlTarget> {
  const { listing = [], first = listing, server = 'v1.32.13', client = 'v1.32.4', resources = ['configmaps'], answers = {} } = options
  const minor = (gitVersion: string) => /\.(\d+)/.exec(gitVersion)?.[1] ?? ''
  const version = { clientVersion: { gitVersion: client, minor: minor(client) }, serverVersion: { gitVersion: server, minor: minor(server) } }
  await writeFile(join(dir, 'listing.json'), JSON.stringify({ items: listing }))
  await writeFile(join(dir, 'first.json'), JSON.stringify({ items: first }))
  await writeFile(join(dir, 'openapi.json'), JSON.stringify({ swagger: '2.0', info: { title: 'Kubernetes', version: server }, paths: {}, definitions: {} }))
  return fakeKubectl(dir, {
    version: `echo '${JSON.stringify(version)}'`,
    config: ':',
    'api-resources': `printf '${resources.map((r) => `${r}\\n`).join('')}'`,
    // Before get: `get --raw /openapi/v2` holds both words.
    '--raw': `cat ${join(dir, 'openapi.json')}`,
    // Before get: the first listing's selector, one argument, holds the word `in`.
    in: `cat ${join(dir, 'first.json')}`,
    get: `cat ${join(dir, 'listing.json')}`,
    ...answers,
  })
}

/** The arguments of each call a stand-in (this kubectl, or a kubeconform of fake-kubeconform.ts) logged to `dir/calls`. */
export async function recordedCalls(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n')
}
