// Reads tap's final `# { total, pass, fail, skip, todo }` line and prints "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs'

const text = readFileSync(process.argv[2], 'utf8')
const match = [...text.matchAll(/^# (\{ total: .* \})$/gm)].at(-1)
if (!match) {
  console.log('tests: 0 passed, 1 failed (no tap summary found)')
  process.exit(1)
}
const count = (key) => Number(new RegExp(`${key}: (\\d+)`).exec(match[1])?.[1] ?? 0)
console.log(`tests: ${count('pass')} passed, ${count('fail')} failed, ${count('skip') + count('todo')} skipped`)
