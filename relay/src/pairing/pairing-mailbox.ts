/**
 * The pairings a relay holds open (shared/src/devices/pairing-wire.ts has the protocol), kept in
 * the relay's storage (storage/pairing-rows.ts), so that on a relay of several nodes the joining
 * device's polls and the administrator's claim and seal may each reach any node (issue 22). The
 * joining device polls (GET every second or so): no node waits on another, each reads storage.
 *
 * Bounded: MAX_OPEN pairings in all and MAX_OPEN_PER_ADDRESS per client address, counted by
 * storage atomically with the insert, so that the route a device uses before it belongs to any
 * space cannot grow the relay's storage. Expired pairings are never answered, and removed.
 *
 * This module owns what the stages mean and which moves are allowed, forward only:
 *   waiting → claimed (by one space, with one admin's keys) → sealed → collected (gone)
 *   waiting | claimed → refused (by the admin device) or cancelled (by the joining device: gone)
 * Storage applies each move atomically with the read it was decided on (updatePairing), so of a
 * poll and a seal arriving at two nodes at once, one sees the other's result.
 */
import type { DevicePublicKeys } from '../../../shared/src/devices/device-identity'
import { newPairingCode, PAIRING_TTL_MS, type PairingState } from '../../../shared/src/devices/pairing-wire'
import type { PairingChange, PairingStage, StoredPairing } from '../storage/pairing-rows'
import type { RelayStorage } from '../storage/relay-storage'

export const MAX_OPEN = 1000
export const MAX_OPEN_PER_ADDRESS = 3
/** Draws of a new code before giving up: 50-bit codes, at most MAX_OPEN live, so one draw in practice. */
const CODE_DRAWS = 5

export type OpenOutcome = { ok: true; code: string; expiresAt: number } | { ok: false; reason: 'address_full' | 'relay_full' }
export type ClaimOutcome = { ok: true; joining: DevicePublicKeys } | { ok: false; reason: 'unknown' | 'taken' }
export type SealOutcome = { ok: true } | { ok: false; reason: 'unknown' | 'not_claimed' }

/** What the mailbox needs of storage. */
export type PairingStorage = Pick<RelayStorage, 'openPairing' | 'updatePairing' | 'countPairings'>

const KEEP: PairingChange = { kind: 'keep' }
const DELETE: PairingChange = { kind: 'delete' }
const toStage = (stage: PairingStage): PairingChange => ({ kind: 'stage', stage })

/** Every draw met a live code, which 50-bit codes never do: storage or the random source is broken. */
export class PairingCodeExhaustedError extends Error {
  override name = 'PairingCodeExhaustedError'
  constructor() {
    super(`No free pairing code after ${CODE_DRAWS} draws: check the relay's random source and its pairings table`)
  }
}

export class PairingMailbox {
  constructor(
    private readonly storage: PairingStorage,
    private readonly now: () => number = Date.now,
  ) {}

  async open(joining: DevicePublicKeys, address: string): Promise<OpenOutcome> {
    for (let draw = 0; draw < CODE_DRAWS; draw++) {
      const now = this.now()
      const pairing: StoredPairing = { code: newPairingCode(), joining, address, expiresAt: now + PAIRING_TTL_MS, stage: { kind: 'waiting' } }
      const result = await this.storage.openPairing(pairing, now, { maxOpen: MAX_OPEN, maxPerAddress: MAX_OPEN_PER_ADDRESS })
      if (result === 'opened') return { ok: true, code: pairing.code, expiresAt: pairing.expiresAt }
      if (result !== 'code_taken') return { ok: false, reason: result }
    }
    throw new PairingCodeExhaustedError()
  }

  /**
   * What the joining device learns when it polls; null for an unknown or expired code. A sealed
   * pairing is handed over once and forgotten: the blob is of no use to anyone else, and a second
   * reader is not the device that opened the pairing.
   */
  collect(code: string): Promise<PairingState | null> {
    return this.storage.updatePairing(code, this.now(), (pairing): { change: PairingChange; result: PairingState } => {
      const { stage } = pairing
      switch (stage.kind) {
        case 'waiting':
          return { change: KEEP, result: { state: 'waiting', expiresAt: pairing.expiresAt } }
        case 'claimed':
          return { change: KEEP, result: { state: 'claimed', expiresAt: pairing.expiresAt, admin: stage.admin } }
        case 'sealed':
          return { change: DELETE, result: { state: 'sealed', admin: stage.admin, sealed: stage.sealed } }
        case 'refused':
          return { change: DELETE, result: { state: 'refused' } }
      }
    })
  }

  /** The joining device gave up. */
  async cancel(code: string): Promise<boolean> {
    return (await this.storage.updatePairing(code, this.now(), () => ({ change: DELETE, result: true }))) ?? false
  }

  /**
   * An administrator's device of `spaceId` claims the pairing with its keys. The first claim wins;
   * the same claim again (a retried request) is answered alike, any other is refused.
   */
  async claim(code: string, spaceId: string, admin: DevicePublicKeys): Promise<ClaimOutcome> {
    const outcome = await this.storage.updatePairing(code, this.now(), (pairing): { change: PairingChange; result: ClaimOutcome } => {
      const { stage } = pairing
      const claimed: ClaimOutcome = { ok: true, joining: pairing.joining }
      if (stage.kind === 'waiting') return { change: toStage({ kind: 'claimed', spaceId, admin }), result: claimed }
      if (stage.kind === 'claimed' && stage.spaceId === spaceId && sameKeys(stage.admin, admin)) return { change: KEEP, result: claimed }
      return { change: KEEP, result: { ok: false, reason: 'taken' } }
    })
    return outcome ?? { ok: false, reason: 'unknown' }
  }

  seal(code: string, spaceId: string, sealed: string): Promise<SealOutcome> {
    return this.settle(code, spaceId, (admin) => ({ kind: 'sealed', spaceId, admin, sealed }))
  }

  /** The admin device refused the pairing (the codes differed, or it was not expected). */
  refuse(code: string, spaceId: string): Promise<SealOutcome> {
    return this.settle(code, spaceId, () => ({ kind: 'refused' }))
  }

  /** Open pairings now (tournee_pairings_open). */
  size(): Promise<number> {
    return this.storage.countPairings(this.now())
  }

  /** A claimed pairing's answer, by the space that claimed it only. */
  private async settle(code: string, spaceId: string, next: (admin: DevicePublicKeys) => PairingStage): Promise<SealOutcome> {
    const outcome = await this.storage.updatePairing(code, this.now(), ({ stage }): { change: PairingChange; result: SealOutcome } => {
      if (stage.kind !== 'claimed' || stage.spaceId !== spaceId) return { change: KEEP, result: { ok: false, reason: 'not_claimed' } }
      return { change: toStage(next(stage.admin)), result: { ok: true } }
    })
    return outcome ?? { ok: false, reason: 'unknown' }
  }
}

function sameKeys(a: DevicePublicKeys, b: DevicePublicKeys): boolean {
  return a.agree === b.agree && a.sign === b.sign
}
