/**
 * The practice's device registry (issue 19): which devices belong to the practice, with their
 * public keys, role and relay credential (as a hash), who added each and who revoked it.
 *
 * It is a chain of signed statements, one per change, each naming the hash of the one before:
 *
 *   seq 0   genesis  the practice's first device adds itself, as administrator, signed by itself
 *   seq n   add      an unrevoked administrator device adds a device, signed by its key
 *           revoke   an unrevoked administrator device revokes one; the last administrator cannot be
 *           change   an unrevoked administrator device gives an unrevoked device a new role and end
 *                    date (a locum's access extended, a praticien made secretary): the device keeps
 *                    its keys and credential; it stays administrator only as a praticien, and the
 *                    last administrator cannot be changed out of being one. A change that widens
 *                    what a device reads (secretariat → praticien or remplaçant) names the hash of
 *                    a key grant (`grant`, key-grant.ts) sealing it the clinical keys of every
 *                    epoch: the relay stores the change only together with that grant, in one
 *                    transaction (relay/src/app/key-grants.ts); without it the change is refused
 *
 * Every device verifies the whole chain and refuses what it cannot verify (a forged, reordered,
 * truncated-then-extended or unsigned entry); the relay verifies it too before storing an entry,
 * and derives from it which credentials open the space (relay/src/devices/). Neither has to trust
 * the other: the relay cannot add a device (it holds no administrator key), and a device that is
 * shown a chain with an entry cut out or altered finds the hash link broken.
 *
 * What it holds is public to the relay on purpose: the relay must check signatures and
 * credentials without any key of the practice. Device names and who holds each device are
 * practice data: they live in the encrypted directory (model/devices.ts), never here.
 *
 * Wire form of an entry: { statement: <JSON text, the signed bytes>, sig: base64url(ECDSA P-256
 * SHA-256, IEEE P1363, 64 bytes) }. The statement is verified from its exact text, so no
 * canonical JSON is needed; it is parsed and validated field by field before anything is used.
 */
import { z } from 'zod'
import { asBuffer } from '../crypto/space-keys'
import { fromBase64Url, toBase64Url } from '../crypto/base64url'
import { SPACE_ID_PATTERN } from '../protocol/ids'
import { importSigningKey, PUBLIC_KEY_PATTERN } from './device-identity'

/** randomId(9): 12 base64url characters. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{12}$/
/** SHA-256 in base64url: a credential's hash, a statement's hash. */
export const HASH_PATTERN = /^[A-Za-z0-9_-]{43}$/
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/
/** A statement is a few hundred bytes; anything far larger is not one. */
export const MAX_STATEMENT_CHARS = 2048

/**
 * What a device may read (issue 19, « People and roles »), enforced by the keys it is given
 * (crypto/space-keys.ts) and by the relay, which reads the role here:
 *
 *   praticien    everything; an administrator (`admin`) may add and revoke devices
 *   secretariat  the practice tier alone (directory, agenda): no patient file, no attachment; the
 *                relay refuses its credential on clinical rooms and attachments
 *   remplacant   a praticien's access until `until` (ms): from then on the relay refuses its
 *                credential everywhere
 *
 * An administrator is a praticien: adding a device means sealing it the keys its role reads,
 * and only a praticien's device holds them all (the root secret). Locums and secretaries are
 * added by one, never add.
 */
export const DeviceRole = { Practitioner: 'praticien', Secretariat: 'secretariat', Locum: 'remplacant' } as const
export type DeviceRole = (typeof DeviceRole)[keyof typeof DeviceRole]

const DeviceFields = z
  .object({
    id: z.string().regex(DEVICE_ID_PATTERN),
    agree: z.string().regex(PUBLIC_KEY_PATTERN),
    sign: z.string().regex(PUBLIC_KEY_PATTERN),
    role: z.enum([DeviceRole.Practitioner, DeviceRole.Secretariat, DeviceRole.Locum]),
    admin: z.boolean(),
    /** SHA-256 of the device's relay credential bytes, base64url. */
    credential: z.string().regex(HASH_PATTERN),
    /** A locum's end of access (ms since the epoch): present for `remplacant`, and only then. */
    until: z.number().int().min(0).optional(),
  })
  .strict()
