/**
 * The lock's passkey (WebAuthn): made once on this device (`navigator.credentials.create`, a
 * platform authenticator: Face ID, Touch ID, Windows Hello, the Android screen lock), asked for
 * at each unlock (`navigator.credentials.get`), user verification required both times.
 *
 * There is no server to check the assertion, so the app checks it itself, as a relying party
 * would: the credential is the one made here, the client data names this origin and the challenge
 * just drawn, the authenticator data is bound to this host and says the person was verified (UV),
 * and the signature verifies under the public key kept at creation (lock-store.ts). That keeps a
 * stale or replayed answer from unlocking; it does not stop someone who runs their own script in
 * the page (developer tools), who needs no unlock at all — the limit Réglages states.
 *
 * The PRF extension is asked for at creation and at each unlock, and whether the platform gave it
 * is recorded. Its output (32 bytes the authenticator computes under a secret of the credential's
 * that never leaves it) is handed to the caller, never stored: it wraps the device's secrets at
 * rest (prf-wrap.ts, at-rest.ts), so that a copy of the browser profile is useless without the
 * passkey.
 */
import { toBase64Url } from '../../../../../shared/src/crypto/base64url'
import type { PasskeyMethod } from './lock-store'

/** ES256 first (every platform authenticator), RS256 for Windows Hello's older keys. */
const ES256 = -7
const RS256 = -257

/** What the PRF extension is evaluated on: one fixed input per app, the platform salts it per credential. */
const PRF_INPUT = new TextEncoder().encode('tournee/lock/prf/v1')

const TIMEOUT_MS = 120_000

/** UP (user present) and UV (user verified) in the authenticator data's flags. */
const FLAG_UP = 0x01
const FLAG_UV = 0x04

export type PasskeyFailure =
  /** No WebAuthn, or no platform authenticator that verifies the person on this device. */
  | 'unavailable'
  /** The person cancelled, the time ran out, or the platform refused (NotAllowedError). */
  | 'cancelled'
  /** The answer does not prove what an unlock needs (another credential, no UV, a bad signature). */
  | 'invalid'
  /** The keys are wrapped by the passkey's PRF secret, and the platform did not give it this time. */
  | 'no-secret'
  /** The passkey's PRF secret does not open the wrapped keys (another passkey, another authenticator). */
  | 'wrong-secret'

