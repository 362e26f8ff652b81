/**
 * The device's secrets at rest under its passkey (issue 19, « A lock »): wrapping them when a
 * passkey with the PRF extension is set up (or first gives its secret at an unlock), opening them
 * at each unlock, letting them go at each lock, and putting them back in the clear when the lock
 * becomes a PIN or none.
 *
 *   wrapAtRest      seals the secrets (prf-wrap.ts) and, in one transaction, erases the plain keys,
 *                   secrets and credential from the registry (registry.ts wrap); the practice stays
 *                   unlocked
 *   openAtRest      at an unlock: the PRF output opens the sealed secrets, the working keys, the
 *                   held state's key and the held epochs' keys are derived from them (non-
 *                   extractable) and held in memory (unlocked-keys.ts); a payload of the first
 *                   layout (v1) has the credential and the held state moved in now
 *   lockAtRest      at a lock: the memory's secrets, keys and epoch rings are let go, and the held
 *                   state's key kept at rest from before the wrap is dropped with its rows (also at
 *                   a launch that finds the device locked: settleHeldState)
 *   unwrapAtRest    the reverse of wrapAtRest, from what is held in memory while unlocked
 *   keepHeldEpochs  a key epoch opened from its seal (or made here): sealed with the others where
 *                   the passkey wraps them, kept at rest (non-extractable) otherwise
 *   keepGrantedKeys what a key grant gave (key-grants-sync.ts): the same, the tier secrets of epoch
 *                   0 too, and held in memory for the session where nothing is wrapped
 *   narrowedAtRest  the registry made the device secretary (role-downgrade.ts): the memory loses the
 *                   clinical tier, and the wrap is sealed again without it
 *
 * What is wrapped, so that a copy of the profile opens nothing this device decrypted: the tier
 * secrets the working keys are derived from, an administrator's root and epoch secrets, the relay
 * credential, the secrets of every key epoch sealed to this device, and the device-held state's
 * key (held-state.ts). The held state's rows sealed under the key it kept at rest before cannot be
 * sealed again (their additional data names docs the database does not hold): they go with that
 * key once the practice is closed (the next lock, launch or unlock), and the docs hold again
 * what they read as they open. Epochs kept at rest before the wrap are opened again from their
 * seals at the next sync (key-epochs-sync.ts), then leave the `epochs` store; until then they stay
 * at rest as they were. Not wrapped: the device's own key pairs (non-extractable since pairing:
 * docs/threat-model.md says what they still give).
 *
 * What can be wrapped: a device holds its secrets raw only where it can: an administrator's keeps
 * its root secret (tier secrets derive from it); any device holds the secrets it was given in the
 * session it created or joined the practice (unlocked-keys.ts), or that a key grant gave it in
 * this session (keepGrantedKeys). A device paired in an earlier session without the root secret
 * kept only non-extractable keys, which cannot be wrapped: its keys stay as they are until an
 * administrator sends it a key grant (« Renvoyer les clés », key-grants-sync.ts; Réglages says so).
 */
import { deriveTierSecrets, type TierSecrets } from '../../../../../shared/src/crypto/space-keys'
import type { DeviceRole } from '../../../../../shared/src/devices/registry-chain'
import { asBuffer } from '../../../../../shared/src/crypto/space-keys'
import { identityFromSecrets, type DeviceIdentity, type IdentitySecrets } from '../../../../../shared/src/devices/device-identity'
import { randomBytes } from '../../../../../shared/src/crypto/base64url'
import { DeviceStorageError } from '../../errors'
import { deriveDeviceKeys, type DeviceKeys } from '../device-keys'
import { heldEpochOf } from '../held-epoch-keys'
import { dropHeldKeyAtRest, putHeldKeyAtRest } from '../held-state'
import { hasUseKeys, registryOf, withoutClinicalKeys, type EpochSecrets, type HeldEpoch, type RoleNotice, type WrappedRecord } from '../registry'
import { HELD_SECRET_BYTES, openSecrets, sealSecrets, WRAP_SALT_BYTES, wrappingKeyFrom, type AtRestSecrets } from './prf-wrap'
import { DeviceLockedError, type UnlockedKeys, type UnlockedPractice, type WrapState } from './unlocked-keys'

