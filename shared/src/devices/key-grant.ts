/**
 * A key grant (issue 19, « People and roles »): an administrator device seals to a device already
 * in the registry every key its role reads — the tier secrets of epoch 0 and of every published
 * key epoch — after that device was paired. Two uses:
 *
 *   upgrade    a secretary's device made praticien or remplaçant: the registry « change » that
 *              widens its role names this grant's hash (registry-chain.ts), and the relay stores
 *              both in one transaction (relay/src/app/key-grants.ts): past clinical entries become
 *              readable to it, by design
 *   re-grant   a device paired in an earlier session holds only non-extractable keys, which its
 *              passkey cannot wrap (client/src/sync/device/lock/at-rest.ts): the raw secrets of
 *              its role, sealed to it again, let it wrap them
 *
 * Wire form, like the registry's: { statement: <JSON text, the signed bytes>, sig: base64url ECDSA
 * P-256 SHA-256, P1363 } signed by the granting device's registry key.
 *
 *   statement  { v: 1, op: 'grant-keys', space, device, role, chain, epochs, at, by, sealed }
 *              chain   the registry's length the grant is made for (with an upgrade: the length
 *                      once its change is appended); `by` is an unrevoked administrator there
 *              epochs  the key epochs ≥ 1 published when it was made, ascending: all of them
 *   sealed     base64url( iv(12) ‖ AES-GCM-256(shared key, iv, payload, aad = context) )
 *   shared key HKDF-SHA-256( ECDH(granter.agree, device.agree), salt = context,
 *                            info = granter's agree key ‖ device's agree key )
 *   context    "tournee/key-grant/v1" ‖ space ‖ chain ‖ by ‖ device ‖ role ‖ epochs
 *   payload    0x01 ‖ flags (bit 0: clinical tier present) ‖ epoch 0: practice(32) [‖ clinical(32)]
 *              ‖ for each of `epochs`, in order: practice(32) [‖ clinical(32)]
 *
 * The same static-static ECDH as the epoch seal (epoch-seal.ts): opening proves the holder of the
 * granting administrator's private agreement key sealed it. Everything the statement says is in
 * the context, so a blob moved into another statement (another device, role or chain) does not
 * open. The op 'grant-keys' and the strict schemas keep a grant from passing as a registry or
 * epoch entry signed by the same key, and the reverse.
 *
 * Who may grant, and what the relay and the device check (KeyGrantRefusal):
 *   the relay   signed by an unrevoked administrator of the chain as it is now, `chain` = its
 *               length (so a grant made before a revocation or a role change is stale), to an
 *               unrevoked device whose role there is `role`, covering every published epoch; it
 *               cannot open the blob
 *   the device  the chain up to `chain` names `by` an unrevoked administrator (the chain it holds
 *               may have grown since), the grant is addressed to it, its role now is `role`, the
 *               blob opens, holds the clinical tier exactly when the role reads it, and its
 *               practice tier of epoch 0 is the one the device already holds (its blind key)
 */
import { z } from 'zod'
import { fromBase64Url, randomBytes, toBase64Url } from '../crypto/base64url'
import { MAX_EPOCH } from '../crypto/key-epochs'
import { asBuffer, TIER_SECRET_BYTES, type TierSecrets } from '../crypto/space-keys'
import { SPACE_ID_PATTERN } from '../protocol/ids'
import { importAgreementKey, importSigningKey } from './device-identity'
import { applyEntry, DeviceRole, DEVICE_ID_PATTERN, entryHash, verifyRegistry, type RegisteredDevice, type RegistryState } from './registry-chain'

export const KEY_GRANT_VERSION = 1
const LABEL = 'tournee/key-grant/v1'
const IV_BYTES = 12
const TAG_BYTES = 16
const PAYLOAD_VERSION = 0x01
/** Far above the epochs a practice makes (one per revocation or demotion): bounds the statement. */
export const MAX_GRANT_EPOCHS = 500
/** The longest sealed blob: every epoch with both tiers. */
const MAX_SEALED_BYTES = IV_BYTES + 2 + (MAX_GRANT_EPOCHS + 1) * 2 * TIER_SECRET_BYTES + TAG_BYTES
export const MAX_GRANT_STATEMENT_CHARS = Math.ceil((MAX_SEALED_BYTES * 4) / 3) + 4096

