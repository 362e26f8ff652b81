/**
 * The pairings a relay holds open (shared/src/devices/pairing-wire.ts has the protocol): in
 * memory, because a pairing lives ten minutes and a relay restart only asks the two people to
 * start again. Several relay nodes (issue 22) will need it in shared storage.
 *
 * Bounded: MAX_OPEN pairings in all and MAX_OPEN_PER_ADDRESS per client address, so that the
 * route a device uses before it belongs to any space cannot grow the relay's memory. Expired
 * pairings are dropped on every call, oldest first (a Map keeps insertion order).
 *
 * One owner for a pairing's state, moved forward only:
 *   waiting → claimed (by one space, with one admin's keys) → sealed → collected (gone)
 *   waiting | claimed → refused (by the admin device) or cancelled (by the joining device: gone)
 */
import type { DevicePublicKeys } from '../../../shared/src/devices/device-identity'
import { newPairingCode, PAIRING_TTL_MS, type PairingState } from '../../../shared/src/devices/pairing-wire'

export const MAX_OPEN = 1000
export const MAX_OPEN_PER_ADDRESS = 3

type Stage =
  | { kind: 'waiting' }
  | { kind: 'claimed'; spaceId: string; admin: DevicePublicKeys }
  | { kind: 'sealed'; spaceId: string; admin: DevicePublicKeys; sealed: string }
  | { kind: 'refused' }

interface Pairing {
  readonly code: string
  readonly joining: DevicePublicKeys
  readonly address: string
  readonly expiresAt: number
  stage: Stage
}

export type OpenOutcome = { ok: true; code: string; expiresAt: number } | { ok: false; reason: 'address_full' | 'relay_full' }
export type ClaimOutcome = { ok: true; joining: DevicePublicKeys } | { ok: false; reason: 'unknown' | 'taken' }
export type SealOutcome = { ok: true } | { ok: false; reason: 'unknown' | 'not_claimed' }

export class PairingMailbox {
  private readonly pairings = new Map<string, Pairing>()

  constructor(private readonly now: () => number = Date.now) {}

  open(joining: DevicePublicKeys, address: string): OpenOutcome {
    this.dropExpired()
    if (this.pairings.size >= MAX_OPEN) return { ok: false, reason: 'relay_full' }
    let fromAddress = 0
    for (const pairing of this.pairings.values()) if (pairing.address === address) fromAddress++
    if (fromAddress >= MAX_OPEN_PER_ADDRESS) return { ok: false, reason: 'address_full' }
    let code = newPairingCode()
    while (this.pairings.has(code)) code = newPairingCode()
    const expiresAt = this.now() + PAIRING_TTL_MS
    this.pairings.set(code, { code, joining, address, expiresAt, stage: { kind: 'waiting' } })
    return { ok: true, code, expiresAt }
  }

  /**
   * What the joining device learns when it polls; null for an unknown or expired code. A sealed
   * pairing is handed over once and forgotten: the blob is of no use to anyone else, and a second
   * reader is not the device that opened the pairing.
   */
  collect(code: string): PairingState | null {
    const pairing = this.live(code)
    if (pairing === null) return null
    const { stage } = pairing
    switch (stage.kind) {
      case 'waiting':
        return { state: 'waiting', expiresAt: pairing.expiresAt }
      case 'claimed':
        return { state: 'claimed', expiresAt: pairing.expiresAt, admin: stage.admin }
      case 'sealed':
        this.pairings.delete(code)
        return { state: 'sealed', admin: stage.admin, sealed: stage.sealed }
      case 'refused':
        this.pairings.delete(code)
        return { state: 'refused' }
    }
  }

  /** The joining device gave up. */
  cancel(code: string): boolean {
    return this.pairings.delete(code)
  }

  /**
   * An administrator's device of `spaceId` claims the pairing with its keys. The first claim wins;
   * the same claim again (a retried request) is answered alike, any other is refused.
   */
  claim(code: string, spaceId: string, admin: DevicePublicKeys): ClaimOutcome {
    const pairing = this.live(code)
    if (pairing === null) return { ok: false, reason: 'unknown' }
    const { stage } = pairing
    if (stage.kind === 'waiting') {
      pairing.stage = { kind: 'claimed', spaceId, admin }
      return { ok: true, joining: pairing.joining }
    }
    if (stage.kind === 'claimed' && stage.spaceId === spaceId && sameKeys(stage.admin, admin)) return { ok: true, joining: pairing.joining }
    return { ok: false, reason: 'taken' }
  }

  seal(code: string, spaceId: string, sealed: string): SealOutcome {
    const pairing = this.live(code)
    if (pairing === null) return { ok: false, reason: 'unknown' }
    const { stage } = pairing
    if (stage.kind !== 'claimed' || stage.spaceId !== spaceId) return { ok: false, reason: 'not_claimed' }
    pairing.stage = { kind: 'sealed', spaceId, admin: stage.admin, sealed }
    return { ok: true }
  }

  /** The admin device refused the pairing (the codes differed, or it was not expected). */
  refuse(code: string, spaceId: string): SealOutcome {
    const pairing = this.live(code)
    if (pairing === null) return { ok: false, reason: 'unknown' }
    const { stage } = pairing
    if (stage.kind !== 'claimed' || stage.spaceId !== spaceId) return { ok: false, reason: 'not_claimed' }
    pairing.stage = { kind: 'refused' }
    return { ok: true }
  }

  /** Open pairings now (tournee_pairings_open). */
  size(): number {
    this.dropExpired()
    return this.pairings.size
  }

  private live(code: string): Pairing | null {
    this.dropExpired()
    return this.pairings.get(code) ?? null
  }

  private dropExpired(): void {
    const now = this.now()
    for (const [code, pairing] of this.pairings) {
      if (pairing.expiresAt > now) break
      this.pairings.delete(code)
    }
  }
}

function sameKeys(a: DevicePublicKeys, b: DevicePublicKeys): boolean {
  return a.agree === b.agree && a.sign === b.sign
}