export type DeviceFields = z.infer<typeof DeviceFields>

const Common = {
  v: z.literal(1),
  space: z.string().regex(SPACE_ID_PATTERN),
  seq: z.number().int().min(0),
  prev: z.string().regex(HASH_PATTERN).nullable(),
  at: z.number().int().min(0),
  by: z.string().regex(DEVICE_ID_PATTERN),
}

const Statement = z.discriminatedUnion('op', [
  z.object({ ...Common, op: z.literal('genesis'), device: DeviceFields }).strict(),
  z.object({ ...Common, op: z.literal('add'), device: DeviceFields }).strict(),
  z.object({ ...Common, op: z.literal('revoke'), target: z.string().regex(DEVICE_ID_PATTERN) }).strict(),
  z
    .object({
      ...Common,
      op: z.literal('change'),
      target: z.string().regex(DEVICE_ID_PATTERN),
      role: DeviceFields.shape.role,
      /** The new end of access (ms): present for `remplacant`, and only then. */
      until: z.number().int().min(0).optional(),
      /** The hash (entryHash) of the key grant delivered with this change; required to widen (key-grant.ts). */
      grant: z.string().regex(HASH_PATTERN).optional(),
    })
    .strict(),
])
export type Statement = z.infer<typeof Statement>

export const SignedEntry = z
  .object({
    statement: z.string().min(1).max(MAX_STATEMENT_CHARS),
    sig: z.string().regex(SIGNATURE_PATTERN),
  })
  .strict()
export type SignedEntry = z.infer<typeof SignedEntry>

export interface RegisteredDevice extends DeviceFields {
  readonly addedBy: string
  readonly addedAt: number
  readonly revokedBy: string | null
  readonly revokedAt: number | null
}

export interface RegistryState {
  readonly spaceId: string
  readonly devices: ReadonlyMap<string, RegisteredDevice>
  /** Entries applied; the next entry's seq. */
  readonly length: number
  /** Hash of the last entry, the next entry's `prev`; null before the genesis. */
  readonly head: string | null
  /**
   * Entries that took keys away from a device: revocations, and changes that took the clinical
   * tier from one (to secretariat). Each calls for a new key epoch (key-epoch-entry.ts, epochsDue).
   */
  readonly keyLosses: number
}

export const RegistryRefusal = {
  Malformed: 'malformed',
  WrongSpace: 'wrong-space',
  OutOfOrder: 'out-of-order',
  BrokenLink: 'broken-link',
  BadSignature: 'bad-signature',
  NotAdministrator: 'not-administrator',
  UnknownDevice: 'unknown-device',
  AlreadyPresent: 'already-present',
  AlreadyRevoked: 'already-revoked',
  LastAdministrator: 'last-administrator',
  /** An administrator that is not a praticien, a locum without an end date, an end date on another role. */
  RoleMismatch: 'role-mismatch',
  /** A change that would let a device read the clinical tier with no key grant to give it (secretariat → another role). */
  Widening: 'widening',
} as const
export type RegistryRefusal = (typeof RegistryRefusal)[keyof typeof RegistryRefusal]

export class RegistryError extends Error {
  override name = 'RegistryError'
  constructor(
    readonly refusal: RegistryRefusal,
    readonly seq: number,
    message: string,
  ) {
    super(`Device registry entry ${seq}: ${message}`)
  }
}

export function emptyRegistry(spaceId: string): RegistryState {
  return { spaceId, devices: new Map(), length: 0, head: null, keyLosses: 0 }
}

/** The hash the next entry names as `prev`: of the statement's text and its signature. */
export async function entryHash(entry: SignedEntry): Promise<string> {
  const bytes = new TextEncoder().encode(`${entry.statement}\n${entry.sig}`)
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', asBuffer(bytes))))
}

/** SHA-256 of a credential's bytes, as the registry (and the relay) name it. */
export async function credentialHash(credential: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', asBuffer(fromBase64Url(credential)))))
}

