/**
 * Open pairings as the relay stores them (RelayStorage's pairing calls; what a stage means and
 * which moves are allowed is relay/src/pairing/pairing-mailbox.ts's), and their one row in either
 * engine:
 *
 *   pairings (code TEXT PRIMARY KEY, joining_agree TEXT, joining_sign TEXT, address TEXT,
 *             expires_at INTEGER ms, stage TEXT ∈ waiting|claimed|sealed|refused,
 *             space_id TEXT, admin_agree TEXT, admin_sign TEXT    (claimed and sealed),
 *             sealed TEXT                                        (sealed))
 *   indexes on expires_at (the purge) and address (the per-address bound)
 *
 * Read back through `pairingOfRow`, which checks that the columns a stage needs are there, so a
 * row another relay wrote wrong is a named error, not a pairing with half its keys.
 */
import type { DevicePublicKeys } from '../../../shared/src/devices/device-identity'

export type PairingStage =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'claimed'; readonly spaceId: string; readonly admin: DevicePublicKeys }
  | { readonly kind: 'sealed'; readonly spaceId: string; readonly admin: DevicePublicKeys; readonly sealed: string }
  | { readonly kind: 'refused' }

export interface StoredPairing {
  readonly code: string
  readonly joining: DevicePublicKeys
  /** The client address that opened it (perimeter/client-address.ts): the per-address bound. */
  readonly address: string
  /** ms; the pairing is gone from this instant on. */
  readonly expiresAt: number
  readonly stage: PairingStage
}

/** What a storage's updatePairing does to the pairing it read: nothing, a new stage, or remove it. */
export type PairingChange = { readonly kind: 'keep' } | { readonly kind: 'stage'; readonly stage: PairingStage } | { readonly kind: 'delete' }

/** A decision on one live pairing: what becomes of it, and what the caller is told. */
export type PairingDecision<T> = (pairing: StoredPairing) => { readonly change: PairingChange; readonly result: T }

/** The bounds openPairing checks, atomically with the insert. */
export interface PairingBounds {
  readonly maxOpen: number
  readonly maxPerAddress: number
}

/** `code_taken`: another live pairing has that code (the caller draws another). */
export type OpenPairingResult = 'opened' | 'code_taken' | 'address_full' | 'relay_full'

/** A pairing's row, as both engines name its columns. */
export interface PairingRow {
  code: string
  joining_agree: string
  joining_sign: string
  address: string
  expires_at: number
  stage: string
  space_id: string | null
  admin_agree: string | null
  admin_sign: string | null
  sealed: string | null
}

/** A stored pairing row that no relay writes (a stage without its columns, an unknown stage). */
export class CorruptPairingError extends Error {
  override name = 'CorruptPairingError'
  constructor(code: string, field: string) {
    super(`Stored pairing ${code} has no valid ${field}: the pairings table was written by something other than this relay`)
  }
}

/** The stage's own columns, for an UPDATE or an INSERT. */
export function stageColumns(stage: PairingStage): Pick<PairingRow, 'stage' | 'space_id' | 'admin_agree' | 'admin_sign' | 'sealed'> {
  switch (stage.kind) {
    case 'waiting':
    case 'refused':
      return { stage: stage.kind, space_id: null, admin_agree: null, admin_sign: null, sealed: null }
    case 'claimed':
      return { stage: stage.kind, space_id: stage.spaceId, admin_agree: stage.admin.agree, admin_sign: stage.admin.sign, sealed: null }
    case 'sealed':
      return { stage: stage.kind, space_id: stage.spaceId, admin_agree: stage.admin.agree, admin_sign: stage.admin.sign, sealed: stage.sealed }
  }
}

export function pairingRow(pairing: StoredPairing): PairingRow {
  return {
    code: pairing.code,
    joining_agree: pairing.joining.agree,
    joining_sign: pairing.joining.sign,
    address: pairing.address,
    expires_at: pairing.expiresAt,
    ...stageColumns(pairing.stage),
  }
}

export function pairingOfRow(row: PairingRow): StoredPairing {
  const base = { code: row.code, joining: { agree: row.joining_agree, sign: row.joining_sign }, address: row.address, expiresAt: row.expires_at }
  const need = (value: string | null, field: string): string => {
    if (value === null) throw new CorruptPairingError(row.code, field)
    return value
  }
  switch (row.stage) {
    case 'waiting':
    case 'refused':
      return { ...base, stage: { kind: row.stage } }
    case 'claimed':
    case 'sealed': {
      const spaceId = need(row.space_id, 'space_id')
      const admin = { agree: need(row.admin_agree, 'admin_agree'), sign: need(row.admin_sign, 'admin_sign') }
      return { ...base, stage: row.stage === 'claimed' ? { kind: 'claimed', spaceId, admin } : { kind: 'sealed', spaceId, admin, sealed: need(row.sealed, 'sealed') } }
    }
    default:
      throw new CorruptPairingError(row.code, 'stage')
  }
}
