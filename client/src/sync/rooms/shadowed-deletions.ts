/**
 * A device's step 2 without the deletions of its shadowed clocks.
 *
 * A clock of this device is shadowed when the relay holds, there, something this device never saw
 * as its own: an entry another writer put at this device's next clock while it was offline
 * (delivery-check.ts, « taken »). When this device had deleted its own entry at that clock before
 * it learnt so — a compaction made offline — its step 2 repeats the deletion, as every step 2
 * repeats the doc's whole delete set; on the relay that deletes the *other* writer's entry, beside
 * no new entry of that entry's doc, and the relay refuses the update (4400, « What the relay
 * accepts »). The device reconnected, sent the same step 2, and was refused again, for ever.
 *
 * Once the relay has refused such a deletion (room-delivery.ts decides which clocks: a device
 * cannot tell a taken clock from its own entry whose ACK it lost until the relay says no), the
 * device answers the relay's step 1 itself: what the provider would send (`Y.encodeStateAsUpdate`:
 * the structs the relay lacks, then the delete set of the whole doc), with those clocks taken out
 * of the delete set. Nothing is lost by it: what the deleted entry held is in the snapshot that
 * deleted it, and the relay's entry at that clock is not this device's to delete.
 *
 * The delete set is encoded as Yjs encodes it in a v1 update (coverage.ts, `writeDeleteSet`,
 * pinned with the rest of the format there): the doc's own delete set, encoded so, must be the
 * update's last bytes, which are then replaced. If they are not (a doc with pending structs, whose
 * step 2 Yjs merges), the step 2 goes as Yjs makes it, and the refusal it may meet is the old one.
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { writeDeleteSet } from '../../../../shared/src/envelope/coverage'

/** [client, clock] of one clock (the room's records keep them so: room-store.ts). */
export type ClockId = readonly [client: number, clock: number]

/** This doc's deleted clocks of `client` in [from, to): every one, in order. */
export function deletedClocks(doc: Y.Doc, client: number, from: number, to: number): ClockId[] {
  const found: ClockId[] = []
  const structs = doc.store.clients.get(client)
  if (!structs || from >= to) return found
  for (let i = Y.findIndexSS(structs, from); i < structs.length; i++) {
    const struct = structs[i]!
    const start = struct.id.clock
    if (start >= to) break
    if (!struct.deleted) continue
    for (let clock = Math.max(start, from); clock < Math.min(start + struct.length, to); clock++) found.push([client, clock])
  }
  return found
}

/**
 * The step 2 answering `stateVector` (the relay's step 1), without the deletion of the `shadowed`
 * clocks this doc deleted; null when none is deleted here (the provider's own step 2 is right).
 */
export function stepTwoWithout(doc: Y.Doc, stateVector: Uint8Array, shadowed: readonly ClockId[]): Uint8Array | null {
  const withheld = new Set(shadowed.filter(([client, clock]) => isDeletedAt(doc, client, clock)).map(([client, clock]) => `${client}:${clock}`))
  if (withheld.size === 0) return null
  const update = Y.encodeStateAsUpdate(doc, stateVector)
  const deleteSet = Y.createDeleteSetFromStructStore(doc.store)
  const whole = encodeDeleteSet(deleteSet)
  if (!endsWith(update, whole)) {
    console.warn('A step 2 whose delete set is not the doc’s own (pending structs): sent whole')
    return null
  }
  const clients = new Set(shadowed.map(([client]) => client))
  const kept = new Map<number, Array<{ clock: number; len: number }>>()
  for (const [client, items] of deleteSet.clients) {
    if (!clients.has(client)) {
      kept.set(client, items)
      continue
    }
    const ranges: Array<{ clock: number; len: number }> = []
    for (const { clock, len } of items) {
      let start = clock
      for (let at = clock; at <= clock + len; at++) {
        if (at < clock + len && !withheld.has(`${client}:${at}`)) continue
        if (at > start) ranges.push({ clock: start, len: at - start })
        start = at + 1
      }
    }
    if (ranges.length > 0) kept.set(client, ranges)
  }
  const head = update.subarray(0, update.byteLength - whole.byteLength)
  const tail = encodeRanges(kept)
  const answer = new Uint8Array(head.byteLength + tail.byteLength)
  answer.set(head)
  answer.set(tail, head.byteLength)
  return answer
}

function isDeletedAt(doc: Y.Doc, client: number, clock: number): boolean {
  const structs = doc.store.clients.get(client)
  if (!structs || Y.getState(doc.store, client) <= clock) return false
  return structs[Y.findIndexSS(structs, clock)]!.deleted
}

function encodeDeleteSet(deleteSet: ReturnType<typeof Y.createDeleteSetFromStructStore>): Uint8Array {
  return encodeRanges(new Map([...deleteSet.clients].map(([client, items]) => [client, items.map(({ clock, len }) => ({ clock, len }))])))
}

function encodeRanges(clients: ReadonlyMap<number, ReadonlyArray<{ clock: number; len: number }>>): Uint8Array {
  const encoder = encoding.createEncoder()
  writeDeleteSet(encoder, clients)
  return encoding.toUint8Array(encoder)
}

function endsWith(bytes: Uint8Array, suffix: Uint8Array): boolean {
  if (suffix.byteLength > bytes.byteLength) return false
  const offset = bytes.byteLength - suffix.byteLength
  for (let i = 0; i < suffix.byteLength; i++) if (bytes[offset + i] !== suffix[i]) return false
  return true
}
