import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../../../shared/src/crypto/base64url'
import { decryptDigest, deriveDigestKey, encryptDigest } from '../../../shared/src/digest/digest-cipher'
import { DefaultLimits } from '../../../shared/src/protocol/constants'
import { IN_PROCESS_RELAY_URL, inProcessRelay } from './test-support/in-process-relay'
import { DigestHttpError, DigestUnreachableError, getDigest, headDigest, putDigest, type DigestTarget } from './digest-http'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function relayApp(limits: Partial<typeof DefaultLimits> = {}) {
  const relay = await inProcessRelay(cleanups, limits)
  const target: DigestTarget = { relayUrl: IN_PROCESS_RELAY_URL, spaceId: relay.spaceId, credential: relay.credential, name: 'directory', fetchImpl: relay.fetchImpl }
  return { network: relay.network, target, storage: relay.storage, app: relay.app }
}

describe('digest HTTP client', () => {
  it('publishes, reads the weight, fetches and decrypts what another device published', async () => {
    const { target } = await relayApp()
    const secret = randomBytes(32)
    const plain = new TextEncoder().encode('{"patients":[]}')
    expect(await getDigest(target)).toBeNull()
    expect(await headDigest(target)).toBeNull()
    const blob = await encryptDigest(await deriveDigestKey(target.spaceId, secret), target.spaceId, 'directory', 120, plain)
    expect(await putDigest(target, 120, blob)).toBe('created')
    expect(await headDigest(target)).toBe(120)
    const fetched = await getDigest(target)
    expect(fetched).toEqual({ weight: 120, blob })
    const otherDeviceKey = await deriveDigestKey(target.spaceId, secret)
    expect(await decryptDigest(otherDeviceKey, target.spaceId, 'directory', fetched!.weight, fetched!.blob)).toEqual(plain)
    expect(await putDigest(target, 120, blob)).toBe('replaced')
    expect(await putDigest(target, 121, blob)).toBe('replaced')
  })

  it('reports a lighter publication as stale, leaving the stored digest', async () => {
    const { target } = await relayApp()
    expect(await putDigest(target, 50, new Uint8Array(40).fill(1))).toBe('created')
    expect(await putDigest(target, 49, new Uint8Array(40).fill(2))).toBe('stale')
    expect(await getDigest(target)).toEqual({ weight: 50, blob: new Uint8Array(40).fill(1) })
  })

  it('throws DigestHttpError with the status for a wrong credential, an unknown space, a body too large', async () => {
    const { target } = await relayApp({ maxDigestBytes: 64 })
    const wrong = { ...target, credential: randomId(32) }
    for (const call of [() => putDigest(wrong, 1, new Uint8Array(30)), () => getDigest(wrong), () => headDigest(wrong)]) {
      const error = await call().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DigestHttpError)
      expect((error as DigestHttpError).status).toBe(401)
    }
    // An unknown space is a refusal, not "no digest yet", even on a HEAD (no body to say why).
    const unknown = { ...target, spaceId: randomId() }
    for (const call of [() => putDigest(unknown, 1, new Uint8Array(30)), () => getDigest(unknown), () => headDigest(unknown)]) {
      const error = await call().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DigestHttpError)
      expect((error as DigestHttpError).status).toBe(404)
    }
    const tooLarge = await putDigest(target, 1, new Uint8Array(65)).catch((e: unknown) => e)
    expect((tooLarge as DigestHttpError).status).toBe(413)
    expect(await headDigest(target)).toBeNull()
  })

  it('says the relay is unreachable when there is no answer, and refuses a weight the relay cannot store', async () => {
    const { target, network } = await relayApp()
    network.up = false
    await expect(getDigest(target)).rejects.toBeInstanceOf(DigestUnreachableError)
    await expect(headDigest(target)).rejects.toBeInstanceOf(DigestUnreachableError)
    await expect(putDigest(target, 1, new Uint8Array(30))).rejects.toBeInstanceOf(DigestUnreachableError)
    network.up = true
    await expect(putDigest(target, -1, new Uint8Array(30))).rejects.toBeInstanceOf(RangeError)
    await expect(putDigest(target, 2 ** 53, new Uint8Array(30))).rejects.toBeInstanceOf(RangeError)
    expect(network.urls).toEqual([])
  })

  it('reads a relay without digest routes as "no digest", and refuses an answer without a weight', async () => {
    const { target } = await relayApp()
    // An older relay: its generic 404 for an unknown route.
    const old = { ...target, fetchImpl: async () => Response.json({ error: 'Not found' }, { status: 404 }) }
    expect(await getDigest(old)).toBeNull()
    expect(await headDigest(old)).toBeNull()
    const broken = { ...target, fetchImpl: async () => new Response(new Uint8Array(30), { status: 200 }) }
    await expect(getDigest(broken)).rejects.toThrow(/x-tournee-digest-weight/)
    const garbled = {
      ...target,
      fetchImpl: async () => new Response(null, { status: 200, headers: { 'x-tournee-digest-weight': '-3' } }),
    }
    await expect(headDigest(garbled)).rejects.toBeInstanceOf(DigestHttpError)
  })

  it('puts only the space id and the digest name in the URL', async () => {
    const { target, network } = await relayApp()
    await putDigest(target, 1, new Uint8Array(30))
    await getDigest(target)
    expect(new Set(network.urls)).toEqual(new Set([`http://relay.test/v1/spaces/${target.spaceId}/digests/directory`]))
  })
})
