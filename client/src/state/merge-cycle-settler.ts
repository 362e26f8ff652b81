/**
 * Settles cycles of merge redirects on this device as soon as they arrive (shared/src/model/
 * merge-cycles.ts): two devices that merged the same duplicates in opposite directions while
 * offline. The redirects already resolve a cycle to one survivor everywhere; settling restores that
 * survivor so that the patient lists, which hide deleted records, show it. Holds the directory (the
 * main room is open for the whole session anyway) while the practice is open and a member writes.
 */
import { bindMergeCycleSettling, DIRECTORY_DOC_ID } from '../../../shared/src/model'
import type { Actor, Clock } from '../../../shared/src/model'
import type { DocCache } from './doc-cache'

/** Starts settling; returns the function that stops. */
export function settleMergeCyclesWhileOpen(docs: DocCache, actor: Actor, clock: Clock): () => void {
  const release = docs.retain(DIRECTORY_DOC_ID)
  let stopped = false
  let unbind: (() => void) | null = null
  docs.open(DIRECTORY_DOC_ID).then(
    (directory) => {
      if (!stopped) unbind = bindMergeCycleSettling(directory, actor, clock)
    },
    // The views that read the directory report its failure to open; this only stops waiting.
    (error: unknown) => console.warn('Merge cycles not settled: the directory did not open', error instanceof Error ? error.name : 'error'),
  )
  return () => {
    stopped = true
    unbind?.()
    release()
  }
}
