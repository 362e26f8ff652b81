/**
 * The two sides of a key epoch (crypto/key-epochs.ts, key-epoch-entry.ts), as pure functions of
 * the registry chain and this device's keys, the same in the browser and in Node:
 *
 *   makeRotation   the administrator that revokes: fresh tier secrets for the next epoch, sealed
 *                  to every active device by role (a secretary's device gets the practice tier
 *                  alone), signed
 *   makeGrant      an administrator, for a device added after an epoch: that epoch's secrets
 *                  sealed to it
 *   openEpochSeal  a device: the tier secrets an administrator sealed to it, checked against the
 *                  chain (the sealer must be one of its administrators)
 *
 * Sending and fetching is the caller's (client/src/sync/device/key-epochs-sync.ts).
 */
import { randomBytes } from '../crypto/base64url'
import { TIER_SECRET_BYTES, type TierSecrets } from '../crypto/space-keys'
import { openEpochSecrets, sealEpochSecrets, EpochSealError } from './epoch-seal'
import { revocationsIn, signEpochStatement, type SignedEpochEntry } from './key-epoch-entry'
import { activeDevices, DeviceRole, type RegisteredDevice, type RegistryState } from './registry-chain'

/** This device, as the registry names it, with its private keys. */
export interface OwnDevice {
  readonly deviceId: string
  readonly agree: CryptoKeyPair
  readonly sign: CryptoKeyPair
}

/** The tier secrets a device of `role` may hold. */
export function secretsForRole(secrets: { practice: Uint8Array; clinical: Uint8Array }, role: DeviceRole): TierSecrets {
  return { practice: secrets.practice, clinical: role === DeviceRole.Secretariat ? null : secrets.clinical }
}

function signerOf(state: RegistryState, own: OwnDevice): RegisteredDevice {
  const me = state.devices.get(own.deviceId)
  if (me === undefined || !me.admin || me.revokedAt !== null) throw new EpochSealError('Only an unrevoked administrator device makes or grants a key epoch')
  return me
}

/**
 * The rotation for the epoch the chain's revocations call for, made on `state`: the entry to
 * publish and the new secrets (which this device keeps too: it is one of the recipients).
 */
export async function makeRotation(
  state: RegistryState,
  own: OwnDevice,
  at: number,
  /**
   * The epoch's secrets when this administrator made them already (the rotation published once, on
   * a relay since restored from a backup that predates it): published again as they were, since
   * devices write under them already. Fresh random secrets otherwise.
   */
  kept?: { practice: Uint8Array; clinical: Uint8Array },
): Promise<{ epoch: number; entry: SignedEpochEntry; secrets: { practice: Uint8Array; clinical: Uint8Array } }> {
  const me = signerOf(state, own)
  const epoch = revocationsIn(state)
  if (epoch === 0) throw new EpochSealError('No device was revoked: the practice is still at epoch 0')
  const secrets = kept ?? { practice: randomBytes(TIER_SECRET_BYTES), clinical: randomBytes(TIER_SECRET_BYTES) }
  const seals: Record<string, string> = {}
  for (const device of activeDevices(state, at)) {
    seals[device.id] = await sealEpochSecrets(sealParties(state.spaceId, epoch, me, device, own, 'publisher'), secretsForRole(secrets, device.role))
  }
  const entry = await signEpochStatement({ v: 1, op: 'rotate', space: state.spaceId, epoch, chain: state.length, at, by: me.id, seals }, own.sign.privateKey)
  return { epoch, entry, secrets }
}

/** `epoch`'s secrets (held by this administrator) sealed to `deviceId`, by its role. */
export async function makeGrant(
  state: RegistryState,
  own: OwnDevice,
  epoch: number,
  secrets: { practice: Uint8Array; clinical: Uint8Array | null },
  deviceId: string,
  at: number,
): Promise<SignedEpochEntry> {
  const me = signerOf(state, own)
  const device = state.devices.get(deviceId)
  if (device === undefined || device.revokedAt !== null) throw new EpochSealError(`No active device ${deviceId} to grant epoch ${epoch} to`)
  if (secrets.clinical === null && device.role !== DeviceRole.Secretariat) throw new EpochSealError('This device does not hold the clinical tier that device needs')
  const given = device.role === DeviceRole.Secretariat ? { practice: secrets.practice, clinical: null } : secrets
  const sealed = await sealEpochSecrets(sealParties(state.spaceId, epoch, me, device, own, 'publisher'), given)
  return signEpochStatement({ v: 1, op: 'grant', space: state.spaceId, epoch, at, by: me.id, device: deviceId, sealed }, own.sign.privateKey)
}

/** One seal the relay serves this device: which epoch, which administrator sealed it, the blob. */
export interface EpochSeal {
  readonly epoch: number
  readonly by: string
  readonly sealed: string
}

/**
 * The tier secrets of a seal addressed to this device; EpochSealError when the sealer is not an
 * administrator of the chain or the blob does not open (altered, or not sealed to this device).
 */
export async function openEpochSeal(state: RegistryState, own: OwnDevice, ownAgree: string, seal: EpochSeal): Promise<TierSecrets> {
  const sealer = state.devices.get(seal.by)
  if (sealer === undefined || !sealer.admin) throw new EpochSealError(`Epoch ${seal.epoch} was sealed by ${seal.by}, not an administrator of this practice`)
  return openEpochSecrets(
    {
      spaceId: state.spaceId,
      epoch: seal.epoch,
      publisherId: sealer.id,
      publisherAgree: sealer.agree,
      recipientId: own.deviceId,
      recipientAgree: ownAgree,
      ownAgreePrivateKey: own.agree.privateKey,
      ownSide: 'recipient',
    },
    seal.sealed,
  )
}

function sealParties(spaceId: string, epoch: number, publisher: RegisteredDevice, recipient: RegisteredDevice, own: OwnDevice, ownSide: 'publisher') {
  return {
    spaceId,
    epoch,
    publisherId: publisher.id,
    publisherAgree: publisher.agree,
    recipientId: recipient.id,
    recipientAgree: recipient.agree,
    ownAgreePrivateKey: own.agree.privateKey,
    ownSide,
  }
}
