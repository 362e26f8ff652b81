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
import { checkoutTreeAtRef } from './tree-at-ref'

const configFile = fileURLToPath(new URL('../../vite.config.ts', import.meta.url))

/**
 * The served app has no source maps (vite.config.ts). With CPU profiles asked for
 * (BENCH_BROWSER_CPU_PROF), each build writes hidden ones (no sourceMappingURL comment: the page
 * never asks for them, and the relay would refuse them), which the big-practice bench copies beside
 * the profiles so their frames get names.
 */
const sourcemap = process.env.BENCH_BROWSER_CPU_PROF ? ('hidden' as const) : false

export interface BuiltApp {
  readonly dir: string
  dispose(): void
}

export async function buildAppForBench(): Promise<BuiltApp> {
  const dir = mkdtempSync(join(tmpdir(), 'tournee-bench-app-'))
  await build({ configFile, logLevel: 'warn', build: { outDir: dir, emptyOutDir: true, sourcemap } })
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * The app as it was at a git ref (the bench's baseline: the same figures on the code before a
 * change, in the same run): checked out in a temporary worktree that borrows this checkout's
 * node_modules, built with that ref's own vite.config.ts, the worktree removed once built.
 */
export async function buildAppAtRef(ref: string): Promise<BuiltApp & { commit: string }> {
  const tree = checkoutTreeAtRef(ref)
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tournee-bench-app-'))
    await build({ configFile: join(tree.dir, 'vite.config.ts'), logLevel: 'warn', build: { outDir: dir, emptyOutDir: true, sourcemap } })
    return { dir, commit: tree.commit, dispose: () => rmSync(dir, { recursive: true, force: true }) }
  } finally {
    tree.remove()
  }
}