/** What these moves need of the device's environment (DeviceEnvironment has it). */
export interface AtRestEnvironment {
  readonly idbPrefix: string
  /** The device's memory of unlocked practices; without one nothing can be wrapped (tests of other parts). */
  readonly unlocked?: UnlockedKeys
  /** The epoch rings of open practices (device.ts): their keys go at the lock too. */
  readonly epochRings?: { delete(spaceId: string): boolean }
}

function holderOf(env: AtRestEnvironment): UnlockedKeys {
  if (env.unlocked === undefined) throw new DeviceLockedError('This environment holds no unlocked keys')
  return env.unlocked
}

/** The practice's databases' stem (device.ts opens its rooms, and the held state, under it). */
function spaceDatabase(spaceId: string, env: AtRestEnvironment): string {
  return `${env.idbPrefix}tournee-space-${spaceId}`
}

/** Epoch secrets by epoch, the later list's winning. */
function mergedEpochs(...lists: (readonly EpochSecrets[])[]): EpochSecrets[] {
  const byEpoch = new Map<number, EpochSecrets>()
  for (const list of lists) for (const e of list) byEpoch.set(e.epoch, e)
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)
}

/** The epochs whose secrets `secrets` holds: an administrator's and those sealed to this device. */
function epochsOf(secrets: AtRestSecrets): EpochSecrets[] {
  return mergedEpochs(secrets.epochSecrets, secrets.heldEpochs)
}

/** The held epochs' keys, derived from the secrets (non-extractable). */
function heldEpochsFrom(spaceId: string, secrets: AtRestSecrets): Promise<HeldEpoch[]> {
  return Promise.all(epochsOf(secrets).map((e) => heldEpochOf(spaceId, e.epoch, e)))
}

function identityOf(secrets: AtRestSecrets): Promise<DeviceIdentity | null> {
  return secrets.identity === null ? Promise.resolve(null) : identityFromSecrets(secrets.identity)
}

function heldKeyFrom(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', asBuffer(secret), { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
}

/** Seals the secrets under the wrap and writes them, the epochs they hold leaving `epochs`. */
async function sealAndKeep(spaceId: string, secrets: AtRestSecrets, wrap: WrapState, env: AtRestEnvironment): Promise<void> {
  const sealed = await sealSecrets(wrap.key, spaceId, secrets)
  await registryOf(env).wrap({ spaceId, salt: wrap.salt, sealed, credentialId: wrap.credentialId }, epochsOf(secrets).map((e) => e.epoch), secrets.identity !== null)
}

/** The raw secrets this device can wrap now, or null when it holds none (see the module's comment). */
async function secretsToWrap(spaceId: string, env: AtRestEnvironment): Promise<AtRestSecrets | null> {
  const registry = registryOf(env)
  const memory = env.unlocked?.get(spaceId) ?? null
  let base = memory?.secrets ?? null
  if (base === null) {
    const rootSecret = await registry.rootSecret(spaceId)
    if (rootSecret === null) return null
    base = { tiers: await deriveTierSecrets(spaceId, rootSecret), rootSecret, epochSecrets: [], held: null, credential: null, heldEpochs: [], identity: null }
  }
  // Not wrapped yet: an administrator's epochs made since (kept in `pairing`) are wrapped too.
  if (!memory?.wrap) base = { ...base, epochSecrets: mergedEpochs(base.epochSecrets, await registry.epochSecrets(spaceId)) }
  const stored = await registry.get(spaceId)
  if (stored === undefined) return null
  return {
    ...base,
    held: base.held ?? randomBytes(HELD_SECRET_BYTES),
    credential: base.credential ?? stored.credential,
  }
}

/** Whether this device could wrap its keys now (Réglages says why not when it cannot). */
export async function canWrapAtRest(spaceId: string, env: AtRestEnvironment): Promise<boolean> {
  return (await registryOf(env).wrapped(spaceId)) !== null || (await secretsToWrap(spaceId, env)) !== null
}

/**
 * Wraps this device's secrets under the passkey's PRF output; false when it holds none it can
 * wrap (nothing changed). The practice stays open: the memory holds what the registry let go. Its
 * held state keeps the key it has at rest until it is closed (lockAtRest drops both then).
 */
