/**
 * What a device holds in memory of a practice whose secrets are wrapped at rest by its passkey
 * (prf-wrap.ts): the secrets opened at the unlock, the working keys derived from them (non-
 * extractable), and the wrapping key to seal again what is added while open (a key epoch's
 * secrets). One holder per device environment (`DeviceEnvironment.unlocked`, like its epoch
 * rings): the registry reads the keys from here while the practice is unlocked, and finds none
 * once it is locked (DeviceLockedError).
 *
 * It also keeps, for the session alone, the secrets a device was given when it created or joined
 * the practice (`wrap` null): a device that is not an administrator keeps no secret at rest, only
 * keys that cannot be wrapped, so a passkey set up in that session is the moment its secrets can
 * be wrapped (at-rest.ts). Locking drops both.
 */
import type { DeviceKeys } from '../device-keys'
import type { HeldEpoch } from '../registry'
import type { DeviceIdentity, IdentitySecrets } from '../../../../../shared/src/devices/device-identity'
import type { AtRestSecrets } from './prf-wrap'

/** How the secrets are sealed again: the wrapping key (non-extractable) and the device's salt. */
export interface WrapState {
  readonly key: CryptoKey
  readonly salt: Uint8Array
  readonly credentialId: Uint8Array
}

export interface UnlockedPractice {
  readonly secrets: AtRestSecrets
  readonly keys: DeviceKeys
  /**
   * The device-held state's key (held-state.ts), from `secrets.held`; null until the held state's
   * rows are under it (its at-rest key is dropped, with its rows, once the practice is closed:
   * at-rest.ts settleHeldState), and on a device whose secrets are not wrapped.
   */
  readonly heldKey: CryptoKey | null
  /** The key epochs of `secrets.heldEpochs` and `secrets.epochSecrets`, derived (held-epoch-keys.ts). */
  readonly heldEpochs: readonly HeldEpoch[]
  /** The device's key pairs from `secrets.identity` (private halves non-extractable); null when not wrapped. */
  readonly identity: DeviceIdentity | null
  /** Null: the secrets are this session's (created or joined), not wrapped at rest. */
  readonly wrap: WrapState | null
}

export class UnlockedKeys {
  private readonly practices = new Map<string, UnlockedPractice>()
  /** Identities made wrappable in this session (makeWrappableIdentity), before a practice holds them. */
  private readonly identities = new WeakMap<DeviceIdentity, IdentitySecrets>()

  /** Keeps the private halves of an identity just made, for this session: a passkey chosen now wraps them. */
  rememberIdentity(identity: DeviceIdentity, secrets: IdentitySecrets): void {
    this.identities.set(identity, secrets)
  }

  identitySecretsOf(identity: DeviceIdentity | undefined): IdentitySecrets | null {
    return identity === undefined ? null : (this.identities.get(identity) ?? null)
  }

  get(spaceId: string): UnlockedPractice | null {
    return this.practices.get(spaceId) ?? null
  }

  set(spaceId: string, unlocked: UnlockedPractice): void {
    this.practices.set(spaceId, unlocked)
  }

  /** The practice is locked (or forgotten): its secrets and keys are let go. */
  drop(spaceId: string): void {
    this.practices.delete(spaceId)
  }
}

/** The registry cannot give the practice's keys: they are wrapped by the passkey and not unlocked. */
export class DeviceLockedError extends Error {
  override name = 'DeviceLockedError'
}