const DeviceId = z.string().regex(DEVICE_ID_PATTERN)

export const KeyGrantStatement = z
  .object({
    v: z.literal(KEY_GRANT_VERSION),
    op: z.literal('grant-keys'),
    space: z.string().regex(SPACE_ID_PATTERN),
    device: DeviceId,
    role: z.enum([DeviceRole.Practitioner, DeviceRole.Secretariat, DeviceRole.Locum]),
    chain: z.number().int().min(1),
    epochs: z
      .array(z.number().int().min(1).max(MAX_EPOCH))
      .max(MAX_GRANT_EPOCHS)
      .refine((epochs) => epochs.every((e, i) => i === 0 || e > epochs[i - 1]!), 'ascending, each once'),
    at: z.number().int().min(0),
    by: DeviceId,
    sealed: z.string().regex(/^[A-Za-z0-9_-]+$/),
  })
  .strict()
export type KeyGrantStatement = z.infer<typeof KeyGrantStatement>

export const SignedKeyGrant = z
  .object({
    statement: z.string().min(1).max(MAX_GRANT_STATEMENT_CHARS),
    sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  })
  .strict()
export type SignedKeyGrant = z.infer<typeof SignedKeyGrant>

export const KeyGrantRefusal = {
  Malformed: 'malformed',
  WrongSpace: 'wrong-space',
  /** Signed by a device that is not an unrevoked administrator (at `chain`, on a device). */
  NotAdministrator: 'not-administrator',
  BadSignature: 'bad-signature',
  /** Made on another registry than the relay's now (409 there: read it again and grant again). */
  Stale: 'stale',
  /** Addressed to a device revoked, unknown, or (on a device) to another device. */
  WrongDevice: 'wrong-device',
  /** For another role than the device has, or holding the clinical tier against its role. */
  WrongRole: 'wrong-role',
  /** Not covering exactly the published epochs. */
  WrongEpochs: 'wrong-epochs',
  /** The blob does not open on this device: altered, or sealed to another device or by other keys. */
  DoesNotOpen: 'does-not-open',
  /** It opens, but its keys are not this practice's (epoch 0's practice tier differs from the device's). */
  WrongKeys: 'wrong-keys',
} as const
export type KeyGrantRefusal = (typeof KeyGrantRefusal)[keyof typeof KeyGrantRefusal]

export class KeyGrantError extends Error {
  override name = 'KeyGrantError'
  constructor(
    readonly refusal: KeyGrantRefusal,
    message: string,
  ) {
    super(`Key grant: ${message}`)
  }

  /** 409 for what a fresh read of the registry and the epochs resolves; 400 otherwise. */
  get status(): 400 | 409 {
    return this.refusal === KeyGrantRefusal.Stale || this.refusal === KeyGrantRefusal.WrongEpochs ? 409 : 400
  }
}

/** One key epoch's tier secrets (the clinical tier null for a role that does not read it). */
export interface GrantedEpoch {
  readonly epoch: number
  readonly practice: Uint8Array
  readonly clinical: Uint8Array | null
}

/** What a grant gives: epoch 0's tier secrets and every published epoch's. */
export interface GrantedKeys {
  readonly tiers: TierSecrets
  readonly epochs: readonly GrantedEpoch[]
}

/** The granting administrator device, with its private keys. */
export interface Granter {
  readonly deviceId: string
  readonly agree: CryptoKeyPair
  readonly sign: CryptoKeyPair
}

const readsClinical = (role: DeviceRole) => role !== DeviceRole.Secretariat

function context(s: Pick<KeyGrantStatement, 'space' | 'chain' | 'by' | 'device' | 'role' | 'epochs'>): Uint8Array<ArrayBuffer> {
  return asBuffer(new TextEncoder().encode([LABEL, s.space, String(s.chain), s.by, s.device, s.role, s.epochs.join(',')].join('\n')))
}