export async function wrapAtRest(spaceId: string, credentialId: Uint8Array, prfOutput: Uint8Array, env: AtRestEnvironment): Promise<boolean> {
  const holder = holderOf(env)
  const secrets = await secretsToWrap(spaceId, env)
  if (secrets === null) return false
  const salt = randomBytes(WRAP_SALT_BYTES)
  const wrap: WrapState = { key: await wrappingKeyFrom(prfOutput, salt, spaceId), salt, credentialId }
  const previous = holder.get(spaceId)
  const keys = previous?.keys ?? (await deriveDeviceKeys(spaceId, secrets.tiers))
  // Another passkey's wrap replaced: the held state is under the memory's key already.
  const heldKey = previous?.wrap ? previous.heldKey : null
  // Held first: a registry read between the two (another part of the open practice) finds the keys.
  holder.set(spaceId, { secrets, keys, heldKey, heldEpochs: await heldEpochsFrom(spaceId, secrets), identity: await identityOf(secrets), wrap })
  await sealAndKeep(spaceId, secrets, wrap, env)
  return true
}

/**
 * Opens the wrapped secrets with the PRF output of this unlock (WrongPasskeySecretError when it is
 * not theirs) and holds them and the keys derived from them; false when nothing is wrapped. Run
 * before the practice opens: the held state's key kept at rest from before the wrap goes now, with
 * its rows (a v1 payload has the held state's key and the credential moved in first).
 */
export async function openAtRest(spaceId: string, prfOutput: Uint8Array, env: AtRestEnvironment): Promise<boolean> {
  const holder = holderOf(env)
  const registry = registryOf(env)
  const wrapped = await registry.wrapped(spaceId)
  if (wrapped === null) return false
  const wrap: WrapState = { key: await wrappingKeyFrom(prfOutput, wrapped.salt, spaceId), salt: wrapped.salt, credentialId: wrapped.credentialId }
  let secrets = await openSecrets(wrap.key, spaceId, wrapped.sealed)
  const keys = await deriveDeviceKeys(spaceId, secrets.tiers)
  const identity = await identityOf(secrets)
  const unlocked = (opened: AtRestSecrets, heldKey: CryptoKey | null, heldEpochs: readonly HeldEpoch[]): UnlockedPractice => ({ secrets: opened, keys, heldKey, heldEpochs, identity, wrap })
  holder.set(spaceId, unlocked(secrets, null, []))
  if (secrets.held === null || secrets.credential === null) {
    // The first layout: the credential still beside the record (registry.get gives it), no held key.
    const stored = await registry.get(spaceId)
    if (stored === undefined) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
    secrets = { ...secrets, held: secrets.held ?? randomBytes(HELD_SECRET_BYTES), credential: secrets.credential ?? stored.credential }
    holder.set(spaceId, unlocked(secrets, null, []))
    await sealAndKeep(spaceId, secrets, wrap, env)
  }
  await dropHeldKeyAtRest(spaceDatabase(spaceId, env))
  holder.set(spaceId, unlocked(secrets, await heldKeyFrom(secrets.held!), await heldEpochsFrom(spaceId, secrets)))
  return true
}

/** Seals one more key epoch's secrets with the others (an administrator's rotation, while unlocked). */
export async function sealEpochAtRest(spaceId: string, epoch: EpochSecrets, env: AtRestEnvironment): Promise<void> {
  const holder = holderOf(env)
  const held = holder.get(spaceId)
  if (!held?.wrap) throw new DeviceLockedError('The secrets of this device are wrapped by its passkey: unlock it first')
  if (held.secrets.rootSecret === null) return
  const secrets: AtRestSecrets = { ...held.secrets, epochSecrets: mergedEpochs(held.secrets.epochSecrets, [epoch]) }
  holder.set(spaceId, { ...held, secrets })
  await sealAndKeep(spaceId, secrets, held.wrap, env)
}

/**
 * Keeps key epochs this device opened from their seals (or made): where its secrets are held in
 * memory their secrets join them — sealed with the others where the passkey wraps them, so that
 * no key of theirs is at rest — and otherwise (and also, in the session it joined) their keys are
 * kept at rest, non-extractable (registry.ts addHeldEpochs).
 */
