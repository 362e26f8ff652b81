/**
 * What an administrator device publishes through the relay when the practice's keys move to a new
 * epoch (crypto/key-epochs.ts), and the rules the relay applies before storing it. Wire form, like
 * the registry's (registry-chain.ts): { statement: <JSON text, the signed bytes>, sig: base64url
 * ECDSA P-256 SHA-256, P1363 } signed by the publishing device's registry key.
 *
 *   rotate  { v: 1, op: 'rotate', space, epoch, chain, at, by, seals: { deviceId: sealed } }
 *           epoch n's tier secrets sealed to every remaining device (devices/epoch-seal.ts)
 *   grant   { v: 1, op: 'grant', space, epoch, at, by, device, sealed }
 *           an epoch already published, sealed to a device added after it (a device paired after
 *           a revocation reads the entries of every epoch its role allows)
 *
 * Epochs follow the registry chain, which already orders revocations: epoch n belongs to the
 * chain's n-th revocation. A rotation is accepted only
 *   - signed and sent by an unrevoked administrator device of the chain;
 *   - for epoch n = the number of revocations the chain holds now, made on the chain as it is now
 *     (`chain` = its length): a rotation made before another administrator's revocation is stale
 *     (409: read the chain again and make the rotation for the newer epoch);
 *   - when no epoch ≥ n is published yet (409 otherwise: another administrator's came first);
 *   - with a seal for every active device and for no revoked one.
 * So two administrators revoking at once end in one sequence: their revocations take two places
 * in the chain, and whichever rotation is made on the chain holding both is the newest epoch,
 * sealed to neither revoked device. An epoch whose rotation came too late is simply skipped:
 * epoch numbers may have gaps, readers pick keys by number.
 */
import { z } from 'zod'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { MAX_EPOCH } from '../crypto/key-epochs'
import { asBuffer } from '../crypto/space-keys'
import { SPACE_ID_PATTERN } from '../protocol/ids'
import { importSigningKey } from './device-identity'
import { MAX_SEALED_EPOCH_CHARS } from './epoch-seal'
import { activeDevices, DEVICE_ID_PATTERN, type RegistryState } from './registry-chain'

/** Devices a practice may have at most in one rotation: far above 10 practitioners' tablets and phones. */
export const MAX_EPOCH_RECIPIENTS = 200
/** A rotation's statement at MAX_EPOCH_RECIPIENTS devices: about 36 KB. */
export const MAX_EPOCH_STATEMENT_CHARS = 48 * 1024

const SealedBlob = z.string().regex(/^[A-Za-z0-9_-]+$/).max(MAX_SEALED_EPOCH_CHARS)
const DeviceId = z.string().regex(DEVICE_ID_PATTERN)
const Common = {
  v: z.literal(1),
  space: z.string().regex(SPACE_ID_PATTERN),
  epoch: z.number().int().min(1).max(MAX_EPOCH),
  at: z.number().int().min(0),
  by: DeviceId,
}

export const EpochStatement = z.discriminatedUnion('op', [
  z
    .object({
      ...Common,
      op: z.literal('rotate'),
      chain: z.number().int().min(1),
      seals: z.record(DeviceId, SealedBlob).refine((seals) => Object.keys(seals).length <= MAX_EPOCH_RECIPIENTS, `at most ${MAX_EPOCH_RECIPIENTS} devices`),
    })
    .strict(),
  z.object({ ...Common, op: z.literal('grant'), device: DeviceId, sealed: SealedBlob }).strict(),
])
export type EpochStatement = z.infer<typeof EpochStatement>

export const SignedEpochEntry = z
  .object({
    statement: z.string().min(1).max(MAX_EPOCH_STATEMENT_CHARS),
    sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  })
  .strict()
export type SignedEpochEntry = z.infer<typeof SignedEpochEntry>

export const EpochRefusal = {
  Malformed: 'malformed',
  WrongSpace: 'wrong-space',
  NotAdministrator: 'not-administrator',
  BadSignature: 'bad-signature',
  /** Made on an older chain, or for an epoch a later revocation has passed: 409, read again. */
  Stale: 'stale',
  /** This epoch, or a newer one, is already published (or this device already has its seal): 409. */
  AlreadyPublished: 'already-published',
  /** A rotation with no revocation to answer, or a grant of an epoch not published. */
  NoSuchEpoch: 'no-such-epoch',
  /** A rotation that leaves out an active device, or seals to a revoked or unknown one. */
  WrongRecipients: 'wrong-recipients',
} as const
export type EpochRefusal = (typeof EpochRefusal)[keyof typeof EpochRefusal]

