/**
 * Checks an envelope update before it is stored: within the size limit, and a well-formed Yjs
 * update (Y.decodeUpdate reads every struct and delete set, and throws on garbage). Storing a
 * malformed update would poison the room for every later load, so this runs before storage.
 */
import * as Y from 'yjs'
import { FrameError } from './frame-error'

export interface CheckedUpdate {
  /** No structs and no deletions: nothing to store (a step-2 answer from an up-to-date device). */
  empty: boolean
}

export function checkUpdate(update: Uint8Array, maxUpdateBytes: number): CheckedUpdate {
  if (update.byteLength > maxUpdateBytes) {
    throw new FrameError(
      'UpdateTooLarge',
      'update_too_large',
      `update of ${update.byteLength} bytes exceeds the relay's limit of ${maxUpdateBytes}`,
    )
  }
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch (error) {
    throw new FrameError('BadFrame', 'bad_frame', `malformed Yjs update (${error instanceof Error ? error.message : 'unknown'})`)
  }
  return { empty: decoded.structs.length === 0 && decoded.ds.clients.size === 0 }
}