export async function keepHeldEpochs(spaceId: string, opened: readonly { held: HeldEpoch; secrets: EpochSecrets }[], env: AtRestEnvironment): Promise<void> {
  if (opened.length === 0) return
  const memory = env.unlocked?.get(spaceId)
  if (memory) {
    const secrets: AtRestSecrets = { ...memory.secrets, heldEpochs: mergedEpochs(memory.secrets.heldEpochs, opened.map((e) => e.secrets)) }
    const heldEpochs = [...memory.heldEpochs.filter((h) => !opened.some((e) => e.held.epoch === h.epoch)), ...opened.map((e) => e.held)]
    env.unlocked!.set(spaceId, { ...memory, secrets, heldEpochs })
    if (memory.wrap) {
      await sealAndKeep(spaceId, secrets, memory.wrap, env)
      return
    }
  }
  await registryOf(env).addHeldEpochs(spaceId, opened.map((e) => e.held))
}

/**
 * The epochs this device holds for good, which a refresh need not open again: where the passkey
 * wraps its secrets, those opened in memory (the ones still at rest from before the wrap are opened
 * again, so that they leave the store); otherwise those kept with every key this version uses.
 */
export async function epochsKeptFor(spaceId: string, env: AtRestEnvironment): Promise<Set<number>> {
  const memory = env.unlocked?.get(spaceId)
  if (memory?.wrap) return new Set(memory.heldEpochs.map((e) => e.epoch))
  return new Set((await registryOf(env).heldEpochsAtRest(spaceId)).filter(hasUseKeys).map((e) => e.epoch))
}

/** What a key grant gives a device (key-grants-sync.ts): epoch 0's tier secrets and keys, each epoch's, its role. */
export interface GrantedAtRest {
  readonly tiers: TierSecrets
  readonly keys: DeviceKeys
  readonly epochs: readonly { held: HeldEpoch; secrets: EpochSecrets }[]
  readonly role: DeviceRole
  readonly until: number | null
  /** A role the grant widened: the notice the device shows once (role-notice.ts); absent, the record's stays. */
  readonly notice?: RoleNotice
}

/**
 * Keeps what a key grant gave: where the passkey wraps the secrets, they are sealed with the
 * others in place of the tiers held before; otherwise the working keys and the epochs' keys go at
 * rest (non-extractable, as at pairing) and the raw secrets stay in memory for this session, so
 * that a passkey set up now wraps them. The record takes the role the grant was made for.
 */
export async function keepGrantedKeys(spaceId: string, granted: GrantedAtRest, env: AtRestEnvironment): Promise<void> {
  const registry = registryOf(env)
  const memory = env.unlocked?.get(spaceId) ?? null
  const epochSecrets = granted.epochs.map((e) => e.secrets)
  const heldEpochs = [...(memory?.heldEpochs ?? []).filter((h) => !granted.epochs.some((e) => e.held.epoch === h.epoch)), ...granted.epochs.map((e) => e.held)]
  if (memory?.wrap) {
    const secrets: AtRestSecrets = { ...memory.secrets, tiers: granted.tiers, heldEpochs: mergedEpochs(memory.secrets.heldEpochs, epochSecrets) }
    env.unlocked!.set(spaceId, { ...memory, secrets, keys: granted.keys, heldEpochs })
    await sealAndKeep(spaceId, secrets, memory.wrap, env)
  }
  const stored = await registry.get(spaceId)
  if (stored === undefined) throw new DeviceStorageError(`This device is not paired with space ${spaceId}`)
  // Under a wrap, put keeps no key at rest (registry.ts): the role alone changes there.
  await registry.put({ ...stored, keys: granted.keys, role: granted.role, until: granted.until, ...(granted.notice === undefined ? {} : { roleNotice: granted.notice }) })
  if (memory?.wrap) return
  await registry.addHeldEpochs(spaceId, granted.epochs.map((e) => e.held))
  const before = memory?.secrets
  const secrets: AtRestSecrets = {
    tiers: granted.tiers,
    rootSecret: before?.rootSecret ?? null,
    epochSecrets: before?.epochSecrets ?? [],
    held: before?.held ?? null,
    credential: before?.credential ?? null,
    heldEpochs: mergedEpochs(before?.heldEpochs ?? [], epochSecrets),
    identity: before?.identity ?? null,
  }
  env.unlocked?.set(spaceId, { secrets, keys: granted.keys, heldKey: memory?.heldKey ?? null, heldEpochs, identity: memory?.identity ?? null, wrap: null })
}

/** What the memory held of the practice goes, now (the device forgets the practice, or locks). */
export function letGoAtRest(spaceId: string, env: AtRestEnvironment): void {
  env.unlocked?.drop(spaceId)
  env.epochRings?.delete(spaceId)
}

