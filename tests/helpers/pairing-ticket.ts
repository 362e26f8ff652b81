/**
 * Joining a practice in a Node test as the app does it, without the mailbox's round trips: the
 * joining device makes its own keys, an administrator device adds it to the practice's registry
 * (its own device id and relay credential) and hands it the pairing payload for it, and it joins
 * with them. What the mailbox adds (the code, the six digits, the sealed transport) has its
 * own tests (tests/device-pairing.test.ts, shared/src/devices/pairing.test.ts); every other test
 * needs devices that are each registered, so that their entries are signed by a device the relay
 * and the other devices know (shared/src/envelope/entry-signature.ts).
 *
 * A ticket is what an administrator device hands out: each `joinWith` registers one more device.
 * In a practice without a registry (created before devices had keys), joiners share its credential.
 */
import { getPairingCode, joinPractice, wrappableIdentity, type DeviceEnvironment, type OpenPractice } from '../../client/src/sync/device/device'
import { addPracticeDevice, PRACTITIONER_GRANT, type DeviceGrantOptions } from '../../client/src/sync/device/practice-devices'
import { publicKeysOf } from '../../shared/src/devices/device-identity'

export interface PairingTicket {
  readonly spaceId: string
  readonly admin: DeviceEnvironment
  /**
   * The administrator device's own pairing payload (space/pairing-code.ts): the space, the relay,
   * the root secret and that device's credential — what a test playing a reader of the relay, or a
   * credential holder, decodes.
   */
  readonly code: string
}

/** What the administrator device `admin` (paired with `spaceId`) hands out to the devices joining. */
export async function pairingTicket(spaceId: string, admin: DeviceEnvironment): Promise<PairingTicket> {
  return { spaceId, admin, code: await getPairingCode(spaceId, admin) }
}

/** Registers a new device (an administrator praticien by default) and joins the practice on `env` with it. */
export async function joinWith(ticket: PairingTicket, env: DeviceEnvironment, grantOptions: DeviceGrantOptions = PRACTITIONER_GRANT): Promise<OpenPractice> {
  // As pairing.ts makes them: wrappable by a passkey chosen in this session.
  const identity = await wrappableIdentity(env)
  const grant = await addPracticeDevice(ticket.spaceId, await publicKeysOf(identity), grantOptions, ticket.admin)
  const code = await getPairingCode(ticket.spaceId, ticket.admin, grant ?? undefined)
  return joinPractice(code, env, identity)
}

/**
 * A device granted in advance, for a device that joins in another process (the benchmarks' child
 * processes): its key pairs travel as JWK — made extractable for that trip only, which a real
 * device never does (its private keys never leave it) — and are imported again non-extractable.
 */
export interface GrantedDevice {
  readonly code: string
  readonly identity: { readonly agree: JsonWebKeyPair; readonly sign: JsonWebKeyPair }
}

interface JsonWebKeyPair {
  readonly privateKey: JsonWebKey
  readonly publicKey: JsonWebKey
}

const AGREE = { name: 'ECDH', namedCurve: 'P-256' } as const
const SIGN = { name: 'ECDSA', namedCurve: 'P-256' } as const

/** Registers one more device and returns what another process needs to join as it. */
export async function grantDevice(ticket: PairingTicket): Promise<GrantedDevice> {
  const [agree, sign] = await Promise.all([
    crypto.subtle.generateKey(AGREE, true, ['deriveBits']),
    crypto.subtle.generateKey(SIGN, true, ['sign', 'verify']),
  ])
  const grant = await addPracticeDevice(ticket.spaceId, await publicKeysOf({ agree, sign }), PRACTITIONER_GRANT, ticket.admin)
  const jwk = async (pair: CryptoKeyPair): Promise<JsonWebKeyPair> => ({
    privateKey: await crypto.subtle.exportKey('jwk', pair.privateKey),
    publicKey: await crypto.subtle.exportKey('jwk', pair.publicKey),
  })
  return { code: await getPairingCode(ticket.spaceId, ticket.admin, grant ?? undefined), identity: { agree: await jwk(agree), sign: await jwk(sign) } }
}

/** Joins as a device granted by `grantDevice` (in this process or another). */
export async function joinGranted(granted: GrantedDevice, env: DeviceEnvironment): Promise<OpenPractice> {
  const { agree, sign } = granted.identity
  const identity = {
    agree: {
      privateKey: await crypto.subtle.importKey('jwk', agree.privateKey, AGREE, false, ['deriveBits']),
      publicKey: await crypto.subtle.importKey('jwk', agree.publicKey, AGREE, true, []),
    },
    sign: {
      privateKey: await crypto.subtle.importKey('jwk', sign.privateKey, SIGN, false, ['sign']),
      publicKey: await crypto.subtle.importKey('jwk', sign.publicKey, SIGN, true, ['verify']),
    },
  }
  return joinPractice(granted.code, env, identity)
}

/** A granted device as one string (what a benchmark hands a child process or caches as its « code »). */
export function grantedCode(granted: GrantedDevice): string {
  return JSON.stringify(granted)
}

/**
 * Joins with a code as the benchmarks keep it: a granted device (`grantedCode`), or a pairing
 * payload (space/pairing-code.ts) for a practice without a registry. Devices that join one granted
 * code one after the other (a bench's runs, each deleting its copy first) are the same registered
 * device paired again; joined at once, they share its id and credential, as tablets restored from
 * one backup would.
 */
export function joinByCode(code: string, env: DeviceEnvironment): Promise<OpenPractice> {
  return code.startsWith('{') ? joinGranted(JSON.parse(code) as GrantedDevice, env) : joinPractice(code, env)
}

/** Grants a device from an administrator device and returns it as one string (`joinByCode`). */
export async function grantCode(spaceId: string, admin: DeviceEnvironment): Promise<string> {
  return grantedCode(await grantDevice(await pairingTicket(spaceId, admin)))
}
