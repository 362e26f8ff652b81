/**
 * The lock's passkey without a browser: a fake platform authenticator (a WebCrypto P-256 key)
 * answers create and get as WebAuthn does, and the app checks each answer as a relying party
 * would — the credential, the challenge, the origin, the relying party, user verification and the
 * signature — and records whether the platform gave the PRF extension.
 */
import { describe, expect, it } from 'vitest'
import { toBase64Url } from '../../../../../shared/src/crypto/base64url'
import { checkAssertion, createPasskey, derToRaw, PasskeyError, verifyPasskey, type PasskeyPlatform } from './passkey'
import type { PasskeyMethod } from './lock-store'

const ORIGIN = 'https://cabinet.example.fr'
const RP_ID = 'cabinet.example.fr'

/** r ‖ s (WebCrypto's ECDSA output) as the DER SEQUENCE an authenticator gives. */
function rawToDer(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0
    while (start < bytes.length - 1 && bytes[start] === 0) start++
    const trimmed = bytes.subarray(start)
    const body = trimmed[0]! & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed
    return Uint8Array.of(0x02, body.length, ...body)
  }
  const r = integer(raw.subarray(0, 32))
  const s = integer(raw.subarray(32))
  return Uint8Array.of(0x30, r.length + s.length, ...r, ...s)
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource))
}

interface FakeOptions {
  /** Flags of the authenticator data (UP | UV by default). */
  flags?: number
  prf?: boolean
  /** Changes the client data the authenticator signs. */
  clientData?: (data: Record<string, unknown>) => Record<string, unknown>
  /** Throws this DOMException name instead of answering. */
  refuse?: string
  rpId?: string
}

/** A platform authenticator holding one P-256 credential. */
async function fakeAuthenticator(options: FakeOptions = {}) {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey))
  const credentialId = crypto.getRandomValues(new Uint8Array(32))
  const calls: { create: CredentialCreationOptions[]; get: CredentialRequestOptions[] } = { create: [], get: [] }
  // The credential's PRF output on the app's input: its own, as a platform's is.
  const prfOutput = crypto.getRandomValues(new Uint8Array(32))
  const extensionResults = (withResults: boolean) =>
    options.prf ? { prf: withResults ? { results: { first: prfOutput.slice().buffer } } : { enabled: true } } : {}
  const platform: PasskeyPlatform = {
    origin: ORIGIN,
    rpId: RP_ID,
    platformAuthenticator: async () => true,
    credentials: {
      create: async (request?: CredentialCreationOptions) => {
        calls.create.push(request!)
        if (options.refuse) throw new DOMException('refused', options.refuse)
        return {
          type: 'public-key',
          id: toBase64Url(credentialId),
          rawId: credentialId.buffer,
          response: { getPublicKey: () => spki.buffer, getPublicKeyAlgorithm: () => -7 },
          getClientExtensionResults: () => extensionResults(false),
        } as unknown as Credential
      },
      get: async (request?: CredentialRequestOptions) => {
        calls.get.push(request!)
        if (options.refuse) throw new DOMException('refused', options.refuse)
        const challenge = new Uint8Array(request!.publicKey!.challenge as ArrayBuffer)
        const base = { type: 'webauthn.get', challenge: toBase64Url(challenge), origin: ORIGIN, crossOrigin: false }
        const clientDataJSON = new TextEncoder().encode(JSON.stringify(options.clientData ? options.clientData(base) : base))
        const authenticatorData = Uint8Array.of(...(await sha256(new TextEncoder().encode(options.rpId ?? RP_ID))), options.flags ?? 0x05, 0, 0, 0, 1)
        const signed = Uint8Array.of(...authenticatorData, ...(await sha256(clientDataJSON)))
        const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, signed as BufferSource))
        return {
          type: 'public-key',
          rawId: credentialId.buffer,
          response: { clientDataJSON: clientDataJSON.buffer, authenticatorData: authenticatorData.buffer, signature: rawToDer(raw).buffer },
          getClientExtensionResults: () => extensionResults(true),
        } as unknown as Credential
      },
    },
  }
  return { platform, calls, credentialId, prfOutput }
}

describe('createPasskey', () => {
  it('asks for a platform credential with user verification required and the PRF extension', async () => {
    const { platform, calls, credentialId } = await fakeAuthenticator({ prf: true })
    const { method, prfOutput } = await createPasskey({ practiceName: 'Cabinet des Lilas' }, platform)
    // This platform says PRF is enabled at creation and evaluates it only on use (as Chromium's).
    expect(prfOutput).toBeNull()
    expect(method).toMatchObject({ kind: 'passkey', algorithm: -7, rpId: RP_ID, prf: true })
    expect(method.credentialId).toEqual(credentialId)
    expect(method.publicKey).not.toBeNull()
    const request = calls.create[0]!.publicKey!
    expect(request.authenticatorSelection).toMatchObject({ authenticatorAttachment: 'platform', userVerification: 'required' })
    expect(request.extensions?.prf).toBeDefined()
    expect(request.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -257])
    expect(request.rp.id).toBe(RP_ID)
  })

  it('records a platform without PRF as such', async () => {
    const { platform } = await fakeAuthenticator({ prf: false })
    expect(await createPasskey({ practiceName: 'P' }, platform)).toMatchObject({ method: { prf: false }, prfOutput: null })
  })

  it('says cancelled when the person cancels, unavailable without an authenticator', async () => {
    const cancelled = await fakeAuthenticator({ refuse: 'NotAllowedError' })
    await expect(createPasskey({ practiceName: 'P' }, cancelled.platform)).rejects.toMatchObject({ failure: 'cancelled' })
    const none: PasskeyPlatform = { ...cancelled.platform, platformAuthenticator: async () => false }
    await expect(createPasskey({ practiceName: 'P' }, none)).rejects.toMatchObject({ failure: 'unavailable' })
  })
})

