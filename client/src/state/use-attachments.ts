import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import { addAttachment } from '../../../shared/src/model'
import type { Actor, Clock } from '../../../shared/src/model'
import type { AttachmentState, AttachmentSync } from '../sync/attachments/attachment-sync'
import { ConnectionStatus } from '../sync/sync-state'
import { usePractice } from './practice-context'
import { useSyncState } from './use-sync-state'

const EMPTY: AttachmentState = { pending: new Set(), failed: new Map(), storageError: null }
const noSubscription = () => () => {}

function useSync(): AttachmentSync | null {
  return usePractice().space.attachments
}

function useSyncFailure(): unknown {
  return usePractice().space.attachmentFailure
}

/** Which attachments wait for the relay, and which it refused; re-renders when that changes. */
export function useAttachmentState(): AttachmentState {
  const sync = useSync()
  return useSyncExternalStore(sync ? sync.subscribe : noSubscription, sync ? sync.getState : () => EMPTY)
}

export class AttachmentsUnavailableError extends Error {
  override name = 'AttachmentsUnavailableError'
  constructor(cause: unknown) {
    super(
      cause instanceof Error
        ? `Attachments could not start on this device: ${cause.message}`
        : 'This space was opened without its attachment key',
      { cause },
    )
  }
}

export interface AttachmentActions {
  /** Encrypts and keeps the file, queues its upload, and records its reference in the patient file. */
  addFile(fileDoc: Y.Doc, file: File, extra: { prescriptionId?: string }, actor: Actor, clock: Clock): Promise<string>
  /** The file's bytes, from this device or the relay; AttachmentUnavailableError when neither can. */
  open(hash: string): Promise<Uint8Array>
}

export function useAttachmentActions(): AttachmentActions {
  const sync = useSync()
  const failure = useSyncFailure()
  const require = useCallback(() => {
    if (!sync) throw new AttachmentsUnavailableError(failure)
    return sync
  }, [sync, failure])
  const addFile = useCallback<AttachmentActions['addFile']>(
    async (fileDoc, file, extra, actor, clock) => {
      const { hash, size } = await require().add(new Uint8Array(await file.arrayBuffer()))
      return addAttachment(
        fileDoc,
        { hash, size, name: file.name || 'fichier', mime: file.type || 'application/octet-stream', ...extra },
        actor,
        clock,
      )
    },
    [require],
  )
  const open = useCallback((hash: string) => require().open(hash), [require])
  return useMemo(() => ({ addFile, open }), [addFile, open])
}

/**
 * Whether an attachment can be opened right now: `true` when it is on this device or the relay is
 * reachable, `false` when offline and not on this device, `null` while checking. Views show
 * « Pièce jointe indisponible hors ligne » for `false`, before anyone taps it.
 */
export function useAttachmentOpenable(hash: string): boolean | null {
  const { space } = usePractice()
  const sync = useSync()
  const online = useSyncState(space).status === ConnectionStatus.Online
  const [cached, setCached] = useState<{ hash: string; value: boolean } | null>(null)
  const state = useAttachmentState()
  useEffect(() => {
    if (!sync || online) return
    let live = true
    sync.isCached(hash).then(
      (value) => {
        if (live) setCached({ hash, value })
      },
      // Cannot tell: say nothing rather than a wrong "unavailable"; opening it will tell.
      () => {
        if (live) setCached({ hash, value: true })
      },
    )
    return () => {
      live = false
    }
  }, [sync, hash, online, state])
  if (online) return true
  if (!sync) return false
  return cached?.hash === hash ? cached.value : null
}
