/**
 * A room connection for tests of room.ts: it keeps every frame it is sent, decoded enough to tell
 * the relay's step 1s, the updates (step 2s and live updates) and the ACKs apart. Frames are
 * recorded as `send` is called, synchronously, so "not sent yet" is exact, not a matter of timing.
 */
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { MessageType } from '../../../shared/src/protocol/constants'
import type { RoomPeer } from '../rooms/room'

export class RecordingPeer implements RoomPeer {
  /** The payload of each step 2 and update frame, in the order sent. */
  readonly updates: Uint8Array[] = []
  /** The sync type of each of `updates`: 1 step 2, 2 update. */
  readonly syncTypes: number[] = []
  /** The state vectors the relay sent as its step 1. */
  readonly stepOnes: Uint8Array[] = []
  readonly acks: Map<number, number>[] = []

  send(frame: Uint8Array): void {
    const decoder = decoding.createDecoder(frame)
    const type = decoding.readVarUint(decoder)
    if (type === MessageType.Ack) this.acks.push(Y.decodeStateVector(decoding.readVarUint8Array(decoder)))
    else if (type === MessageType.Sync) {
      // Step 1 carries a state vector; step 2 and update carry an update.
      const syncType = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      if (syncType === 0) {
        this.stepOnes.push(payload)
      } else {
        this.syncTypes.push(syncType)
        this.updates.push(payload)
      }
    }
  }
}
