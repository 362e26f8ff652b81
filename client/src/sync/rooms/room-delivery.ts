/**
 * One room's part of « delivered means stored » (delivery-check.ts holds the exchange and the
 * comparison): when to check, what to do with the verdict, and what it leaves behind — the entries
 * of this device found replaced on the relay, which are written again under a fresh client id,
 * never deleted here (their ids are saved with the room's records, `shadowed`), and reported.
 *
 * The room drives it from its link's events: a socket opened (hold the writers with entries the
 * relay has not acknowledged), the handshake done (ask for the relay's copy of them), each frame
 * from the relay (the answer; a forwarded update writing over this device's entries; an ACK that
 * claims more of a writer still held), the socket closed.
 */
import * as Y from 'yjs'
import type { Envelope } from '../../../../shared/src/envelope/envelope'
import { CloseCode } from '../../../../shared/src/protocol/constants'
import type { RelayFrame } from '../relay/relay-frames'
import { DeliveryCheck, EntriesReplacedError, entriesAt, freshClientId, overwritten, RESENT_ORIGIN, type TakenEntry } from './delivery-check'
import type { RoomProgress } from './room-progress'
import { deletedClocks, stepTwoWithout, type ClockId } from './shadowed-deletions'

export interface RoomDeliveryParts {
  readonly doc: Y.Doc
  readonly envelope: Envelope
  readonly progress: RoomProgress
  /** Sends a sync step 1 of this state vector on the open socket; false without one. */
  readonly sendStep1: (stateVector: Uint8Array) => boolean
  /** The blinded room id, for the log. */
  readonly roomId: string
  /** A named error for the room's onError (no content). */
  readonly report: (error: Error) => void
  /** The acknowledged vector or the shadowed list moved; `now`: write the records at once. */
  readonly changed: (now: boolean) => void
}

export class RoomDelivery {
  private check: DeliveryCheck | null = null
  private resent = 0
  private readonly shadowedIds: Array<readonly [number, number]>
  /** Clocks whose deletion this socket's step 2 carried while the relay may hold another writer's entry there. */
  private unproven: ClockId[] = []

  /** `shadowed`: the ids the room's records kept, excluded from the envelope again. */
  constructor(
    private readonly parts: RoomDeliveryParts,
    shadowed: ReadonlyArray<readonly [number, number]>,
  ) {
    this.shadowedIds = [...shadowed]
    parts.envelope.exclude(entriesAt(parts.doc, parts.envelope.entries, this.shadowedIds))
  }

  /** Entries of this device found replaced on the relay and written again, in this session. */
  get resentEntries(): number {
    return this.resent
  }

  /** [client, clock] of the entries never to be deleted here (the room saves them). */
  get shadowed(): ReadonlyArray<readonly [number, number]> {
    return this.shadowedIds
  }

  /** A socket opened: the writers with entries the relay has not acknowledged wait for the check. */
  opened(): void {
    const { doc, envelope, progress } = this.parts
    this.check = DeliveryCheck.begin(doc, envelope.entries, progress.acknowledgedNow())
    progress.hold(this.check?.holds ?? new Map())
  }

  /**
   * The relay's step 1 came: the step 2 to answer it with, or null for the provider's own, which
   * leaves out the deletions of the shadowed clocks (shadowed-deletions.ts).
   *
   * The clocks of a held writer that the relay holds (its state vector covers them) and that this
   * device deleted before the relay acknowledged them hold, on the relay, either this device's own
   * entry (its ACK lost before it went offline) or another writer's (a taken clock): this device
   * cannot tell yet. Its own, the deletion must go (an erasure's, above all); another's, the relay
   * refuses it. So the step 2 first carries it; if the relay then closes the socket as malformed
   * before the check has spoken, they become shadowed and the next step 2 leaves them out.
   */
  answerStep1(stateVector: Uint8Array): Uint8Array | null {
    const { doc } = this.parts
    this.unproven = []
    if (this.check !== null) {
      const relay = Y.decodeStateVector(stateVector)
      const known = new Set(this.shadowedIds.map(([client, clock]) => `${client}:${clock}`))
      for (const [client, acknowledged] of this.check.holds) {
        const to = Math.min(relay.get(client) ?? 0, Y.getState(doc.store, client))
        for (const id of deletedClocks(doc, client, acknowledged, to)) if (!known.has(`${id[0]}:${id[1]}`)) this.unproven.push(id)
      }
    }
    return this.shadowedIds.length === 0 ? null : stepTwoWithout(doc, stateVector, this.shadowedIds)
  }

  /** The handshake is done (the device's step 2 went out before it): ask for the relay's copy. */
  synced(): void {
    if (this.check !== null && !this.parts.sendStep1(this.check.request())) this.check = null
  }

