/**
 * How many envelope entries of this device the relay has not yet made durable.
 *
 * Every entry is one clock tick of the client that wrote it (envelope.ts). The relay acknowledges
 * with its state vector once an update is durable; the difference between the local state vector
 * and the highest acknowledged clock of each client is the number of entries still only here.
 * It counts entries written offline in an earlier session too (another clientID): a reload does
 * not make pending changes disappear from the count.
 *
 * What a device receives from the relay is on the relay, or being written there: it counts as
 * acknowledged on arrival (mergeReceived), so the relay need not send an ACK to every device for
 * every edit it fans out. The relay forwards before its durable write; should it die in between,
 * nothing is lost (the writer still holds the change as pending and sends it again, and any device
 * holding it offers it in its step 2), only this device's count was optimistic for that moment.
 */
import * as Y from 'yjs'

export type StateVector = Map<number, number>

export function decodeStateVector(bytes: Uint8Array): StateVector {
  return Y.decodeStateVector(bytes)
}

/** Keeps, per client, the highest clock ever acknowledged (acks can arrive out of order). */
export function mergeAcknowledged(into: StateVector, ack: StateVector): void {
  for (const [client, clock] of ack) {
    if ((into.get(client) ?? 0) < clock) into.set(client, clock)
  }
}

export function countUnacknowledged(local: StateVector, acknowledged: StateVector): number {
  let pending = 0
  for (const [client, clock] of local) pending += Math.max(0, clock - (acknowledged.get(client) ?? 0))
  return pending
}

/**
 * Counts the entries an update received from the relay carries as acknowledged. Per writer, the
 * update holds the clocks [from, to); they extend what is acknowledged only when contiguous with
 * it (from ≤ acknowledged): a gap would be entries this device holds that the relay never sent,
 * which must stay pending. A whole-state update (step 2) starts every writer at 0.
 */
export function mergeReceived(into: StateVector, update: Uint8Array): void {
  const { from, to } = Y.parseUpdateMeta(update)
  for (const [client, end] of to) {
    const known = into.get(client) ?? 0
    if ((from.get(client) ?? 0) <= known && known < end) into.set(client, end)
  }
}
