/**
 * This repository as it was at a git ref, for the bench's « before » figures (the same measure on
 * the code before a change, in the same run): a temporary detached worktree that borrows this
 * checkout's node_modules. Removed by `remove()`; the caller removes it once done with it.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface TreeAtRef {
  readonly dir: string
  /** The full commit hash the ref named. */
  readonly commit: string
  remove(): void
}

export function checkoutTreeAtRef(ref: string): TreeAtRef {
  const repo = fileURLToPath(new URL('../..', import.meta.url))
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim()
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`)
  const dir = mkdtempSync(join(tmpdir(), 'tournee-bench-baseline-'))
  git('worktree', 'add', '--detach', '--force', dir, commit)
  try {
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir')
  } catch (error) {
    git('worktree', 'remove', '--force', dir)
    throw error
  }
  return { dir, commit, remove: () => git('worktree', 'remove', '--force', dir) }
}
