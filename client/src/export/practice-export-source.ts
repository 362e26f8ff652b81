/**
 * The app's practice as an ExportSource: docs through the practice handle (each acquired for the
 * time it is read, then let go, so its room may close), the agenda months from the directory's room
 * index (every month the practice has written to, sync/practice/room-index.ts), the patient files
 * when this device's role holds their keys, and attachments from the attachment store (this
 * device's copy, else the relay's, decrypted). Offline, it exports what this device holds.
 */
import type * as Y from 'yjs'
import { DIRECTORY_DOC_ID } from '../../../shared/src/model'
import { isRoomName, monthOfRoom } from '../../../shared/src/space/rooms'
import type { PracticeHandle } from '../sync/practice/practice-handle'
import { ROOMS_INDEX_MAP } from '../sync/practice/room-index'
import type { ExportSource } from './export-source'

/** The source, and `release()` to let go of the directory once the export is over. */
export async function practiceExportSource(handle: PracticeHandle): Promise<ExportSource & { release(): void }> {
  // A month written to just before (an appointment saved, then « Exporter ») is listed in the
  // background: wait for it, or the export would leave that month out.
  await handle.roomsListed()
  const directoryLease = await handle.acquireDoc(DIRECTORY_DOC_ID, 'view')
  const directory = directoryLease.doc
  const months = [...directory.getMap<boolean>(ROOMS_INDEX_MAP).keys()]
    .filter(isRoomName)
    .map(monthOfRoom)
    .filter((month): month is string => month !== null)
  const attachments = handle.attachments
  return {
    directory,
    months,
    readsClinical: handle.readsClinical,
    async withDoc<T>(docId: string, read: (doc: Y.Doc) => T | Promise<T>): Promise<T> {
      const lease = await handle.acquireDoc(docId, 'view')
      try {
        return await read(lease.doc)
      } finally {
        lease.release()
      }
    },
    attachmentBytes: attachments ? (hash: string) => attachments.open(hash) : null,
    release: () => directoryLease.release(),
  }
}
