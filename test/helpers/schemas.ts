/**
 * Offline schemas for the tests: generated in-process by the code of our own `schemas` command from the
 * swagger.json of the pinned Kubernetes release, which `npm test` fetches into the Go module cache
 * (PHAROS_TEST_OPENAPI). The command itself is tested end to end in test/e2e/validate.ts.
 */
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { schemasFromOpenApi, writeSchemaSet } from '../../src/schemas.js'

export const TEST_KUBERNETES_VERSION = process.env.PHAROS_TEST_K8S_VERSION ?? '1.32.13'

let generated: Promise<string> | undefined

/** The schema folder, generated once per test process. Fails loudly when the swagger.json is missing. */
export function testSchemaDir(): Promise<string> {
  generated ??= (async () => {
    const openapi = process.env.PHAROS_TEST_OPENAPI
    if (!openapi) {
      throw new Error('PHAROS_TEST_OPENAPI is not set: run the tests with `npm test`, which fetches the swagger.json')
    }
    const dir = join(await mkdtemp(join(tmpdir(), 'pharos-net-schemas-')), 'schemas')
    const document = JSON.parse(await readFile(openapi, 'utf8')) as object
    await writeSchemaSet(schemasFromOpenApi(document, { kubernetesVersion: TEST_KUBERNETES_VERSION }), dir)
    return dir
  })()
  return generated
}
