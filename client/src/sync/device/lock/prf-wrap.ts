/**
 * The device's secrets at rest, wrapped by its passkey's PRF secret (issue 19, « A lock »).
 *
 * A passkey with the PRF extension gives, at each verified use, 32 bytes of its own (the platform
 * evaluates an HMAC under a secret that never leaves the authenticator, on passkey.ts's fixed
 * input). This module turns those bytes into the key that wraps what lets a device read the
 * practice, so that a copy of the browser profile is useless without the passkey:
 *
 *   wrapping key   HKDF-SHA-256(ikm = PRF output, salt = 32 random bytes of this device, kept
 *                  beside the sealed secrets, info = 'tournee/lock/wrap/v1/' ‖ spaceId)
 *                  → AES-GCM-256, non-extractable, held in memory only while unlocked
 *   sealed         iv (12 bytes) ‖ AES-GCM(payload, additional data = 'tournee/lock/wrapped/v1/' ‖ spaceId)
 *   payload        UTF-8 JSON, byte strings as base64url:
 *                    { "v": 2,
 *                      "practice": <tier secret>, "clinical": <tier secret> | null,
 *                      "root": <root secret> | null,
 *                      "epochs": [{ "epoch": n, "practice": <secret>, "clinical": <secret> | null }],
 *                      "held": <32 bytes: the device-held state's key> | null,
 *                      "credential": <the device's relay credential> | null,
 *                      "heldEpochs": [{ "epoch": n, "practice": <secret>, "clinical": <secret> | null }],
 *                      "identity": { "agree": <P-256 private JWK>, "sign": <P-256 private JWK> } | null }
 *                  v1 (written before the held state, the credential and the held epochs were
 *                  wrapped) is read with "held" and "credential" null and "heldEpochs" empty: the
 *                  next unlock moves them in (at-rest.ts).
 *
 * The secrets are raw bytes here and nowhere else at rest: the working keys are derived from them
 * at each unlock as non-extractable CryptoKeys (device-keys.ts), as pairing derives them; so are
 * the held state's key (held-state.ts) and each held epoch's keys (key-epochs-sync.ts).
 * A wrong PRF output (another passkey, another authenticator) fails AES-GCM's tag:
 * WrongPasskeySecretError, and nothing is opened.
 */
import { fromBase64Url, toBase64Url } from '../../../../../shared/src/crypto/base64url'
import { asBuffer, TIER_SECRET_BYTES, ROOT_SECRET_BYTES, type TierSecrets } from '../../../../../shared/src/crypto/space-keys'
import type { EpochSecrets } from '../registry'
import type { IdentitySecrets } from '../../../../../shared/src/devices/device-identity'

export const WRAP_SALT_BYTES = 32
const IV_BYTES = 12
const FORMAT = 2
/** Read, never written: the first wrapped layout (tiers, root and an administrator's epochs only). */
const FORMAT_V1 = 1
/** The device-held state's key, raw (AES-GCM-256). */
export const HELD_SECRET_BYTES = 32

/** What a device holds that reads (or pairs into) the practice: sealed together under the passkey. */
export interface AtRestSecrets {
  readonly tiers: TierSecrets
  /** An administrator praticien's: the means to pair another device (registry.ts). */
  readonly rootSecret: Uint8Array | null
  /** An administrator's: each key epoch's tier secrets, to seal to devices paired later. */
  readonly epochSecrets: readonly EpochSecrets[]
  /** The device-held state's key (held-state.ts), raw; null in a v1 payload (not moved in yet). */
  readonly held: Uint8Array | null
  /** The device's relay credential; null in a v1 payload (still beside the record). */
  readonly credential: string | null
  /** Every key epoch sealed to this device (key-epochs-sync.ts), whatever its role. */
  readonly heldEpochs: readonly EpochSecrets[]
  /**
   * The device's own key pairs' private halves, where they were made wrappable (the session that
   * made them); null otherwise: the pairs stay at rest as they are (docs/threat-model.md).
   */
  readonly identity: IdentitySecrets | null
}

/** The PRF output given does not open the sealed secrets: another passkey, or another authenticator. */
export class WrongPasskeySecretError extends Error {
  override name = 'WrongPasskeySecretError'
}

/** The sealed secrets opened, but are not what this version writes (a field named in the message). */
export class WrappedSecretsFormatError extends Error {
  override name = 'WrappedSecretsFormatError'
}

const encoder = new TextEncoder()

/** The key that wraps this device's secrets, from the passkey's PRF output and the device's salt. */
export async function wrappingKeyFrom(prfOutput: Uint8Array, salt: Uint8Array, spaceId: string): Promise<CryptoKey> {
  if (prfOutput.length < 32) throw new WrongPasskeySecretError(`A PRF output is 32 bytes; got ${prfOutput.length}`)
  if (salt.length !== WRAP_SALT_BYTES) throw new WrappedSecretsFormatError(`salt: ${WRAP_SALT_BYTES} bytes expected, got ${salt.length}`)
  const base = await crypto.subtle.importKey('raw', asBuffer(prfOutput), 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: asBuffer(salt), info: asBuffer(encoder.encode(`tournee/lock/wrap/v1/${spaceId}`)) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

function additionalData(spaceId: string): Uint8Array<ArrayBuffer> {
  return asBuffer(encoder.encode(`tournee/lock/wrapped/v1/${spaceId}`))
}

const b64 = (bytes: Uint8Array) => toBase64Url(bytes)
const b64OrNull = (bytes: Uint8Array | null) => (bytes === null ? null : toBase64Url(bytes))
const epochJson = (e: EpochSecrets) => ({ epoch: e.epoch, practice: b64(e.practice), clinical: b64OrNull(e.clinical) })

/** Seals `secrets` under the wrapping key: iv ‖ AES-GCM(payload). */
export async function sealSecrets(key: CryptoKey, spaceId: string, secrets: AtRestSecrets): Promise<Uint8Array> {
  const payload = {
    v: FORMAT,
    practice: b64(secrets.tiers.practice),
    clinical: b64OrNull(secrets.tiers.clinical),
    root: b64OrNull(secrets.rootSecret),
    epochs: secrets.epochSecrets.map(epochJson),
    held: b64OrNull(secrets.held),
    credential: secrets.credential,
    heldEpochs: secrets.heldEpochs.map(epochJson),
    identity: secrets.identity,
  }
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(spaceId) }, key, asBuffer(encoder.encode(JSON.stringify(payload)))),
  )
  const out = new Uint8Array(IV_BYTES + sealed.length)
  out.set(iv, 0)
  out.set(sealed, IV_BYTES)
  return out
}

