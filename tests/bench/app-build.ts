/**
 * The app as `npm start` builds it (the repository's vite.config.ts), for the bench's relays to
 * serve (TOURNEE_STATIC_DIR) to Chromium (browser-joiner.ts). Built into a folder of its own at
 * each bench run: never a stale dist/client left by an older checkout.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const configFile = fileURLToPath(new URL('../../vite.config.ts', import.meta.url))

export interface BuiltApp {
  readonly dir: string
  dispose(): void
}

export async function buildAppForBench(): Promise<BuiltApp> {
  const dir = mkdtempSync(join(tmpdir(), 'tournee-bench-app-'))
  await build({ configFile, logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } })
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}
