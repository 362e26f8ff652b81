/**
 * Signatures of envelope entries (issue 19, « Every envelope entry is signed by its device »).
 *
 * In a practice with a device registry (shared/src/devices/registry-chain.ts), every entry a
 * device writes carries its device id and an ECDSA P-256 signature by its signing key:
 *
 *   entry   = { d, c, w, s }
 *   w       = the signing device's id (12 characters, DEVICE_ID_PATTERN)
 *   s       = ECDSA P-256 / SHA-256 signature, IEEE P1363 (64 bytes), over
 *             "tournee/entry/v1|" ‖ spaceId ‖ "|" ‖ roomId ‖ "|" ‖ client ‖ ":" ‖ clock ‖ "|" ‖ d ‖ "|" ‖ c
 *   roomId  = the room's id on the wire (shared/src/space/room-keys.ts): what the relay knows it by
 *
 * `client:clock` is the entry's outer id: the envelope item's client and the clock of this element
 * (an item holding several entries gives the n-th the item's clock + n). Signing the position, not
 * only the content, is what makes the signature useful to a relay that cannot decrypt: a credential
 * holder without a device's signing key can write no entry at all — not junk, not a copy of an
 * entry it saw (the copy would sit at another position), not an entry at an offline device's next
 * clock (issue 18, attacks 1, 2 and 5) — and since a deletion must come with a fresh entry of the
 * deleted doc (relay/src/rooms/update-check.ts), it can delete nothing either.
 *
 * A device that writes an entry again elsewhere (a deletion it refused, a clock taken on the relay,
 * envelope.ts and client/src/sync/rooms/delivery-check.ts) signs the copy itself, at the copy's
 * position: the signature says which registered device put that ciphertext there, which is what the
 * relay can check; who wrote the change is the ciphertext's own business (its continuity header).
 *
 * Who may sign: any device the registry ever added, revoked or not. A device that holds what the
 * relay lost puts it back with the original writer's signature (its sync step 2 carries the original
 * items), and that writer may have been revoked since; refusing them would refuse the repair. A
 * revoked device itself cannot connect (its credential is refused) — see docs/threat-model.md for
 * what that leaves.
 *
 * The signed bytes name the space and the room (by its id on the wire: the relay never learns the
 * room's name), so an entry signed for one room never verifies in another. They are built here for both ends (Node and browser alike: WebCrypto).
 */
import { asBuffer } from '../crypto/space-keys'

export const SIGNATURE_BYTES = 64
/** randomId(9): 12 base64url characters (registry-chain.ts's DEVICE_ID_PATTERN). */
export const SIGNER_PATTERN = /^[A-Za-z0-9_-]{12}$/

const ECDSA: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' }
const encoder = new TextEncoder()

/** Where an entry sits in the envelope: what its signature binds it to. */
export interface EntryPosition {
  readonly client: number
  readonly clock: number
}

/** The bytes a device signs for an entry at a position of a room (its id on the wire). */
export function entrySignedBytes(spaceId: string, roomId: string, at: EntryPosition, d: string, c: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`tournee/entry/v1|${spaceId}|${roomId}|${at.client}:${at.clock}|${d}|`)
  const out = new Uint8Array(prefix.length + c.length)
  out.set(prefix, 0)
  out.set(c, prefix.length)
  return out
}

/** What signs this device's entries: its id and its signing key (non-extractable). */
export interface EntrySigner {
  readonly deviceId: string
  sign(bytes: Uint8Array): Promise<Uint8Array>
}

export function entrySigner(deviceId: string, signingKey: CryptoKey): EntrySigner {
  if (!SIGNER_PATTERN.test(deviceId)) throw new TypeError(`Not a device id: ${deviceId}`)
  return {
    deviceId,
    sign: async (bytes) => new Uint8Array(await crypto.subtle.sign(ECDSA, signingKey, asBuffer(bytes))),
  }
}

/** Whether `signature` is `key`'s over `bytes`. A malformed signature is simply not valid. */
export async function verifyEntrySignature(key: CryptoKey, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== SIGNATURE_BYTES) return false
  try {
    return await crypto.subtle.verify(ECDSA, key, asBuffer(signature), asBuffer(bytes))
  } catch {
    return false
  }
}

/** How a signed entry fares with a reader: why one is not used. */
export type SignatureVerdict = 'valid' | 'unsigned' | 'unknown-signer' | 'forged'

/**
 * The signing keys of a practice's devices, as a reader knows them: null for a device it does not
 * know (yet: a reader may look the registry up again before answering).
 */
export type SignerKeys = (deviceId: string) => Promise<CryptoKey | null>

/** What a device knows of its practice's signers (client/src/sync/device/practice-signers.ts). */
export interface SignerDirectory {
  /** Whether entries must be signed: the practice has a registry, and this reader holds it. */
  enforced(): Promise<boolean>
  keyOf(deviceId: string): Promise<CryptoKey | null>
}

/** Checks one entry's signature at its position. */
export async function checkEntrySignature(
  keyOf: SignerKeys,
  spaceId: string,
  roomId: string,
  at: EntryPosition,
  entry: { readonly d: string; readonly c: Uint8Array; readonly w?: unknown; readonly s?: unknown },
): Promise<SignatureVerdict> {
  if (typeof entry.w !== 'string' || !(entry.s instanceof Uint8Array)) return 'unsigned'
  const key = SIGNER_PATTERN.test(entry.w) ? await keyOf(entry.w) : null
  if (key === null) return 'unknown-signer'
  return (await verifyEntrySignature(key, entrySignedBytes(spaceId, roomId, at, entry.d, entry.c), entry.s)) ? 'valid' : 'forged'
}
