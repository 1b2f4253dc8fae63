/**
 * Golden folders: compared file by file; `UPDATE_GOLDEN=1 npm test` rewrites them (review the diff).
 */
import { cp, readdir, readFile, rm } from 'node:fs/promises'
import type { Test } from 'tap'
import { join } from 'node:path'

export async function compareWithGolden(
  t: Test,
  actualDir: string,
  goldenDir: string,
): Promise<void> {
  if (process.env.UPDATE_GOLDEN === '1') {
    await rm(goldenDir, { recursive: true, force: true })
    await cp(actualDir, goldenDir, { recursive: true })
  }
  const actual = (await readdir(actualDir)).sort()
  t.same(actual, (await readdir(goldenDir)).sort(), `same files as ${goldenDir}`)
  for (const name of actual) {
    t.equal(await readFile(join(actualDir, name), 'utf8'), await readFile(join(goldenDir, name), 'utf8'), name)
  }
}
