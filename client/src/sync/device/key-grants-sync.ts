/**
 * This device's side of key grants (shared/src/devices/key-grant.ts; the relay's side:
 * relay/src/app/key-grants.ts):
 *
 *   sendKeyGrant      an administrator: seals to a registered device the keys its role reads, of
 *                     epoch 0 (from the root secret) and of every published epoch (kept here, or
 *                     opened again from this device's own seals); with `change`, the registry
 *                     « change » that gives the device that role goes with the grant, in one
 *                     request the relay stores in one transaction — a secretary upgraded reads
 *                     past clinical entries from then on, by design
 *   receiveKeyGrant   every device, before its practice opens and at each epoch refresh: fetches
 *                     the grant addressed to it, checks it (key-grant.ts openKeyGrant; and that its
 *                     practice tier is the one this device already holds) and, when it gives
 *                     something this device lacks (the clinical tier, or raw secrets its passkey
 *                     can wrap), keeps it (lock/at-rest.ts keepGrantedKeys)
 *
 * The re-grant flow for a device that cannot wrap (paired in an earlier session, not an
 * administrator: it kept only non-extractable keys): its Réglages says so and asks for
 * « Renvoyer les clés » from an administrator's device, which sends a grant for the role the
 * device has; the device takes it at its next refresh. The grant stays on the relay, so each
 * later session opens it again, in memory, and a passkey set up then wraps the secrets.
 */
import { deriveTierSecrets, derivePracticeKeys } from '../../../../shared/src/crypto/space-keys'
import { openEpochSeal } from '../../../../shared/src/devices/epoch-rotation'
import { publicKeysOf } from '../../../../shared/src/devices/device-identity'
import { KeyGrantError, KeyGrantRefusal, makeKeyGrant, openKeyGrant, type GrantedEpoch, type KeyGrantStatement } from '../../../../shared/src/devices/key-grant'
import { DeviceRole, nextStatement, signStatement, verifyRegistry } from '../../../../shared/src/devices/registry-chain'
import { KeyGrantSendError } from '../errors'
import type { DeviceEnvironment } from './device'
import { deriveDeviceKeys, type DeviceKeys } from './device-keys'
import { heldEpochOf } from './held-epoch-keys'
import { addToRings, relayOf, storedPractice, type EpochRings, type Practice } from './key-epochs-sync'
import { keepGrantedKeys } from './lock/at-rest'
import { registryOf, type StoredPractice } from './registry'

/** How many times a grant is made again on a registry or epochs that moved under it. */
const MAX_ATTEMPTS = 5

/** The tier secrets of each epoch in `epochs` this administrator holds: kept, or opened again from its own seals. */
async function epochSecretsHeld(stored: Practice, env: DeviceEnvironment, epochs: readonly number[], seals: readonly { epoch: number; by: string; sealed: string }[]): Promise<GrantedEpoch[]> {
  const kept = await registryOf(env).epochSecrets(stored.spaceId)
  const missing = epochs.filter((epoch) => !kept.some((k) => k.epoch === epoch && k.clinical !== null))
  const opened: GrantedEpoch[] = []
  if (missing.length > 0) {
    const state = await verifyRegistry(stored.spaceId, await relayOf(stored, env).getDeviceEntries())
    const own = { deviceId: stored.deviceId, agree: stored.identity.agree, sign: stored.identity.sign }
    const ownAgree = (await publicKeysOf(stored.identity)).agree
    for (const epoch of missing) {
      const seal = seals.find((s) => s.epoch === epoch)
      const secrets = seal === undefined ? null : await openEpochSeal(state, own, ownAgree, seal).catch(() => null)
      if (secrets === null || secrets.clinical === null) throw new KeyGrantSendError(`This device does not hold the keys of epoch ${epoch}: an administrator that does grants them`)
      opened.push({ epoch, ...secrets })
    }
  }
  return [...kept.filter((k) => epochs.includes(k.epoch)), ...opened].sort((a, b) => a.epoch - b.epoch)
}

/** A device's new role sent with its grant, and a locum's end of access (ms; null for the other roles). */
export interface GrantedRole {
  role: DeviceRole
  until: number | null
}

/**
 * Seals to `deviceId` the keys of its role — of `change.role` when given, with the registry change
 * that gives it that role, in one request — dated by this device's clock. Resolves once the relay
 * stored it; KeyGrantSendError when it cannot be made or delivered (the caller says so: the change
 * is then not made either).
 */