async function sharedKey(ctx: Uint8Array<ArrayBuffer>, own: CryptoKey, peerAgree: string, granterAgree: string, deviceAgree: string): Promise<CryptoKey> {
  const bits = await crypto.subtle.deriveBits({ name: 'ECDH', public: await importAgreementKey(peerAgree) }, own, 256)
  const base = await crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: ctx, info: asBuffer(new TextEncoder().encode(`${granterAgree}\n${deviceAgree}`)) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

function encodePayload(keys: GrantedKeys, clinical: boolean): Uint8Array {
  const per = clinical ? 2 * TIER_SECRET_BYTES : TIER_SECRET_BYTES
  const out = new Uint8Array(2 + per * (1 + keys.epochs.length))
  out[0] = PAYLOAD_VERSION
  out[1] = clinical ? 1 : 0
  let at = 2
  for (const tiers of [keys.tiers, ...keys.epochs]) {
    const practice = tiers.practice
    if (practice.length !== TIER_SECRET_BYTES) throw new KeyGrantError(KeyGrantRefusal.Malformed, `tier secrets are ${TIER_SECRET_BYTES} bytes`)
    out.set(practice, at)
    at += TIER_SECRET_BYTES
    if (clinical) {
      if (tiers.clinical === null || tiers.clinical.length !== TIER_SECRET_BYTES) throw new KeyGrantError(KeyGrantRefusal.WrongRole, 'the role reads the clinical tier: every epoch needs it')
      out.set(tiers.clinical, at)
      at += TIER_SECRET_BYTES
    }
  }
  return out
}

function decodePayload(bytes: Uint8Array, statement: KeyGrantStatement): GrantedKeys {
  if (bytes.length < 2 || bytes[0] !== PAYLOAD_VERSION) throw new KeyGrantError(KeyGrantRefusal.Malformed, 'the sealed keys are of an unknown layout')
  const clinical = bytes[1] === 1
  if (bytes[1]! > 1) throw new KeyGrantError(KeyGrantRefusal.Malformed, 'the sealed keys have unknown flags')
  if (clinical !== readsClinical(statement.role)) throw new KeyGrantError(KeyGrantRefusal.WrongRole, `the sealed keys ${clinical ? 'hold' : 'lack'} the clinical tier, against the role ${statement.role}`)
  const per = clinical ? 2 * TIER_SECRET_BYTES : TIER_SECRET_BYTES
  if (bytes.length !== 2 + per * (1 + statement.epochs.length)) throw new KeyGrantError(KeyGrantRefusal.WrongEpochs, 'the sealed keys do not hold the epochs the grant names')
  const tiersAt = (i: number): TierSecrets => {
    const start = 2 + i * per
    return { practice: bytes.slice(start, start + TIER_SECRET_BYTES), clinical: clinical ? bytes.slice(start + TIER_SECRET_BYTES, start + per) : null }
  }
  return { tiers: tiersAt(0), epochs: statement.epochs.map((epoch, i) => ({ epoch, ...tiersAt(i + 1) })) }
}

/**
 * The grant of `keys` (every tier: what the role does not read is left out here) to `deviceId`,
 * as `role`, for the registry at length `chain` (state.length, or state.length + 1 when the
 * change that gives the device `role` goes with it), and its hash, which that change names.
 */
export async function makeKeyGrant(
  state: RegistryState,
  granter: Granter,
  grant: { deviceId: string; role: DeviceRole; chain: number; at: number },
  keys: GrantedKeys,
): Promise<{ entry: SignedKeyGrant; hash: string }> {
  const me = state.devices.get(granter.deviceId)
  if (me === undefined || !me.admin || me.revokedAt !== null) throw new KeyGrantError(KeyGrantRefusal.NotAdministrator, 'only an unrevoked administrator device grants keys')
  const device = state.devices.get(grant.deviceId)
  if (device === undefined || device.revokedAt !== null) throw new KeyGrantError(KeyGrantRefusal.WrongDevice, `no active device ${grant.deviceId} to grant keys to`)
  const epochs = [...keys.epochs].sort((a, b) => a.epoch - b.epoch)
  const base = { space: state.spaceId, chain: grant.chain, by: me.id, device: device.id, role: grant.role, epochs: epochs.map((e) => e.epoch) }
  const payload = encodePayload({ tiers: keys.tiers, epochs }, readsClinical(grant.role))
  const iv = randomBytes(IV_BYTES)
  const ctx = context(base)
  const key = await sharedKey(ctx, granter.agree.privateKey, device.agree, me.agree, device.agree)
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: asBuffer(iv), additionalData: ctx }, key, asBuffer(payload)))
  payload.fill(0)
  const sealed = new Uint8Array(IV_BYTES + ciphertext.length)
  sealed.set(iv)
  sealed.set(ciphertext, IV_BYTES)
  const statement: KeyGrantStatement = { v: KEY_GRANT_VERSION, op: 'grant-keys', ...base, at: grant.at, sealed: toBase64Url(sealed) }
  const text = JSON.stringify(statement)
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, granter.sign.privateKey, asBuffer(new TextEncoder().encode(text)))
  const entry = { statement: text, sig: toBase64Url(new Uint8Array(sig)) }
  return { entry, hash: await entryHash(entry) }
}

