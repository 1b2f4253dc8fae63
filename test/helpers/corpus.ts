/**
 * A corpus manifest as a user's repository holds it: copied beside a cluster.yml that points at it (the
 * manifest path must stay inside the folder holding cluster.yml).
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { corpusDir, repoRoot } from './paths.js'

export interface CorpusCluster {
  /** The cluster.yml written into the folder. */
  config: string
  /** The copy of the corpus file, under net/. */
  manifest: string
}

/**
 * The pod network each corpus manifest hardcodes (Flannel's and Canal's net-conf.json); the others take it
 * from the cluster, or use Pharos' default 10.32.0.0/12 (Weave's IPALLOC_RANGE when unset).
 */
export const CORPUS_POD_NETWORKS: Readonly<Record<string, string>> = {
  canal: '10.244.0.0/16',
  flannel: '10.244.0.0/16',
  'flannel-legacy': '10.244.0.0/16',
  'flannel-legacy-2019': '10.244.0.0/16',
}

/** `podNetworkCidr` defaults to the manifest's own network, so that the static preflight finds nothing. */
export async function corpusCluster(
  dir: string,
  folder: string,
  podNetworkCidr: string | undefined = CORPUS_POD_NETWORKS[folder],
): Promise<CorpusCluster> {
  const [file = ''] = await readdir(join(corpusDir, folder))
  await mkdir(join(dir, 'net'), { recursive: true })
  const manifest = join(dir, 'net', file)
  await copyFile(join(corpusDir, folder, file), manifest)
  const config = join(dir, 'cluster.yml')
  const pod = podNetworkCidr === undefined ? '' : `  pod_network_cidr: ${podNetworkCidr}\n`
  await writeFile(config, `network:\n  provider: custom\n${pod}  custom:\n    manifest_path: ./net/${file}\n`)
  return { config, manifest }
}

/**
 * False where ../shared/corpus is there (CI always has it), else the reason to skip: a user's plain clone
 * has no corpus, and its `npm test` still passes.
 */
export function corpusMissing(): string | false {
  return existsSync(corpusDir) ? false : `no corpus at ${corpusDir} (a plain clone without ../shared)`
}

/** A YAML file a test reads whole: its name (for messages) and its text. */
export interface YamlFile {
  name: string
  text: string
}

/** Every corpus file, as `folder/file`, in the order readdir gives them. */
export async function corpusFiles(): Promise<YamlFile[]> {
  const files: YamlFile[] = []
  for (const folder of (await readdir(corpusDir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    for (const name of await readdir(join(corpusDir, folder.name))) {
      files.push({ name: `${folder.name}/${name}`, text: await readFile(join(corpusDir, folder.name, name), 'utf8') })
    }
  }
  return files
}

/** Every plain YAML file of the repository's fixtures, examples and templates, named relative to the repository. */
export async function repositoryYamlFiles(): Promise<YamlFile[]> {
  const files: YamlFile[] = []
  for (const folder of ['test/fixtures', 'examples', 'templates']) {
    const entries = await readdir(join(repoRoot, folder), { recursive: true, withFileTypes: true })
    for (const entry of entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))) {
      const path = join(entry.parentPath, entry.name)
      files.push({ name: relative(repoRoot, path), text: await readFile(path, 'utf8') })
    }
  }
  return files
}
