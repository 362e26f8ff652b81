/**
 * Key epochs (issue 19, « Revocation »): after a device is revoked, the practice's entries move to
 * fresh tier keys that the revoked device never receives.
 *
 *   epoch 0        the tier secrets derived from the root secret (space-keys.ts): every entry
 *                  written before the first revocation, in formats v1 and v2 (entry-cipher.ts)
 *   epoch n ≥ 1    fresh random tier secrets, one practice tier and one clinical tier, made by the
 *                  administrator device that revokes, sealed to each remaining device by role
 *                  (devices/epoch-seal.ts); entries under it are format v3, the epoch in the IV
 *
 *   AES key of epoch n ≥ 1 = HKDF-SHA-256(tier secret of epoch n, salt "tournee/space/<spaceId>",
 *                                         info "tournee/v3/aead/epoch/<n>")
 *
 * The epoch number is in the HKDF info, so a tier secret cannot serve under another number. The
 * blind key (doc and room ids) stays epoch 0's practice-tier key forever: routing does not change
 * across epochs, and the ids tell a revoked device nothing it did not know. Digests and attachments
 * move too, each under its own key of the epoch (digest/digest-cipher.ts, attachments/
 * attachment-cipher.ts; their shared layout: crypto/epoch-sealed.ts).
 *
 * An EpochKeyring holds one tier's keys of one use by epoch. It is the one owner of that state for
 * a device, and it grows: a device that fetches a newer epoch adds it, and from then on every
 * writer holding the ring writes under it, without rebuilding rooms; those that must act on a new
 * epoch (a digest to publish again under it) subscribe. Epoch 0's key is not in the ring: it is the
 * SpaceKeys' `aead`, unchanged.
 */
import { deriveSpaceAesKey, SpaceKeyError, TIER_SECRET_BYTES } from './space-keys'

/** Epoch numbers fit the two IV bytes that carry them (entry-cipher.ts, v3). */
export const MAX_EPOCH = 0xffff

export interface EpochKey {
  readonly epoch: number
  readonly key: CryptoKey
}

/** One tier's keys of epochs ≥ 1 on this device. */
export interface EpochKeyring {
  /** The newest epoch held, or null when only epoch 0 is (then writers keep format v2). */
  newest(): EpochKey | null
  /** The key of `epoch` (≥ 1), or null when this device was not given it. */
  key(epoch: number): CryptoKey | null
  /** Every epoch key held, ascending (what a decode worker is handed: client/src/sync/decode/). */
  all(): EpochKey[]
}

export class EpochKeyError extends Error {
  override name = 'EpochKeyError'
}

export function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 1 || epoch > MAX_EPOCH) throw new EpochKeyError(`An epoch is an integer from 1 to ${MAX_EPOCH}; got ${epoch}`)
}

/** The AES-GCM key of one tier at `epoch`, from that epoch's tier secret. Non-extractable. */
export async function deriveEpochAesKey(spaceId: string, epoch: number, tierSecret: Uint8Array): Promise<CryptoKey> {
  checkEpoch(epoch)
  if (tierSecret.length !== TIER_SECRET_BYTES) throw new SpaceKeyError(`An epoch's tier secret is ${TIER_SECRET_BYTES} bytes; got ${tierSecret.length}`)
  return deriveSpaceAesKey(spaceId, tierSecret, `tournee/v3/aead/epoch/${epoch}`)
}

/** A keyring that grows as epochs are fetched; `add` of an epoch already held keeps the first key. */
export class GrowingEpochKeyring implements EpochKeyring {
  readonly #keys = new Map<number, CryptoKey>()
  readonly #listeners = new Set<(epoch: number) => void>()
  #newest: EpochKey | null = null

  add(epoch: number, key: CryptoKey): void {
    checkEpoch(epoch)
    if (this.#keys.has(epoch)) return
    this.#keys.set(epoch, key)
    if (this.#newest === null || epoch > this.#newest.epoch) this.#newest = { epoch, key }
    for (const listener of [...this.#listeners]) listener(epoch)
  }

  /** Calls `listener` with each epoch added from now on; returns its removal. */
  subscribe(listener: (epoch: number) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  newest(): EpochKey | null {
    return this.#newest
  }

  key(epoch: number): CryptoKey | null {
    return this.#keys.get(epoch) ?? null
  }

  /** The epochs held, ascending. */
  epochs(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b)
  }

  all(): EpochKey[] {
    return this.epochs().map((epoch) => ({ epoch, key: this.#keys.get(epoch)! }))
  }

  /** A ring holding `keys` (a decode worker's, from what the page handed it). */
  static of(keys: readonly EpochKey[]): GrowingEpochKeyring {
    const ring = new GrowingEpochKeyring()
    for (const { epoch, key } of keys) ring.add(epoch, key)
    return ring
  }
}
