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
 *   receiveKeyGrant   every device, before its practice opens and, while open, with each role
 *                     check (role-change.ts: on reconnect, a new epoch, a 4403), when a grant can
 *                     help (grantCanHelp; no request otherwise): fetches the grant addressed to
 *                     it, checks it (key-grant.ts openKeyGrant, on the registry the opening or the
 *                     online pass read and verified, registry-read.ts; and that its practice tier
 *                     is the one this device already holds) and, when it gives something this device lacks (the
 *                     clinical tier, or raw secrets its passkey can wrap), keeps it
 *                     (lock/at-rest.ts keepGrantedKeys) — a widened role with its notice
 *
 * The re-grant flow for a device that cannot wrap (paired in an earlier session, not an
 * administrator: it kept only non-extractable keys): its Réglages says so and asks for
 * « Renvoyer les clés » from an administrator's device, which sends a grant for the role the
 * device has; the device takes it at its next opening, or at a reconnect while its passkey is the
 * lock (grantCanHelp). The grant stays on the relay, so each later session opens it again, in
 * memory, and a passkey set up then wraps the secrets.
 */
import { deriveTierSecrets, derivePracticeKeys } from '../../../../shared/src/crypto/space-keys'
import { openEpochSeal } from '../../../../shared/src/devices/epoch-rotation'
import { publicKeysOf } from '../../../../shared/src/devices/device-identity'
import { KeyGrantError, KeyGrantRefusal, makeKeyGrant, openKeyGrant, type GrantedEpoch, type KeyGrantStatement } from '../../../../shared/src/devices/key-grant'
import { DeviceRole, nextStatement, signStatement, verifyRegistry, type RegistryState } from '../../../../shared/src/devices/registry-chain'
import { KeyGrantSendError } from '../errors'
import type { DeviceEnvironment } from './device'
import { deriveDeviceKeys, readsClinicalRole, type DeviceKeys } from './device-keys'
import { heldEpochOf } from './held-epoch-keys'
import { addToRings, relayOf, storedPractice, type EpochRings, type Practice } from './key-epochs-sync'
import { keepGrantedKeys } from './lock/at-rest'
import { LockStore } from './lock/lock-store'
import { registryOf, type RoleNotice, type StoredPractice } from './registry'
import type { RegistryRead } from './registry-read'
import { noticeOf } from './role-notice'

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

/** What a grant received gave this device: its role, and whether it now reads the clinical tier it lacked (then with the notice it shows once). */
export interface ReceivedGrant {
  readonly statement: KeyGrantStatement
  readonly widened: boolean
  readonly until: number | null
  readonly notice: RoleNotice | null
}

/** Where a grant is asked for: `rings`, the open practice's; `read`, the registry its moment read; `open`, while it is open. */
export interface GrantRequest {
  /** The open practice's rings, which take the granted epochs. */
  readonly rings?: EpochRings | undefined
  /**
   * The registry as the caller's moment reads it (registry-read.ts: the opening's, the online
   * pass's): what the grant is checked against, read only if a grant is there; once read, what
   * tells whether a grant can widen this device's role.
   */
  readonly read?: RegistryRead | undefined
  /**
   * Asked while the practice is open (each role check: a reconnect, a new epoch, a 4403) rather
   * than as it opens: secrets to wrap are then asked for only where a passkey is there to wrap
   * them (grantCanHelp).
   */
  readonly open?: boolean
}

/**
 * Whether a grant can give this device anything, told without a request to the relay: a grant
 * widens only a device without the clinical tier (and, once the registry is read, only one it
 * names with a role that reads it), and gives raw secrets to wrap only to a device holding none —
 * neither in memory (this session's, or its passkey's) nor as an administrator's root secret. A
 * praticien's device opened in the session it joined, or unlocked by its passkey, has nothing to
 * gain: most reconnects. While the practice is open (`open`), secrets to wrap help only a device
 * whose lock is a passkey that wraps nothing yet (lock/device-lock.ts: Réglages then asks for
 * « Renvoyer les clés »): without a lock, or with a PIN (which wraps nothing), every reconnect
 * would ask for a grant that gives nothing to keep. As the practice opens, they are asked for
 * whatever the lock: a passkey chosen right after is what wraps them.
 */