export async function sendKeyGrant(spaceId: string, deviceId: string, env: DeviceEnvironment, change?: GrantedRole): Promise<void> {
  const stored = await storedPractice(spaceId, env)
  const registry = registryOf(env)
  const rootSecret = await registry.rootSecret(spaceId)
  if (rootSecret === null) throw new KeyGrantSendError('Only an administrator praticien’s device grants keys')
  const tiers = await deriveTierSecrets(spaceId, rootSecret)
  const relay = relayOf(stored, env)
  const granter = { deviceId: stored.deviceId, agree: stored.identity.agree, sign: stored.identity.sign }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [entries, { epochs, seals }] = await Promise.all([relay.getDeviceEntries(), relay.getKeyEpochs()])
    const state = await verifyRegistry(spaceId, entries)
    const device = state.devices.get(deviceId)
    if (device === undefined || device.revokedAt !== null) throw new KeyGrantSendError(`No active device ${deviceId} to grant keys to`)
    const at = (env.now ?? Date.now)()
    const role = change?.role ?? device.role
    const keys = { tiers, epochs: await epochSecretsHeld(stored, env, epochs, seals) }
    const grant = await makeKeyGrant(state, granter, { deviceId, role, chain: state.length + (change === undefined ? 0 : 1), at }, keys)
    const changeEntry =
      change === undefined
        ? undefined
        : await signStatement(
            nextStatement(state, stored.deviceId, at, { op: 'change', target: deviceId, role, ...(change.until === null ? {} : { until: change.until }), grant: grant.hash }),
            stored.identity.sign.privateKey,
          )
    if ((await relay.postKeyGrant(grant.entry, changeEntry)) === 'stored') return
  }
  throw new KeyGrantSendError(`The device registry or the key epochs kept changing under this grant (${MAX_ATTEMPTS} attempts)`)
}

/** Whether two HMAC keys are the same key: each signs one probe, compared (they cannot be read out). */
async function sameBlindKey(a: CryptoKey, b: CryptoKey): Promise<boolean> {
  const probe = new TextEncoder().encode('tournee/key-grant/probe')
  const [x, y] = await Promise.all([crypto.subtle.sign('HMAC', a, probe), crypto.subtle.sign('HMAC', b, probe)])
  const [u, v] = [new Uint8Array(x), new Uint8Array(y)]
  return u.length === v.length && u.every((byte, i) => byte === v[i])
}

/** What a grant received gave this device: its role, and whether it now reads the clinical tier it lacked. */
export interface ReceivedGrant {
  readonly statement: KeyGrantStatement
  readonly widened: boolean
}

/**
 * Fetches, checks and keeps the grant addressed to this device when it gives something this device
 * lacks; null when there is none or it adds nothing. KeyGrantError (named refusal) when it does
 * not check: nothing is kept then. `rings`: the open practice's, which take the granted epochs.
 */
export async function receiveKeyGrant(stored: StoredPractice, env: DeviceEnvironment, rings?: EpochRings): Promise<ReceivedGrant | null> {
  if (!stored.identity) return null
  const { spaceId } = stored
  const relay = relayOf(stored, env)
  const raw = await relay.getKeyGrant()
  if (raw === null) return null
  const memory = env.unlocked?.get(spaceId) ?? null
  const wrapped = (memory?.wrap ?? null) !== null
  const entries = await relay.getDeviceEntries()
  // A relay serving an older registry than this device verified (a role since taken back) is not believed.
  if ((await registryOf(env).chain(spaceId)).length > entries.length) throw new KeyGrantError(KeyGrantRefusal.Stale, 'the relay served an older device registry than this device holds')
  const ownAgree = (await publicKeysOf(stored.identity)).agree
  const { statement, keys } = await openKeyGrant(spaceId, entries, { deviceId: stored.deviceId, agreePrivateKey: stored.identity.agree.privateKey, agree: ownAgree }, raw)
  // Its practice tier of epoch 0 is the one this device reads the practice with.
  const granted = await derivePracticeKeys(spaceId, { practice: keys.tiers.practice, clinical: null })
  if (!(await sameBlindKey(granted.blind, stored.keys.blind))) throw new KeyGrantError(KeyGrantRefusal.WrongKeys, 'its keys are not this practice’s')
  const widened = stored.keys.clinical === null && keys.tiers.clinical !== null
  // Raw secrets this device can wrap: what a device holding none (neither in memory nor as an administrator) lacks.
  const wrappable = !wrapped && memory === null && (await registryOf(env).rootSecret(spaceId)) === null
  if (!widened && !wrappable) return null
  const deviceKeys: DeviceKeys = await deriveDeviceKeys(spaceId, keys.tiers)
  const held = await Promise.all(keys.epochs.map(async (e) => ({ held: await heldEpochOf(spaceId, e.epoch, e), secrets: { epoch: e.epoch, practice: e.practice, clinical: e.clinical } })))
  const until = (await verifyRegistry(spaceId, entries)).devices.get(stored.deviceId)?.until ?? null
  await keepGrantedKeys(spaceId, { tiers: keys.tiers, keys: deviceKeys, epochs: held, role: statement.role, until }, env)
  if (rings) addToRings(rings, held.map((e) => e.held))
  return { statement, widened }
}
