// The least a renderer built on `yaml` can do with a set of manifests: start, read the files of a folder,
// parse every document and write each one back out, with no template, no check and no output folder.
// scripts/bench-render.sh bundles it like the CLI and times it beside `render` and `helm template`: what
// it takes is the part of render's time that the YAML library itself sets.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'

const [dir] = process.argv.slice(2)
const out = []
// A render's output folder: its manifests, not its kustomization.
for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n) && n !== 'kustomization.yaml').sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, name), 'utf8'))) out.push(doc.toString({ lineWidth: 0 }))
}
process.stdout.write(out.join('---\n'))
