/**
 * A corpus manifest as a user's repository holds it: copied beside a cluster.yml that points at it (the
 * manifest path must stay inside the folder holding cluster.yml).
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { corpusDir } from './paths.js'

export interface CorpusCluster {
  /** The cluster.yml written into the folder. */
  config: string
  /** The copy of the corpus file, under net/. */
  manifest: string
}

export async function corpusCluster(dir: string, folder: string): Promise<CorpusCluster> {
  const [file = ''] = await readdir(join(corpusDir, folder))
  await mkdir(join(dir, 'net'), { recursive: true })
  const manifest = join(dir, 'net', file)
  await copyFile(join(corpusDir, folder, file), manifest)
  const config = join(dir, 'cluster.yml')
  await writeFile(config, `network:\n  provider: custom\n  custom:\n    manifest_path: ./net/${file}\n`)
  return { config, manifest }
}

/**
 * False where ../shared/corpus is there (CI always has it), else the reason to skip: a user's plain clone
 * has no corpus, and its `npm test` still passes.
 */
export function corpusMissing(): string | false {
  return existsSync(corpusDir) ? false : `no corpus at ${corpusDir} (a plain clone without ../shared)`
}
