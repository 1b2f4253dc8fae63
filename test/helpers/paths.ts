import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const fixturesDir = join(repoRoot, 'test', 'fixtures')
export const binDir = join(repoRoot, 'bin')
/** Real-world CNI manifests, laid beside the clone (../shared/corpus). */
export const corpusDir = join(repoRoot, '..', 'shared', 'corpus')
/** Tools installed by scripts/install-tools.sh. */
/** Where scripts/install-tools.sh puts kubeconform; PHAROS_TEST_TOOLS_BIN for a copy of the tree elsewhere (Stryker's sandbox). */
export const toolsBinDir = process.env.PHAROS_TEST_TOOLS_BIN ?? join(repoRoot, '.tools', 'bin')

/**
 * Environment for spawning the built tool: bin/ first on PATH, and without tap's NODE_OPTIONS (its
 * TypeScript loader hooks must not leak into the process under test).
 */
export function toolEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: `${binDir}:${toolsBinDir}:${process.env.PATH}`, NODE_OPTIONS: '', ...extra }
}
