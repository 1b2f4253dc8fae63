// The least a Node.js program built like ours can do: start, load execa, run kubeconform with the
// arguments given, print its report. scripts/bench-validate.sh bundles it like the CLI and times it as the
// floor that no Node.js + execa validator can go under.
import { execa } from 'execa'

const [kubeconform, ...args] = process.argv.slice(2)
const { stdout, exitCode } = await execa(kubeconform, args, { reject: false })
process.stdout.write(stdout)
process.exitCode = exitCode