export async function signStatement(statement: Statement, signingKey: CryptoKey): Promise<SignedEntry> {
  const text = JSON.stringify(statement)
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, asBuffer(new TextEncoder().encode(text)))
  return { statement: text, sig: toBase64Url(new Uint8Array(sig)) }
}

/** The statement an entry signs, validated; RegistryError (malformed) otherwise. */
export function readStatement(entry: unknown, seq: number): { entry: SignedEntry; statement: Statement } {
  const signed = SignedEntry.safeParse(entry)
  if (!signed.success) throw new RegistryError(RegistryRefusal.Malformed, seq, 'not a signed entry')
  let json: unknown
  try {
    json = JSON.parse(signed.data.statement)
  } catch {
    throw new RegistryError(RegistryRefusal.Malformed, seq, 'the statement is not JSON')
  }
  const statement = Statement.safeParse(json)
  if (!statement.success) {
    throw new RegistryError(RegistryRefusal.Malformed, seq, `invalid field ${statement.error.issues[0]?.path.join('.') ?? '?'}`)
  }
  return { entry: signed.data, statement: statement.data }
}

/**
 * `state` with one more entry, or RegistryError saying why the entry is refused. Pure but for
 * WebCrypto: the relay and every device apply the same rules to the same bytes.
 */
export async function applyEntry(state: RegistryState, raw: unknown): Promise<RegistryState> {
  const seq = state.length
  const { entry, statement } = readStatement(raw, seq)
  if (statement.space !== state.spaceId) throw new RegistryError(RegistryRefusal.WrongSpace, seq, 'written for another practice')
  if (statement.seq !== seq) throw new RegistryError(RegistryRefusal.OutOfOrder, seq, `says it is entry ${statement.seq}`)
  if (statement.prev !== state.head) throw new RegistryError(RegistryRefusal.BrokenLink, seq, 'does not follow the entry before it')

  if (statement.op === 'genesis' || statement.op === 'add') {
    const mismatch = roleMismatch(statement.device)
    if (mismatch !== null) throw new RegistryError(RegistryRefusal.RoleMismatch, seq, mismatch)
  }
  const devices = new Map(state.devices)
  let keyLosses = state.keyLosses
  let signerKey: string
  if (statement.op === 'genesis') {
    if (seq !== 0) throw new RegistryError(RegistryRefusal.OutOfOrder, seq, 'a genesis after the first entry')
    if (statement.by !== statement.device.id || !statement.device.admin) {
      throw new RegistryError(RegistryRefusal.NotAdministrator, seq, 'the first device adds itself, as administrator')
    }
    signerKey = statement.device.sign
    devices.set(statement.device.id, { ...statement.device, addedBy: statement.by, addedAt: statement.at, revokedBy: null, revokedAt: null })
  } else {
    if (seq === 0) throw new RegistryError(RegistryRefusal.OutOfOrder, seq, 'the first entry must be a genesis')
    const signer = devices.get(statement.by)
    if (signer === undefined) throw new RegistryError(RegistryRefusal.UnknownDevice, seq, 'signed by a device the registry does not hold')
    if (!signer.admin || signer.revokedAt !== null) throw new RegistryError(RegistryRefusal.NotAdministrator, seq, 'signed by a device that may not change the registry')
    signerKey = signer.sign
    if (statement.op === 'add') {
      const { device } = statement
      if (devices.has(device.id)) throw new RegistryError(RegistryRefusal.AlreadyPresent, seq, 'adds a device already in the registry')
      for (const other of devices.values()) {
        if (other.credential === device.credential || other.sign === device.sign) {
          throw new RegistryError(RegistryRefusal.AlreadyPresent, seq, 'reuses another device’s credential or key')
        }
      }
      devices.set(device.id, { ...device, addedBy: statement.by, addedAt: statement.at, revokedBy: null, revokedAt: null })
    } else {
      const verb = statement.op === 'revoke' ? 'revokes' : 'changes'
      const target = devices.get(statement.target)
      if (target === undefined) throw new RegistryError(RegistryRefusal.UnknownDevice, seq, `${verb} a device the registry does not hold`)
      if (target.revokedAt !== null) throw new RegistryError(RegistryRefusal.AlreadyRevoked, seq, `${verb} a device already revoked`)
      if (statement.op === 'revoke') {
        devices.set(target.id, { ...target, revokedBy: statement.by, revokedAt: statement.at })
        keyLosses++
      } else {
        const changed = changedDevice(target, statement.role, statement.until)
        const mismatch = roleMismatch(changed)
        if (mismatch !== null) throw new RegistryError(RegistryRefusal.RoleMismatch, seq, mismatch)
        if (widens(target.role, changed.role) && statement.grant === undefined) {
          throw new RegistryError(RegistryRefusal.Widening, seq, 'gives a secretary’s device the clinical tier without a key grant: send the change with its grant')
        }
        devices.set(target.id, changed)
        if (target.role !== DeviceRole.Secretariat && changed.role === DeviceRole.Secretariat) keyLosses++
      }
      if (![...devices.values()].some((d) => d.admin && d.revokedAt === null)) {
        throw new RegistryError(RegistryRefusal.LastAdministrator, seq, 'would leave the practice without an administrator')
      }
    }
  }
  const key = await importSigningKey(signerKey)
  const valid = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    asBuffer(fromBase64Url(entry.sig)),
    asBuffer(new TextEncoder().encode(entry.statement)),
  )
  if (!valid) throw new RegistryError(RegistryRefusal.BadSignature, seq, 'the signature does not verify')
  return { spaceId: state.spaceId, devices, length: seq + 1, head: await entryHash(entry), keyLosses }
}