/** The statement a grant signs, validated (its signature is not checked here); KeyGrantError (malformed) otherwise. */
export function readKeyGrant(raw: unknown): { entry: SignedKeyGrant; statement: KeyGrantStatement } {
  const signed = SignedKeyGrant.safeParse(raw)
  if (!signed.success) throw new KeyGrantError(KeyGrantRefusal.Malformed, 'not a signed grant { statement, sig }')
  let json: unknown
  try {
    json = JSON.parse(signed.data.statement)
  } catch {
    throw new KeyGrantError(KeyGrantRefusal.Malformed, 'the statement is not JSON')
  }
  const statement = KeyGrantStatement.safeParse(json)
  if (!statement.success) throw new KeyGrantError(KeyGrantRefusal.Malformed, `invalid field ${statement.error.issues[0]?.path.join('.') || '?'}`)
  return { entry: signed.data, statement: statement.data }
}

async function verifySignature(signer: RegisteredDevice, entry: SignedKeyGrant): Promise<void> {
  const valid = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    await importSigningKey(signer.sign),
    asBuffer(fromBase64Url(entry.sig)),
    asBuffer(new TextEncoder().encode(entry.statement)),
  )
  if (!valid) throw new KeyGrantError(KeyGrantRefusal.BadSignature, 'the signature does not verify')
}

function unrevokedAdministrator(state: RegistryState, id: string): RegisteredDevice {
  const signer = state.devices.get(id)
  if (signer === undefined || !signer.admin || signer.revokedAt !== null) {
    throw new KeyGrantError(KeyGrantRefusal.NotAdministrator, 'signed by a device that is not an unrevoked administrator')
  }
  return signer
}

function checkRecipient(state: RegistryState, statement: KeyGrantStatement): void {
  const device = state.devices.get(statement.device)
  if (device === undefined || device.revokedAt !== null) throw new KeyGrantError(KeyGrantRefusal.WrongDevice, 'addressed to a device revoked or unknown')
  if (device.role !== statement.role) throw new KeyGrantError(KeyGrantRefusal.WrongRole, `made for the role ${statement.role}; the device is ${device.role}`)
}

/**
 * The relay's checks (header comment), on `state`, the chain as it is now (with the change the
 * grant comes with, if any, applied) and the epochs published; the statement, or KeyGrantError.
 */