export class PasskeyError extends Error {
  override name = 'PasskeyError'
  constructor(
    readonly failure: PasskeyFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** What the passkey code needs of the browser; a test passes its own. */
export interface PasskeyPlatform {
  readonly credentials: Pick<CredentialsContainer, 'create' | 'get'> | null
  /** This page's origin (`https://cabinet.example.fr`) and host name (the relying party id). */
  readonly origin: string
  readonly rpId: string
  /** Whether a user-verifying platform authenticator is there. */
  readonly platformAuthenticator: () => Promise<boolean>
}

export function browserPasskeyPlatform(): PasskeyPlatform {
  const hasWebAuthn = typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function' && typeof navigator.credentials !== 'undefined'
  return {
    credentials: hasWebAuthn ? navigator.credentials : null,
    origin: typeof location === 'undefined' ? '' : location.origin,
    rpId: typeof location === 'undefined' ? '' : location.hostname,
    platformAuthenticator: async () => {
      if (!hasWebAuthn) return false
      try {
        return await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()
      } catch {
        return false
      }
    },
  }
}

/** Whether a passkey can lock this device (WebAuthn and a platform authenticator that verifies the person). */
export async function passkeyAvailable(platform: PasskeyPlatform = browserPasskeyPlatform()): Promise<boolean> {
  return platform.credentials !== null && (await platform.platformAuthenticator())
}

function cancelledOr(error: unknown): PasskeyError {
  if (error instanceof PasskeyError) return error
  const name = error instanceof Error ? error.name : ''
  if (name === 'NotAllowedError' || name === 'AbortError') return new PasskeyError('cancelled', 'The passkey was not presented', { cause: error })
  if (name === 'NotSupportedError' || name === 'SecurityError') return new PasskeyError('unavailable', `No passkey on this device: ${name}`, { cause: error })
  return new PasskeyError('invalid', `The passkey answer could not be used: ${name || 'error'}`, { cause: error })
}

function isPublicKeyCredential(value: Credential | null): value is PublicKeyCredential {
  return value !== null && value.type === 'public-key' && 'rawId' in value && 'response' in value
}

/** The PRF output of a credential's answer, when the platform evaluated it (never stored). */
function prfOutputOf(credential: PublicKeyCredential): Uint8Array | null {
  const first = credential.getClientExtensionResults().prf?.results?.first
  if (first === undefined) return null
  return ArrayBuffer.isView(first) ? new Uint8Array(first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength)) : new Uint8Array(first)
}

/** A passkey just made: what the lock keeps of it, and its PRF output if the platform gave one at creation. */
export interface CreatedPasskey {
  readonly method: PasskeyMethod
  readonly prfOutput: Uint8Array | null
}

/** Makes this device's passkey for the lock; the person is asked to verify (face, finger, code). */
export async function createPasskey(
  user: { readonly practiceName: string },
  platform: PasskeyPlatform = browserPasskeyPlatform(),
): Promise<CreatedPasskey> {
  if (!(await passkeyAvailable(platform)) || platform.credentials === null) throw new PasskeyError('unavailable', 'No platform authenticator on this device')
  let credential: Credential | null
  try {
    credential = await platform.credentials.create({
      publicKey: {
        rp: { name: 'Tournée', id: platform.rpId },
        // A fresh handle per device: it names nobody, and two devices' passkeys never collide.
        user: { id: crypto.getRandomValues(new Uint8Array(16)), name: `Tournée · ${user.practiceName}`, displayName: user.practiceName },
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        pubKeyCredParams: [
          { type: 'public-key', alg: ES256 },
          { type: 'public-key', alg: RS256 },
        ],
        authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required', residentKey: 'preferred' },
        attestation: 'none',
        timeout: TIMEOUT_MS,
        extensions: { prf: { eval: { first: PRF_INPUT } } },
      },
    })
  } catch (error) {
    throw cancelledOr(error)
  }
  if (!isPublicKeyCredential(credential)) throw new PasskeyError('invalid', 'The platform gave no public-key credential')
  const response = credential.response as AuthenticatorAttestationResponse
  const publicKey = typeof response.getPublicKey === 'function' ? response.getPublicKey() : null
  const algorithm = typeof response.getPublicKeyAlgorithm === 'function' ? response.getPublicKeyAlgorithm() : ES256
  const prf = credential.getClientExtensionResults().prf
  const method: PasskeyMethod = {
    kind: 'passkey',
    credentialId: new Uint8Array(credential.rawId),
    publicKey: publicKey === null ? null : new Uint8Array(publicKey),
    algorithm,
    rpId: platform.rpId,
    prf: prf?.enabled === true || prf?.results?.first !== undefined,
  }
  return { method, prfOutput: prfOutputOf(credential) }
}

/** An assertion's parts, as the browser gives them. */
export interface Assertion {
  readonly credentialId: Uint8Array
  readonly clientDataJSON: Uint8Array
  readonly authenticatorData: Uint8Array
  readonly signature: Uint8Array
}

/**
 * Asks for the passkey and checks its answer. Resolves with the PRF output when the platform gave
 * it this time (the caller unwraps with it and lets it go), null otherwise.
 */
export async function verifyPasskey(method: PasskeyMethod, platform: PasskeyPlatform = browserPasskeyPlatform()): Promise<{ prfOutput: Uint8Array | null }> {
  if (platform.credentials === null) throw new PasskeyError('unavailable', 'No WebAuthn in this browser')
  const challenge = crypto.getRandomValues(new Uint8Array(32))
  let credential: Credential | null
  try {
    credential = await platform.credentials.get({
      publicKey: {
        challenge,
        rpId: method.rpId,
        allowCredentials: [{ type: 'public-key', id: method.credentialId as BufferSource }],
        userVerification: 'required',
        timeout: TIMEOUT_MS,
        extensions: { prf: { eval: { first: PRF_INPUT } } },
      },
    })
  } catch (error) {
    throw cancelledOr(error)
  }
  if (!isPublicKeyCredential(credential)) throw new PasskeyError('invalid', 'The platform gave no public-key credential')
  const response = credential.response as AuthenticatorAssertionResponse
  await checkAssertion(
    method,
    { challenge, origin: platform.origin },
    {
      credentialId: new Uint8Array(credential.rawId),
      clientDataJSON: new Uint8Array(response.clientDataJSON),
      authenticatorData: new Uint8Array(response.authenticatorData),
      signature: new Uint8Array(response.signature),
    },
  )
  return { prfOutput: prfOutputOf(credential) }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource))
}