export class EpochEntryError extends Error {
  override name = 'EpochEntryError'
  constructor(
    readonly refusal: EpochRefusal,
    message: string,
  ) {
    super(`Key epoch entry: ${message}`)
  }

  /** 409 for what a fresh read of the registry and the epochs resolves; 400 otherwise. */
  get status(): 400 | 409 {
    return this.refusal === EpochRefusal.Stale || this.refusal === EpochRefusal.AlreadyPublished ? 409 : 400
  }
}

/**
 * The chain's revocations so far, with its changes that took the clinical tier from a device (a
 * praticien made secretary: it must not read clinical entries written after, like a revoked
 * device): the epoch the next rotation makes.
 */
export function revocationsIn(state: RegistryState): number {
  return state.keyLosses
}

export async function signEpochStatement(statement: EpochStatement, signingKey: CryptoKey): Promise<SignedEpochEntry> {
  const text = JSON.stringify(statement)
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, asBuffer(new TextEncoder().encode(text)))
  return { statement: text, sig: toBase64Url(new Uint8Array(sig)) }
}

/** The statement an entry signs, validated; EpochEntryError (malformed) otherwise. Its signature is not checked here. */
export function readEpochStatement(raw: unknown): { entry: SignedEpochEntry; statement: EpochStatement } {
  const signed = SignedEpochEntry.safeParse(raw)
  if (!signed.success) throw new EpochEntryError(EpochRefusal.Malformed, 'not a signed entry { statement, sig }')
  let json: unknown
  try {
    json = JSON.parse(signed.data.statement)
  } catch {
    throw new EpochEntryError(EpochRefusal.Malformed, 'the statement is not JSON')
  }
  const statement = EpochStatement.safeParse(json)
  if (!statement.success) throw new EpochEntryError(EpochRefusal.Malformed, `invalid field ${statement.error.issues[0]?.path.join('.') || '?'}`)
  return { entry: signed.data, statement: statement.data }
}

/** What the relay already holds of the space's epochs, for the checks. */
export interface PublishedEpochs {
  /** The newest epoch published, or null before any rotation. */
  readonly newest: number | null
  readonly has: (epoch: number) => boolean
}

/**
 * The statement, if the relay may store it on `state` (the chain as it is now) at `now`;
 * EpochEntryError saying why not. Pure but for WebCrypto, so devices can apply it too.
 */
export async function checkEpochEntry(state: RegistryState, published: PublishedEpochs, raw: unknown, now: number): Promise<EpochStatement> {
  const { entry, statement } = readEpochStatement(raw)
  if (statement.space !== state.spaceId) throw new EpochEntryError(EpochRefusal.WrongSpace, 'written for another practice')
  const signer = state.devices.get(statement.by)
  if (signer === undefined || !signer.admin || signer.revokedAt !== null) {
    throw new EpochEntryError(EpochRefusal.NotAdministrator, 'signed by a device that is not an unrevoked administrator')
  }
  if (statement.op === 'rotate') {
    const due = revocationsIn(state)
    if (statement.epoch > due) throw new EpochEntryError(EpochRefusal.NoSuchEpoch, `epoch ${statement.epoch}, but the registry holds ${due} revocations`)
    if (published.newest !== null && statement.epoch <= published.newest) {
      throw new EpochEntryError(EpochRefusal.AlreadyPublished, `epoch ${published.newest} is already published: read the epochs again`)
    }
    if (statement.epoch < due || statement.chain !== state.length) {
      throw new EpochEntryError(EpochRefusal.Stale, 'made on an older device registry: read it again and make the rotation on it')
    }
    const recipients = new Set(Object.keys(statement.seals))
    for (const id of recipients) {
      const device = state.devices.get(id)
      if (device === undefined || device.revokedAt !== null) throw new EpochEntryError(EpochRefusal.WrongRecipients, `sealed to a device revoked or unknown (${id})`)
    }
    for (const device of activeDevices(state, now)) {
      if (!recipients.has(device.id)) throw new EpochEntryError(EpochRefusal.WrongRecipients, `leaves out the active device ${device.id}`)
    }
  } else {
    if (!published.has(statement.epoch)) throw new EpochEntryError(EpochRefusal.NoSuchEpoch, `grants epoch ${statement.epoch}, which is not published`)
    const device = state.devices.get(statement.device)
    if (device === undefined || device.revokedAt !== null) throw new EpochEntryError(EpochRefusal.WrongRecipients, 'grants an epoch to a device revoked or unknown')
  }
  const valid = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    await importSigningKey(signer.sign),
    asBuffer(fromBase64Url(entry.sig)),
    asBuffer(new TextEncoder().encode(entry.statement)),
  )
  if (!valid) throw new EpochEntryError(EpochRefusal.BadSignature, 'the signature does not verify')
  return statement
}