describe('verifyPasskey', () => {
  async function made(options: FakeOptions = {}) {
    const fake = await fakeAuthenticator(options)
    return { method: (await createPasskey({ practiceName: 'P' }, fake.platform)).method, platform: fake.platform, calls: fake.calls, prfOutput: fake.prfOutput }
  }

  it('accepts the credential made here, verified, signed over a fresh challenge; hands over the PRF output', async () => {
    const { method, platform, calls, prfOutput } = await made({ prf: true })
    expect(await verifyPasskey(method, platform)).toEqual({ prfOutput })
    expect((await made({ prf: false })).method.prf).toBe(false)
    const request = calls.get[0]!.publicKey!
    expect(request.userVerification).toBe('required')
    expect(request.allowCredentials?.map((c) => new Uint8Array(c.id as ArrayBuffer))).toEqual([method.credentialId])
    expect(request.extensions?.prf?.eval).toBeDefined()
    await verifyPasskey(method, platform)
    expect(calls.get[0]!.publicKey!.challenge, 'a new challenge each time').not.toEqual(calls.get[1]!.publicKey!.challenge)
  })

  it('refuses another credential', async () => {
    const { method } = await made()
    const { platform } = await fakeAuthenticator()
    await expect(verifyPasskey(method, platform)).rejects.toMatchObject({ failure: 'invalid', message: expect.stringMatching(/another credential/) })
  })

  it('refuses an answer without user verification', async () => {
    const unverified = await fakeAuthenticator({ flags: 0x01 })
    const { method } = await createPasskey({ practiceName: 'P' }, unverified.platform)
    await expect(verifyPasskey(method, unverified.platform)).rejects.toMatchObject({ failure: 'invalid', message: expect.stringMatching(/user not verified/) })
  })

  it('refuses another challenge, another origin, another relying party, a cross-origin frame', async () => {
    const cases: Array<[FakeOptions, RegExp]> = [
      [{ clientData: (d) => ({ ...d, challenge: toBase64Url(new Uint8Array(32)) }) }, /another challenge/],
      [{ clientData: (d) => ({ ...d, origin: 'https://evil.example' }) }, /another origin/],
      [{ clientData: (d) => ({ ...d, type: 'webauthn.create' }) }, /not an assertion/],
      [{ clientData: (d) => ({ ...d, crossOrigin: true }) }, /cross-origin/],
      [{ rpId: 'evil.example' }, /another relying party/],
    ]
    for (const [options, reason] of cases) {
      const fake = await fakeAuthenticator(options)
      const { method } = await createPasskey({ practiceName: 'P' }, fake.platform)
      await expect(verifyPasskey(method, fake.platform), String(reason)).rejects.toMatchObject({ failure: 'invalid', message: expect.stringMatching(reason) })
    }
  })

  it('refuses a signature the kept public key does not verify', async () => {
    const { method, platform } = await made()
    const other = await made()
    const forged: PasskeyMethod = { ...method, publicKey: other.method.publicKey }
    await expect(verifyPasskey(forged, platform)).rejects.toMatchObject({ message: expect.stringMatching(/bad signature/) })
  })

  it('checks a raw assertion the same way (checkAssertion)', async () => {
    const { method } = await made()
    const assertion = { credentialId: method.credentialId, clientDataJSON: new Uint8Array(), authenticatorData: new Uint8Array(), signature: new Uint8Array() }
    await expect(checkAssertion(method, { challenge: new Uint8Array(32), origin: ORIGIN }, assertion)).rejects.toBeInstanceOf(PasskeyError)
  })
})

describe('derToRaw', () => {
  it('reads DER integers with and without their sign byte, short ones padded', () => {
    const raw = new Uint8Array(64)
    raw[0] = 0x80 // r needs a sign byte in DER
    raw[63] = 7
    raw.fill(0, 32, 63) // s is short: one byte
    expect(derToRaw(rawToDer(raw), 32)).toEqual(raw)
    expect(() => derToRaw(Uint8Array.of(0x31, 0), 32)).toThrow(RangeError)
    expect(() => derToRaw(Uint8Array.of(0x30, 3, 2, 1), 32)).toThrow(RangeError)
  })
})