  /**
   * A frame from the relay, before the provider applies it and before the room's progress takes
   * it: the check's answer, a forwarded update, or an ACK (`live`: the handshake is done).
   */
  frame(frame: RelayFrame, live: boolean): void {
    if (frame.type === 'sync-step2' && this.check?.awaitingAnswer) this.judge(frame.update)
    else if (frame.type === 'sync-update') {
      // Until its step 2, the answer may come in frames (relay/src/rooms/frames.ts): each is part of it.
      if (this.check?.awaitingAnswer) this.check.take(frame.update)
      // A clock can be taken online only while this device's entry at it is in flight: with nothing
      // pending, a forwarded update is not decoded here (Yjs decodes it once, to apply it).
      if (this.parts.progress.pending() > 0) this.forwarded(frame.update)
    } else if (frame.type === 'ack' && live) this.checkAgain(frame)
  }

  /**
   * The socket closed: a check in flight ends with it (the holds end in the room's progress). Closed
   * as malformed after a step 2 that deleted clocks the relay may hold another writer's entry at:
   * those deletions are what it refused; never sent again (recorded at once, for after a reload too).
   */
  closed(code: number | null): void {
    this.check = null
    if (code === CloseCode.BadFrame.code && this.unproven.length > 0) {
      this.shadowedIds.push(...this.unproven)
      console.warn(`Room ${this.parts.roomId}: the relay refused this device's step 2; its deletions of ${this.unproven.length} clock(s) it may hold another writer's entry at are left out from now on`)
      this.parts.changed(true)
    }
    this.unproven = []
  }

  /** The relay's copy of this device's entries, against this device's. */
  private judge(answer: Uint8Array): void {
    const check = this.check
    this.check = null
    // The answer follows this device's step 2 on the socket: the relay took it, deletions included.
    this.unproven = []
    if (check === null) return
    let verdict: ReturnType<DeliveryCheck['judge']>
    try {
      verdict = check.judge(answer)
    } catch (error) {
      // Not an update: the provider's apply fails on it too. The writers stay held (pending).
      console.warn(`Room ${this.parts.roomId}: the relay's copy of this device's entries does not decode (${error instanceof Error ? error.name : 'error'})`)
      return
    }
    // Written again before the old clocks are settled, so the pending count never drops to 0 in between.
    this.writeAgain(verdict.taken, verdict.removed)
    this.parts.progress.settle(verdict.settled, verdict.missing)
    this.parts.changed(false)
  }

  /**
   * An ACK that claims more of a writer still held (its entries were missing from the relay's
   * answer: another tab may have written them and sent them since): checked again.
   */
  private checkAgain(frame: RelayFrame): void {
    if (this.check !== null) return
    const { doc, envelope, progress } = this.parts
    const claimed = progress.heldClaimed(frame)
    if (claimed.size === 0) return
    const check = DeliveryCheck.begin(doc, envelope.entries, progress.acknowledgedNow(), claimed)
    if (check !== null && this.parts.sendStep1(check.request())) this.check = check
  }

  /** A live update from the relay that writes over entries of this device (a clock taken while online). */
  private forwarded(update: Uint8Array): void {
    let taken: TakenEntry[]
    try {
      taken = overwritten(this.parts.doc, this.parts.envelope.entries, update)
    } catch (error) {
      // Not an update: the provider's apply throws on it too; nothing of it was compared.
      console.warn(`Room ${this.parts.roomId}: an update from the relay does not decode (${error instanceof Error ? error.name : 'error'})`)
      return
    }
    this.writeAgain(taken, [])
  }

  /**
   * Writes entries of this device again under a fresh client id: `taken` ones (the relay holds
   * another entry at their clocks) are excluded from the envelope first — a compaction must never
   * delete them (the relay would refuse it, delivery-check.ts) — recorded, and reported; `removed`
   * ones (deleted there, maybe by a colleague's compaction) are only written again.
   */
  private writeAgain(foundTaken: readonly TakenEntry[], removed: readonly TakenEntry[]): void {
    // A frame of the check's answer is also read as a forwarded update: a clock found taken there
    // is found again when the answer is judged, and written again only once.
    const known = new Set(this.shadowedIds.map(([client, clock]) => `${client}:${clock}`))
    const taken = foundTaken.filter(({ client, clock }) => !known.has(`${client}:${clock}`))
    if (taken.length + removed.length === 0) return
    const { doc, envelope } = this.parts
    if (taken.length > 0) {
      envelope.exclude(taken.map(({ entry }) => entry))
      this.shadowedIds.push(...taken.map(({ client, clock }) => [client, clock] as const))
    }
    const again = [...taken, ...removed].map(({ entry }) => entry)
    void envelope.writeCopies(again, RESENT_ORIGIN, () => freshClientId(doc)).then(
      (client) => console.warn(`Room ${this.parts.roomId}: entries of this device replaced on the relay: ${taken.length}, deleted there: ${removed.length}; written again as client ${client}`),
      (error: unknown) => this.parts.report(error instanceof Error ? error : new Error(String(error))),
    )
    if (taken.length === 0) return
    this.resent += taken.length
    this.parts.report(new EntriesReplacedError(taken.length))
    // The shadowed list at once, not in half a second: lost, a later compaction would delete
    // those entries, which the relay refuses.
    this.parts.changed(true)
  }
}
