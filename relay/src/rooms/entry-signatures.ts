/**
 * The relay's check of entry signatures (shared/src/envelope/entry-signature.ts): in a space with a
 * device registry, every entry an update writes that the room lacks must be signed, at its outer
 * id, by a device the registry added (revoked since or not: see entry-signature.ts on repairs).
 * A space without a registry (created before devices had keys) is not checked: its one shared
 * credential names no device.
 *
 * The signing keys come from the registry's chain, verified here as the devices verify it
 * (registry-chain.ts) — storage is not where trust comes from. They are kept per space, read again
 * when the chain grows (`changed`, from the devices route) and whenever an entry names a device
 * the cached chain does not know (another node of a multi-node relay may have appended it).
 *
 * Cost: one ECDSA P-256 verification per fresh entry, through WebCrypto, whose work runs off the
 * event loop in Node (libuv's pool): a step 2 of a thousand entries costs the pool about a
 * hundred milliseconds, not the other rooms (docs/performance.md, « Signed entries »).
 */
import { importSigningKey } from '../../../shared/src/devices/device-identity'
import { SignedEntry, verifyRegistry } from '../../../shared/src/devices/registry-chain'
import { checkEntrySignature, type SignatureVerdict } from '../../../shared/src/envelope/entry-signature'
import type { RelayStorage } from '../storage/relay-storage'
import { FrameError } from './frame-error'
import type { FreshEntry } from './update-check'

/** A space's registered devices' signing keys, or null: the space has no registry. */
type Signers = ReadonlyMap<string, CryptoKey> | null

const REFUSAL = {
  unsigned: ['unsigned_entry', 'is not signed, in a space whose devices sign their entries'],
  'unknown-signer': ['unknown_signer', 'is signed by a device the space registry does not know'],
  forged: ['bad_signature', 'carries a signature that does not verify at its position'],
} as const satisfies Record<Exclude<SignatureVerdict, 'valid'>, readonly [string, string]>

/** A chain is read again for an unknown signer at most this often per space (junk names random devices). */
const REREAD_AFTER_MS = 1000
/**
 * Spaces whose signers are kept: past it, the space used least recently is read again at its next
 * update (a few devices' keys a space: this bounds the cache of a relay serving thousands).
 */
export const MAX_CACHED_SPACES = 10_000

export class SpaceSigners {
  private readonly cache = new Map<string, Promise<Signers>>()
  /** When each space's chain was last read for an unknown signer (performance.now()). */
  private readonly rereadAt = new Map<string, number>()

  constructor(private readonly storage: Pick<RelayStorage, 'listDeviceEntries'>) {}

  /**
   * Throws FrameError (4400, named reason) unless every entry is signed by a device of the space's
   * registry at its position in room `roomId`. Resolves at once for a space without a registry.
   */
  async check(spaceId: string, roomId: string, entries: readonly FreshEntry[]): Promise<void> {
    if (entries.length === 0) return
    let signers = await this.signersOf(spaceId)
    const last = this.rereadAt.get(spaceId)
    // A device this copy of the chain does not know — or a signed entry where this copy says the
    // space has no registry (its first entry appended on another node) — makes the relay read again.
    const unknown = entries.some(({ entry }) => typeof entry.w === 'string' && (signers === null || !signers.has(entry.w)))
    if (unknown && (last === undefined || performance.now() - last >= REREAD_AFTER_MS)) {
      // A device added since the chain was read here (or on another node): read it once more. Not
      // for every frame: junk naming random devices would make each one a read of the chain; a
      // device refused meanwhile reconnects and sends again.
      this.rereadAt.set(spaceId, performance.now())
      this.cache.delete(spaceId)
      signers = await this.signersOf(spaceId)
    }
    if (signers === null) return
    const known = signers
    const keyOf = (deviceId: string) => Promise.resolve(known.get(deviceId) ?? null)
    const verdicts = await Promise.all(entries.map(({ client, clock, entry }) => checkEntrySignature(keyOf, spaceId, roomId, { client, clock }, entry)))
    const bad = verdicts.findIndex((v) => v !== 'valid')
    if (bad < 0) return
    const verdict = verdicts[bad] as Exclude<SignatureVerdict, 'valid'>
    const [reason, what] = REFUSAL[verdict]
    throw new FrameError('BadFrame', reason, `entry ${entries[bad]!.client}:${entries[bad]!.clock} ${what}`)
  }

  /** The space's registry changed (an entry was appended): read it again on next use. */
  changed(spaceId: string): void {
    this.cache.delete(spaceId)
    this.rereadAt.delete(spaceId)
  }

  private signersOf(spaceId: string): Promise<Signers> {
    let signers = this.cache.get(spaceId)
    if (signers) {
      // Most recently used last: a Map keeps insertion order, so the first key is the least recent.
      this.cache.delete(spaceId)
      this.cache.set(spaceId, signers)
    } else {
      if (this.cache.size >= MAX_CACHED_SPACES) {
        const oldest = this.cache.keys().next().value
        if (oldest !== undefined) this.changed(oldest)
      }
      signers = this.read(spaceId)
      this.cache.set(spaceId, signers)
      // A failed read is not kept: the next update tries again.
      signers.catch(() => this.cache.delete(spaceId))
    }
    return signers
  }

  private async read(spaceId: string): Promise<Signers> {
    const texts = await this.storage.listDeviceEntries(spaceId)
    if (texts.length === 0) return null
    const state = await verifyRegistry(
      spaceId,
      texts.map((text) => SignedEntry.parse(JSON.parse(text))),
    )
    const keys = new Map<string, CryptoKey>()
    await Promise.all([...state.devices.values()].map(async (device) => keys.set(device.id, await importSigningKey(device.sign))))
    return keys
  }
}