/** The registry a list of entries builds, from its genesis; RegistryError at the first refused entry. */
export async function verifyRegistry(spaceId: string, entries: readonly unknown[]): Promise<RegistryState> {
  let state = emptyRegistry(spaceId)
  for (const entry of entries) state = await applyEntry(state, entry)
  return state
}

/** What an entry after the genesis changes, as nextStatement takes it. */
export type RegistryChange =
  | { op: 'genesis' | 'add'; device: DeviceFields }
  | { op: 'revoke'; target: string }
  | { op: 'change'; target: string; role: DeviceRole; until?: number; grant?: string }

/** The statement that follows `state`; the caller signs it (signStatement). */
export function nextStatement(
  state: RegistryState,
  by: string,
  at: number,
  change: RegistryChange,
): Statement {
  return { v: 1, space: state.spaceId, seq: state.length, prev: state.head, at, by, ...change }
}

/** Whether a device going from role `from` to `to` starts reading the clinical tier (a secretary upgraded). */
export function widens(from: DeviceRole, to: DeviceRole): boolean {
  return from === DeviceRole.Secretariat && to !== DeviceRole.Secretariat
}

/**
 * `device` with a new role and end date: it stays administrator only as a praticien (an
 * administrator seals keys it holds as one); its keys, credential and history are unchanged.
 */
function changedDevice(device: RegisteredDevice, role: DeviceRole, until: number | undefined): RegisteredDevice {
  const changed: RegisteredDevice = { ...device, role, admin: device.admin && role === DeviceRole.Practitioner }
  if (until === undefined) delete changed.until
  else changed.until = until
  return changed
}

function roleMismatch(device: DeviceFields): string | null {
  if (device.admin && device.role !== DeviceRole.Practitioner) return 'an administrator is a praticien'
  if ((device.role === DeviceRole.Locum) !== (device.until !== undefined)) return 'a locum has an end date, and only a locum'
  return null
}

/** Whether a device's access has ended at `now`: a locum past its `until`. Revocation is apart. */
export function accessEnded(device: Pick<DeviceFields, 'until'>, now: number): boolean {
  return device.until !== undefined && now >= device.until
}

/** Devices that may sync at `now`: in the registry, not revoked, not a locum past its end date. */
export function activeDevices(state: RegistryState, now: number): RegisteredDevice[] {
  return [...state.devices.values()].filter((d) => d.revokedAt === null && !accessEnded(d, now))
}