/**
 * The lock, once the practice is closed: what the memory held of it goes, and where the passkey
 * wraps the secrets, the held state's key kept at rest from before the wrap goes with its rows.
 */
export async function lockAtRest(spaceId: string, env: AtRestEnvironment): Promise<void> {
  letGoAtRest(spaceId, env)
  await settleHeldState(spaceId, env)
}

/**
 * Where the passkey wraps the secrets, the held state's key kept at rest from before the wrap goes
 * with its rows; run with the practice closed: at each lock, and at a launch that finds the device
 * locked (a tab closed after the passkey was chosen, before any lock, left them).
 */
export async function settleHeldState(spaceId: string, env: AtRestEnvironment): Promise<void> {
  if ((await registryOf(env).wrapped(spaceId)) !== null) await dropHeldKeyAtRest(spaceDatabase(spaceId, env))
}

/** Puts the keys back in the clear (the lock becomes a PIN, or none); nothing when they are not wrapped. */
export async function unwrapAtRest(spaceId: string, env: AtRestEnvironment): Promise<void> {
  const registry = registryOf(env)
  if ((await registry.wrapped(spaceId)) === null) return
  const held = env.unlocked?.get(spaceId)
  if (!held?.wrap) throw new DeviceLockedError('The secrets of this device are wrapped by its passkey: unlock it first')
  const { secrets } = held
  // The held state's key first: a tab closed before the unwrap leaves a key the next unlock drops,
  // never rows without their key.
  if (held.heldKey !== null) await putHeldKeyAtRest(spaceDatabase(spaceId, env), held.heldKey)
  await registry.unwrap(spaceId, held.keys, secrets.rootSecret === null ? null : { rootSecret: secrets.rootSecret, epochSecrets: [...secrets.epochSecrets] }, {
    credential: secrets.credential,
    heldEpochs: held.heldEpochs,
    identity: held.identity,
  })
  // The session keeps them, unwrapped, should a passkey be set up again before the lock.
  holderOf(env).set(spaceId, { ...held, wrap: null })
}

/**
 * The registry narrowed this device's role (role-downgrade.ts): what the memory holds of the
 * practice loses the clinical tier — its secret, an administrator's root and epoch secrets, each
 * held epoch's clinical secret, the working and epoch keys derived from them — so that a passkey
 * set up later wraps none of it. Where the passkey wraps the secrets already, resolves with the
 * wrapped record sealed again without them (the caller writes it with the rest of the narrowing,
 * in one transaction); null otherwise. DeviceLockedError on a wrapped device that is locked.
 */
export async function narrowedAtRest(spaceId: string, env: AtRestEnvironment): Promise<WrappedRecord | null> {
  const held = env.unlocked?.get(spaceId) ?? null
  const wrappedAtRest = await registryOf(env).wrapped(spaceId)
  if (held === null) {
    if (wrappedAtRest !== null) throw new DeviceLockedError('The secrets of this device are wrapped by its passkey: unlock it first')
    return null
  }
  const secrets: AtRestSecrets = {
    ...held.secrets,
    tiers: { practice: held.secrets.tiers.practice, clinical: null },
    rootSecret: null,
    epochSecrets: [],
    heldEpochs: held.secrets.heldEpochs.map((e) => ({ ...e, clinical: null })),
  }
  const keys: DeviceKeys = { ...held.keys, clinical: null, attachment: null }
  env.unlocked!.set(spaceId, { ...held, secrets, keys, heldEpochs: held.heldEpochs.map(withoutClinicalKeys) })
  if (held.wrap === null || wrappedAtRest === null) return null
  return { spaceId, salt: held.wrap.salt, sealed: await sealSecrets(held.wrap.key, spaceId, secrets), credentialId: held.wrap.credentialId }
}

/** Keeps the secrets a device was just given (created, joined) for this session: a passkey set up now wraps them. */
export function holdSessionSecrets(
  spaceId: string,
  given: Pick<AtRestSecrets, 'tiers' | 'rootSecret'> & { identity?: IdentitySecrets | null },
  keys: DeviceKeys,
  env: AtRestEnvironment,
): void {
  const secrets: AtRestSecrets = { epochSecrets: [], held: null, credential: null, heldEpochs: [], ...given, identity: given.identity ?? null }
  env.unlocked?.set(spaceId, { secrets, keys, heldKey: null, heldEpochs: [], identity: null, wrap: null })
}
