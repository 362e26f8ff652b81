/**
 * What a practice learns from its main room, the room of the directory and the space manifest:
 *
 *   - every time main goes live (a first sync, a reconnection), the background pass starts over:
 *     colleagues may have written to any room meanwhile;
 *   - the first time, once main's entries are applied: the views switch from the directory digest
 *     to the directory doc, the room index (room-index.ts) is read for the background pass, and
 *     the space manifest is checked — and watched, since a migration may raise its format while
 *     this device is online;
 *   - a room this device writes to is listed in the room index (which may open the directory
 *     before main has synced: a booking on a new device offline).
 */
import type * as Y from 'yjs'
import { DIRECTORY_DOC_ID, MANIFEST_DOC_ID } from '../../../../shared/src/model/doc-ids'
import { isFormatSupported, readManifest } from '../../../../shared/src/space/manifest'
import { MAIN_ROOM, type RoomName } from '../../../../shared/src/space/rooms'
import type { PracticeDigests } from '../digests/practice-digests'
import type { RoomPhase } from '../rooms/room-lifecycle'
import type { BackgroundPass } from './background-pass'
import { RoomIndex } from './room-index'

export interface MainRoomWatchDeps {
  /** A doc held for the practice's lifetime. */
  readonly openDoc: (docId: string) => Promise<Y.Doc>
  /** Waits until main's entries are applied. */
  readonly settleMain: () => Promise<void>
  readonly pass: BackgroundPass
  readonly digests: PracticeDigests
  /** The room index changed, or the practice was refused: the practice reconciles. */
  readonly onChange: () => void
  /** The practice's data is in a format newer than this app knows. */
  readonly onFormatTooNew: () => void
  readonly inBackground: (work: Promise<unknown>) => void
}

export class MainRoomWatch {
  private wasLive = false
  private synced = false
  private index: RoomIndex | null = null
  private manifestDoc: { doc: Y.Doc; check: () => void } | null = null
  private markSynced: () => void = () => undefined
  /** Resolves once main's first exchange is applied: the views read the directory doc from then on. */
  readonly directorySynced = new Promise<void>((resolve) => (this.markSynced = resolve))

  constructor(private readonly deps: MainRoomWatchDeps) {}

  /** Main's phase, at each of the practice's reconciles. */
  notice(phase: RoomPhase | null): void {
    const live = phase?.kind === 'live'
    if (live && !this.wasLive) {
      this.deps.pass.restart()
      if (!this.synced) {
        this.synced = true
        this.deps.inBackground(this.firstSync())
      }
    }
    this.wasLive = live
  }

  /**
   * Whether nobody ever wrote to `room`, as far as a synced directory tells (its room index); false
   * when unknown (main has not synced in this session).
   */
  knownEmpty(room: RoomName): boolean {
    return this.synced && this.index !== null && room !== MAIN_ROOM && !this.index.has(room)
  }

  /** Lists a room this device wrote to, so other devices fetch it in their background pass. */
  async record(room: RoomName): Promise<void> {
    ;(this.index ?? this.readIndex(await this.deps.openDoc(DIRECTORY_DOC_ID))).record(room)
  }

  destroy(): void {
    this.index?.destroy()
    this.manifestDoc?.doc.off('update', this.manifestDoc.check)
  }

  private async firstSync(): Promise<void> {
    await this.deps.settleMain()
    const directory = await this.deps.openDoc(DIRECTORY_DOC_ID)
    this.watchManifest(await this.deps.openDoc(MANIFEST_DOC_ID))
    this.deps.digests.directorySynced(directory)
    this.readIndex(directory)
    this.deps.onChange()
    this.markSynced()
  }

  private readIndex(directory: Y.Doc): RoomIndex {
    if (this.index) return this.index
    const index = new RoomIndex(directory, () => {
      this.deps.pass.setIndex(index.rooms())
      this.deps.onChange()
    })
    this.index = index
    this.deps.pass.setIndex(index.rooms())
    return index
  }

  /** A practice whose data is newer than this app stops syncing and says "update the app". */
  private watchManifest(doc: Y.Doc): void {
    const check = () => {
      try {
        if (!isFormatSupported(readManifest(doc))) this.deps.onFormatTooNew()
      } catch (error) {
        // A device with the key wrote something else: nothing to act on, said without data.
        console.warn('The space manifest is unreadable', error instanceof Error ? error.name : 'error')
      }
    }
    this.manifestDoc = { doc, check }
    doc.on('update', check)
    check()
  }
}