/** Opens what sealSecrets sealed; WrongPasskeySecretError when the key is not the one it was sealed with. */
export async function openSecrets(key: CryptoKey, spaceId: string, sealed: Uint8Array): Promise<AtRestSecrets> {
  if (sealed.length <= IV_BYTES) throw new WrappedSecretsFormatError('sealed: too short')
  let plain: Uint8Array
  try {
    plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: asBuffer(sealed.slice(0, IV_BYTES)), additionalData: additionalData(spaceId) },
        key,
        asBuffer(sealed.slice(IV_BYTES)),
      ),
    )
  } catch (error) {
    throw new WrongPasskeySecretError('The passkey presented does not open the keys of this device: it is not the passkey they were wrapped with', {
      cause: error,
    })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder().decode(plain))
  } catch {
    throw new WrappedSecretsFormatError('payload: not JSON')
  }
  return secretsFrom(parsed)
}

function secret(value: unknown, path: string, bytes: number): Uint8Array {
  if (typeof value !== 'string') throw new WrappedSecretsFormatError(`${path}: a base64url string expected`)
  let decoded: Uint8Array
  try {
    decoded = fromBase64Url(value)
  } catch {
    throw new WrappedSecretsFormatError(`${path}: not base64url`)
  }
  if (decoded.length !== bytes) throw new WrappedSecretsFormatError(`${path}: ${bytes} bytes expected, got ${decoded.length}`)
  return decoded
}

function secretOrNull(value: unknown, path: string, bytes: number): Uint8Array | null {
  return value === null ? null : secret(value, path, bytes)
}

/** One list of epoch secrets in the payload, checked item by item. */
function epochsFrom(value: unknown, path: string): EpochSecrets[] {
  if (!Array.isArray(value)) throw new WrappedSecretsFormatError(`${path}: an array expected`)
  return value.map((item: unknown, i): EpochSecrets => {
    if (typeof item !== 'object' || item === null) throw new WrappedSecretsFormatError(`${path}[${i}]: an object expected`)
    const e = item as Record<string, unknown>
    if (!Number.isSafeInteger(e.epoch) || (e.epoch as number) < 1) throw new WrappedSecretsFormatError(`${path}[${i}].epoch: a positive integer expected`)
    return {
      epoch: e.epoch as number,
      practice: secret(e.practice, `${path}[${i}].practice`, TIER_SECRET_BYTES),
      clinical: secretOrNull(e.clinical, `${path}[${i}].clinical`, TIER_SECRET_BYTES),
    }
  })
}

/** The identity's private JWKs: their shape (identityFromSecrets checks the keys themselves). */
function identityFrom(value: unknown): IdentitySecrets | null {
  if (value === null || value === undefined) return null
  const identity = value as Record<string, unknown>
  for (const name of ['agree', 'sign']) {
    const jwk = identity[name] as Record<string, unknown> | undefined
    if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'EC' || typeof jwk.d !== 'string') throw new WrappedSecretsFormatError(`identity.${name}: a private EC JWK expected`)
  }
  return { agree: identity.agree as JsonWebKey, sign: identity.sign as JsonWebKey }
}

/** The payload's shape, checked field by field (it is read back from storage: a trust boundary). */
function secretsFrom(value: unknown): AtRestSecrets {
  if (typeof value !== 'object' || value === null) throw new WrappedSecretsFormatError('payload: an object expected')
  const payload = value as Record<string, unknown>
  if (payload.v !== FORMAT && payload.v !== FORMAT_V1) throw new WrappedSecretsFormatError(`v: format ${FORMAT} expected, got ${String(payload.v)}`)
  const v2 = payload.v === FORMAT
  if (v2 && payload.credential !== null && typeof payload.credential !== 'string') throw new WrappedSecretsFormatError('credential: a string or null expected')
  return {
    tiers: { practice: secret(payload.practice, 'practice', TIER_SECRET_BYTES), clinical: secretOrNull(payload.clinical, 'clinical', TIER_SECRET_BYTES) },
    rootSecret: secretOrNull(payload.root, 'root', ROOT_SECRET_BYTES),
    epochSecrets: epochsFrom(payload.epochs, 'epochs'),
    held: v2 ? secretOrNull(payload.held, 'held', HELD_SECRET_BYTES) : null,
    credential: v2 ? (payload.credential as string | null) : null,
    heldEpochs: v2 ? epochsFrom(payload.heldEpochs, 'heldEpochs') : [],
    identity: v2 ? identityFrom(payload.identity) : null,
  }
}
