/** Every file under `dir`, recursively: what a relay left on disk, for tests that search it for plaintext. */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}