export async function grantCanHelp(stored: StoredPractice, env: DeviceEnvironment, registry?: RegistryState, open = false): Promise<boolean> {
  if (stored.keys.clinical === null) {
    const own = registry?.devices.get(stored.deviceId)
    if (registry === undefined || (own !== undefined && own.revokedAt === null && readsClinicalRole(own.role))) return true
  }
  if ((env.unlocked?.get(stored.spaceId) ?? null) !== null || (await registryOf(env).rootSecret(stored.spaceId)) !== null) return false
  if (!open) return true
  // A lock record this version cannot read asks for nothing (the lock screen says what is wrong with it).
  const lock = await new LockStore(env.idbPrefix).get(stored.spaceId).catch(() => null)
  return lock?.method.kind === 'passkey'
}

/**
 * Fetches, checks and keeps the grant addressed to this device when it gives something this device
 * lacks; null when none can help (no request then: grantCanHelp), there is none, or it adds
 * nothing. KeyGrantError (named refusal) when it does not check: nothing is kept then.
 */
export async function receiveKeyGrant(stored: StoredPractice, env: DeviceEnvironment, request: GrantRequest = {}): Promise<ReceivedGrant | null> {
  if (!stored.identity) return null
  const { rings, read, open = false } = request
  if (!(await grantCanHelp(stored, env, read?.inHand()?.state, open))) return null
  const { spaceId } = stored
  const relay = relayOf(stored, env)
  const raw = await relay.getKeyGrant()
  if (raw === null) return null
  const memory = env.unlocked?.get(spaceId) ?? null
  const registry = read === undefined ? undefined : await read.get()
  const entries = read === undefined ? await relay.getDeviceEntries() : (registry?.entries ?? [])
  // A relay serving an older registry than this device verified (a role since taken back) is not believed.
  if ((await registryOf(env).chain(spaceId)).length > entries.length) throw new KeyGrantError(KeyGrantRefusal.Stale, 'the relay served an older device registry than this device holds')
  const ownAgree = (await publicKeysOf(stored.identity)).agree
  const opened = await openKeyGrant(spaceId, entries, { deviceId: stored.deviceId, agreePrivateKey: stored.identity.agree.privateKey, agree: ownAgree }, raw, registry?.state)
  const { statement, keys } = opened
  // Its practice tier of epoch 0 is the one this device reads the practice with.
  const granted = await derivePracticeKeys(spaceId, { practice: keys.tiers.practice, clinical: null })
  if (!(await sameBlindKey(granted.blind, stored.keys.blind))) throw new KeyGrantError(KeyGrantRefusal.WrongKeys, 'its keys are not this practice’s')
  const widened = stored.keys.clinical === null && keys.tiers.clinical !== null
  // Raw secrets this device can wrap: what a device holding none (neither in memory nor as an administrator) lacks.
  const wrappable = memory === null && (await registryOf(env).rootSecret(spaceId)) === null
  if (!widened && !wrappable) return null
  const deviceKeys: DeviceKeys = await deriveDeviceKeys(spaceId, keys.tiers)
  const held = await Promise.all(keys.epochs.map(async (e) => ({ held: await heldEpochOf(spaceId, e.epoch, e), secrets: { epoch: e.epoch, practice: e.practice, clinical: e.clinical } })))
  const until = opened.registry.devices.get(stored.deviceId)?.until ?? null
  // Widened: told once, as a narrowing is (role-notice.ts), with who changed the role and when.
  const notice = widened ? noticeOf(entries, stored.deviceId, statement.role) : null
  await keepGrantedKeys(spaceId, { tiers: keys.tiers, keys: deviceKeys, epochs: held, role: statement.role, until, ...(notice === null ? {} : { notice }) }, env)
  if (rings) addToRings(rings, held.map((e) => e.held))
  return { statement, widened, until, notice }
}