/**
 * Checks an assertion as a relying party does (WebAuthn §7.2, the steps that apply without a
 * server): throws PasskeyError('invalid') naming the first check that fails.
 */
export async function checkAssertion(
  method: PasskeyMethod,
  expected: { readonly challenge: Uint8Array; readonly origin: string },
  assertion: Assertion,
): Promise<void> {
  const invalid = (why: string) => new PasskeyError('invalid', `Passkey assertion refused: ${why}`)
  if (!sameBytes(assertion.credentialId, method.credentialId)) throw invalid('another credential')
  let client: { type?: unknown; challenge?: unknown; origin?: unknown; crossOrigin?: unknown }
  try {
    client = JSON.parse(new TextDecoder().decode(assertion.clientDataJSON)) as typeof client
  } catch {
    throw invalid('unreadable client data')
  }
  if (client.type !== 'webauthn.get') throw invalid('not an assertion')
  if (client.challenge !== toBase64Url(expected.challenge)) throw invalid('another challenge')
  if (client.origin !== expected.origin) throw invalid('another origin')
  if (client.crossOrigin === true) throw invalid('made in a cross-origin frame')
  const data = assertion.authenticatorData
  if (data.length < 37) throw invalid('authenticator data too short')
  if (!sameBytes(data.subarray(0, 32), await sha256(new TextEncoder().encode(method.rpId)))) throw invalid('another relying party')
  const flags = data[32]!
  if ((flags & FLAG_UP) === 0) throw invalid('user not present')
  if ((flags & FLAG_UV) === 0) throw invalid('user not verified')
  // A browser that gave no public key at creation (getPublicKey is recent in some): the checks
  // above are what is left.
  if (method.publicKey === null) return
  const signed = new Uint8Array(data.length + 32)
  signed.set(data, 0)
  signed.set(await sha256(assertion.clientDataJSON), data.length)
  if (!(await signatureVerifies(method, assertion.signature, signed))) throw invalid('bad signature')
}

async function signatureVerifies(method: PasskeyMethod, signature: Uint8Array, signed: Uint8Array): Promise<boolean> {
  const spki = method.publicKey as BufferSource
  try {
    if (method.algorithm === ES256) {
      const key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
      return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, derToRaw(signature, 32) as BufferSource, signed as BufferSource)
    }
    if (method.algorithm === RS256) {
      const key = await crypto.subtle.importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
      return await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature as BufferSource, signed as BufferSource)
    }
  } catch {
    return false
  }
  return false
}

/**
 * An ECDSA signature as WebAuthn gives it (ASN.1 DER: SEQUENCE { INTEGER r, INTEGER s }) to the
 * fixed-width r ‖ s WebCrypto verifies. Throws on anything else (caught: a bad signature).
 */
export function derToRaw(der: Uint8Array, size: number): Uint8Array {
  let at = 0
  const byte = () => {
    if (at >= der.length) throw new RangeError('DER signature too short')
    return der[at++]!
  }
  if (byte() !== 0x30) throw new RangeError('DER signature is not a sequence')
  const length = byte()
  if (length & 0x80 || at + length !== der.length) throw new RangeError('DER signature has a bad length')
  const out = new Uint8Array(size * 2)
  for (const offset of [0, size]) {
    if (byte() !== 0x02) throw new RangeError('DER signature part is not an integer')
    let n = byte()
    if (n === 0 || at + n > der.length) throw new RangeError('DER integer has a bad length')
    // Leading zeros (the sign byte) go; what is left must fit.
    while (n > size && der[at] === 0) {
      at++
      n--
    }
    if (n > size) throw new RangeError('DER integer too large')
    out.set(der.subarray(at, at + n), offset + size - n)
    at += n
  }
  if (at !== der.length) throw new RangeError('DER signature has trailing bytes')
  return out
}