export async function checkKeyGrant(state: RegistryState, published: readonly number[], raw: unknown): Promise<KeyGrantStatement> {
  const { entry, statement } = readKeyGrant(raw)
  if (statement.space !== state.spaceId) throw new KeyGrantError(KeyGrantRefusal.WrongSpace, 'written for another practice')
  const signer = unrevokedAdministrator(state, statement.by)
  if (statement.chain !== state.length) throw new KeyGrantError(KeyGrantRefusal.Stale, 'made on another device registry: read it again and grant again')
  checkRecipient(state, statement)
  if (statement.epochs.join(',') !== published.join(',')) throw new KeyGrantError(KeyGrantRefusal.WrongEpochs, 'does not cover exactly the published key epochs: read them again and grant again')
  await verifySignature(signer, entry)
  return statement
}

/** This device, as the grant's recipient: its registry id, private agreement key and public agreement key. */
export interface GrantRecipient {
  readonly deviceId: string
  readonly agreePrivateKey: CryptoKey
  readonly agree: string
}

/**
 * The device's checks (header comment) and the keys, on `entries`, the registry chain this device
 * holds: KeyGrantError says what is wrong. `verified`: the state `entries` already verified to (the
 * caller read and checked the registry just before), so that no signature of the chain is checked
 * twice; without it the chain is verified here, once (the grant's prefix, then the rest on top).
 * With the keys, the registry as verified now, for the caller to read the device's entry from.
 * The practice tier's check against the device's own keys is the caller's (it holds them,
 * non-extractable).
 */
export async function openKeyGrant(
  spaceId: string,
  entries: readonly unknown[],
  own: GrantRecipient,
  raw: unknown,
  verified?: RegistryState,
): Promise<{ statement: KeyGrantStatement; keys: GrantedKeys; registry: RegistryState }> {
  const { entry, statement } = readKeyGrant(raw)
  if (statement.space !== spaceId) throw new KeyGrantError(KeyGrantRefusal.WrongSpace, 'written for another practice')
  if (statement.device !== own.deviceId) throw new KeyGrantError(KeyGrantRefusal.WrongDevice, 'addressed to another device')
  if (statement.chain > entries.length) throw new KeyGrantError(KeyGrantRefusal.Stale, 'made on a longer registry than this device holds: read it again')
  if (verified !== undefined && (verified.spaceId !== spaceId || verified.length !== entries.length)) throw new Error('openKeyGrant: `verified` is not the state of `entries`')
  const { then, now } = await statesAt(spaceId, entries, statement.chain, verified)
  const signer = unrevokedAdministrator(then, statement.by)
  checkRecipient(now, statement)
  const recipient = now.devices.get(own.deviceId)!
  if (recipient.agree !== own.agree) throw new KeyGrantError(KeyGrantRefusal.WrongDevice, 'the registry names other keys for this device')
  await verifySignature(signer, entry)
  let bytes: Uint8Array
  try {
    bytes = fromBase64Url(statement.sealed)
  } catch {
    throw new KeyGrantError(KeyGrantRefusal.Malformed, 'the sealed keys are not base64url')
  }
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new KeyGrantError(KeyGrantRefusal.Malformed, 'the sealed keys are too short')
  const ctx = context(statement)
  let payload: Uint8Array
  try {
    const key = await sharedKey(ctx, own.agreePrivateKey, signer.agree, signer.agree, own.agree)
    payload = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: asBuffer(bytes.slice(0, IV_BYTES)), additionalData: ctx }, key, asBuffer(bytes.slice(IV_BYTES))))
  } catch {
    throw new KeyGrantError(KeyGrantRefusal.DoesNotOpen, 'the sealed keys do not open: not sealed to this device by that administrator, or altered')
  }
  return { statement, keys: decodePayload(payload, statement), registry: now }
}

/** The registry as it was at `chain` (the grant's) and as it is now, each entry verified once. */
async function statesAt(spaceId: string, entries: readonly unknown[], chain: number, verified?: RegistryState): Promise<{ then: RegistryState; now: RegistryState }> {
  // Most grants are made on the chain as it still is: both states are the one verified.
  if (verified !== undefined && chain === entries.length) return { then: verified, now: verified }
  const then = await verifyRegistry(spaceId, entries.slice(0, chain))
  if (verified !== undefined) return { then, now: verified }
  let now = then
  for (const entry of entries.slice(chain)) now = await applyEntry(now, entry)
  return { then, now }
}
