/**
 * The device's secrets at rest under its passkey (issue 19, « A lock »): wrapping them when a
 * passkey with the PRF extension is set up (or first gives its secret at an unlock), opening them
 * at each unlock, letting them go at each lock, and putting them back in the clear when the lock
 * becomes a PIN or none.
 *
 *   wrapAtRest      seals the secrets (prf-wrap.ts) and, in one transaction, erases the plain keys
 *                   and secrets from the registry (registry.ts wrap); the practice stays unlocked
 *   openAtRest      at an unlock: the PRF output opens the sealed secrets, the working keys are
 *                   derived from them (non-extractable) and held in memory (unlocked-keys.ts)
 *   lockAtRest      at a lock: the memory's secrets, keys and epoch rings are let go
 *   unwrapAtRest    the reverse of wrapAtRest, from what is held in memory while unlocked
 *
 * What can be wrapped: the tier secrets the working keys are derived from, and an administrator's
 * root and epoch secrets. A device holds those raw only where it can: an administrator's keeps its
 * root secret (tier secrets derive from it); any device holds the secrets it was given in the
 * session it created or joined the practice (unlocked-keys.ts). A device paired in an earlier
 * session without the root secret kept only non-extractable keys, which cannot be wrapped: its
 * keys stay as they are until it is paired again (Réglages says so).
 */
import { deriveTierSecrets } from '../../../../../shared/src/crypto/space-keys'
import { randomBytes } from '../../../../../shared/src/crypto/base64url'
import { deriveDeviceKeys, type DeviceKeys } from '../device-keys'
import { registryOf, type EpochSecrets } from '../registry'
import { openSecrets, sealSecrets, WRAP_SALT_BYTES, wrappingKeyFrom, type AtRestSecrets } from './prf-wrap'
import { DeviceLockedError, type UnlockedKeys } from './unlocked-keys'

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

/** The raw secrets this device can wrap now, or null when it holds none (see the module's comment). */
async function secretsToWrap(spaceId: string, env: AtRestEnvironment): Promise<AtRestSecrets | null> {
  const held = env.unlocked?.get(spaceId)
  if (held) return held.secrets
  const registry = registryOf(env)
  const rootSecret = await registry.rootSecret(spaceId)
  if (rootSecret === null) return null
  return { tiers: await deriveTierSecrets(spaceId, rootSecret), rootSecret, epochSecrets: await registry.epochSecrets(spaceId) }
}

/** Whether this device could wrap its keys now (Réglages says why not when it cannot). */
export async function canWrapAtRest(spaceId: string, env: AtRestEnvironment): Promise<boolean> {
  return (await registryOf(env).wrapped(spaceId)) !== null || (await secretsToWrap(spaceId, env)) !== null
}

/**
 * Wraps this device's secrets under the passkey's PRF output; false when it holds none it can
 * wrap (nothing changed). The practice stays open: the memory holds what the registry let go.
 */
export async function wrapAtRest(spaceId: string, credentialId: Uint8Array, prfOutput: Uint8Array, env: AtRestEnvironment): Promise<boolean> {
  const holder = holderOf(env)
  const secrets = await secretsToWrap(spaceId, env)
  if (secrets === null) return false
  const salt = randomBytes(WRAP_SALT_BYTES)
  const key = await wrappingKeyFrom(prfOutput, salt, spaceId)
  const sealed = await sealSecrets(key, spaceId, secrets)
  const keys = holder.get(spaceId)?.keys ?? (await deriveDeviceKeys(spaceId, secrets.tiers))
  // Held first: a registry read between the two (another part of the open practice) finds the keys.
  holder.set(spaceId, { secrets, keys, wrap: { key, salt, credentialId } })
  await registryOf(env).wrap({ spaceId, salt, sealed, credentialId })
  return true
}

/**
 * Opens the wrapped secrets with the PRF output of this unlock (WrongPasskeySecretError when it is
 * not theirs) and holds them and the keys derived from them; false when nothing is wrapped.
 */
export async function openAtRest(spaceId: string, prfOutput: Uint8Array, env: AtRestEnvironment): Promise<boolean> {
  const holder = holderOf(env)
  const wrapped = await registryOf(env).wrapped(spaceId)
  if (wrapped === null) return false
  const key = await wrappingKeyFrom(prfOutput, wrapped.salt, spaceId)
  const secrets = await openSecrets(key, spaceId, wrapped.sealed)
  holder.set(spaceId, { secrets, keys: await deriveDeviceKeys(spaceId, secrets.tiers), wrap: { key, salt: wrapped.salt, credentialId: wrapped.credentialId } })
  return true
}

/** Seals one more key epoch's secrets with the others (an administrator's rotation, while unlocked). */
export async function sealEpochAtRest(spaceId: string, epoch: EpochSecrets, env: AtRestEnvironment): Promise<void> {
  const holder = holderOf(env)
  const held = holder.get(spaceId)
  if (!held?.wrap) throw new DeviceLockedError('The secrets of this device are wrapped by its passkey: unlock it first')
  if (held.secrets.rootSecret === null) return
  const secrets: AtRestSecrets = { ...held.secrets, epochSecrets: [...held.secrets.epochSecrets.filter((e) => e.epoch !== epoch.epoch), epoch] }
  const sealed = await sealSecrets(held.wrap.key, spaceId, secrets)
  holder.set(spaceId, { ...held, secrets })
  await registryOf(env).wrap({ spaceId, salt: held.wrap.salt, sealed, credentialId: held.wrap.credentialId })
}

/** The lock: what the memory held of the practice goes (the practice is closed first). */
export function lockAtRest(spaceId: string, env: AtRestEnvironment): void {
  env.unlocked?.drop(spaceId)
  env.epochRings?.delete(spaceId)
}

/** Puts the keys back in the clear (the lock becomes a PIN, or none); nothing when they are not wrapped. */
export async function unwrapAtRest(spaceId: string, env: AtRestEnvironment): Promise<void> {
  const registry = registryOf(env)
  if ((await registry.wrapped(spaceId)) === null) return
  const held = env.unlocked?.get(spaceId)
  if (!held?.wrap) throw new DeviceLockedError('The secrets of this device are wrapped by its passkey: unlock it first')
  const { secrets } = held
  await registry.unwrap(spaceId, held.keys, secrets.rootSecret === null ? null : { rootSecret: secrets.rootSecret, epochSecrets: [...secrets.epochSecrets] })
  // The session keeps them, unwrapped, should a passkey be set up again before the lock.
  holderOf(env).set(spaceId, { ...held, wrap: null })
}

/** Keeps the secrets a device was just given (created, joined) for this session: a passkey set up now wraps them. */
export function holdSessionSecrets(spaceId: string, secrets: AtRestSecrets, keys: DeviceKeys, env: AtRestEnvironment): void {
  env.unlocked?.set(spaceId, { secrets, keys, wrap: null })
}
