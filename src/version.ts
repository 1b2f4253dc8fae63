/**
 * The tool's own version, wherever it runs: the bundle gets it from package.json at build time
 * (scripts/bundle.mjs); running from src/ (the tests) reads the package.json beside src/. Never the
 * package.json of the folder the user stands in, which is what yargs would find.
 */
import { readFileSync } from 'node:fs'

declare const __PHAROS_NET_VERSION__: string | undefined

export function toolVersion(): string {
  if (typeof __PHAROS_NET_VERSION__ === 'string') return __PHAROS_NET_VERSION__
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}
