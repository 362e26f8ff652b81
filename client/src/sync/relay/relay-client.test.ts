import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { decryptDigest, deriveDigestKey, encryptDigest } from '../../../../shared/src/digest/digest-cipher'
import type { Limits } from '../../../../shared/src/protocol/constants'
import { RelayError, RelayFailure } from '../errors'
import { IN_PROCESS_RELAY_URL, inProcessRelay } from '../test-support/in-process-relay'
import { RelayClient } from './relay-client'

const cleanups: (() => unknown)[] = []
const NONE_YET = { kind: 'absent' } as const
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function relayApp(limits: Partial<Limits> = {}) {
  const relay = await inProcessRelay(cleanups, limits)
  const target = { relayUrl: IN_PROCESS_RELAY_URL, spaceId: relay.spaceId, credential: relay.credential, fetchImpl: relay.fetchImpl }
  return { relay, target, client: new RelayClient(target) }
}

/** The RelayError a call ends with (fails the test if it resolves or throws something else). */
async function failureOf(call: () => Promise<unknown>): Promise<RelayError> {
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RelayError)
  return error as RelayError
}

describe('RelayClient: the space', () => {
  it('registers a space, recognises a retry, and probes access with the right and a wrong credential', async () => {
    const { target } = await relayApp()
    const spaceId = randomId()
    const fresh = new RelayClient({ ...target, spaceId, credential: randomId(32) })
    await fresh.registerSpace()
    await fresh.registerSpace()
    expect(await fresh.probeAccess()).toEqual({ kind: 'ok' })
    const taken = await failureOf(() => new RelayClient({ ...target, spaceId, credential: randomId(32) }).registerSpace())
    expect(taken).toMatchObject({ reason: RelayFailure.Conflict, status: 409 })
    expect(await new RelayClient({ ...target, spaceId, credential: randomId(32) }).probeAccess()).toEqual({ kind: 'refused', reason: 'unauthorized' })
    expect(await new RelayClient({ ...target, spaceId: randomId() }).probeAccess()).toEqual({ kind: 'refused', reason: 'space-not-found' })
  })

  it('asks for the enrolment secret when the relay wants one, and takes it', async () => {
    const { target } = await relayApp()
    const guarded = async (input: RequestInfo | URL, init?: RequestInit) =>
      new Headers(init?.headers).get('x-tournee-enrolment') === 'le-secret-du-relais' ? target.fetchImpl(input, init) : new Response(null, { status: 401 })
    const client = new RelayClient({ ...target, spaceId: randomId(), credential: randomId(32), fetchImpl: guarded })
    expect(await failureOf(() => client.registerSpace())).toMatchObject({ reason: RelayFailure.EnrolmentRequired })
    await client.registerSpace('le-secret-du-relais')
  })

  it('tells an unreachable relay from a refusal', async () => {
    const { relay, client } = await relayApp()
    relay.network.up = false
    expect(await client.probeAccess()).toEqual({ kind: 'unreachable' })
    expect(await failureOf(() => client.registerSpace())).toMatchObject({ reason: RelayFailure.Unreachable, status: null })
  })
})

describe('RelayClient: attachments', () => {
  it('stores and fetches ciphertext by hash, and says when it is not there or too large', async () => {
    const { client } = await relayApp({ maxAttachmentBytes: 64 })
    const blob = new Uint8Array(40).fill(7)
    const hash = Buffer.from(await crypto.subtle.digest('SHA-256', blob)).toString('hex')
    expect(await failureOf(() => client.getAttachment(hash))).toMatchObject({ reason: RelayFailure.NotFound, status: 404 })
    await client.putAttachment(hash, blob)
    await client.putAttachment(hash, blob)
    expect(await client.getAttachment(hash)).toEqual(blob)
    const big = new Uint8Array(65)
    const bigHash = Buffer.from(await crypto.subtle.digest('SHA-256', big)).toString('hex')
    expect(await failureOf(() => client.putAttachment(bigHash, big))).toMatchObject({ reason: RelayFailure.TooLarge, status: 413 })
  })

  it('says when the practice holds as many attachments as the relay allows', async () => {
    const { client } = await relayApp({ maxAttachmentBytes: 64, maxSpaceAttachmentBytes: 64, maxSpaceAttachments: 1 })
    const blobs = [new Uint8Array(40).fill(1), new Uint8Array(40).fill(2)]
    const [first, second] = await Promise.all(blobs.map(async (b) => Buffer.from(await crypto.subtle.digest('SHA-256', b)).toString('hex')))
    await client.putAttachment(first!, blobs[0]!)
    expect(await failureOf(() => client.putAttachment(second!, blobs[1]!))).toMatchObject({ reason: RelayFailure.SpaceFull, status: 507 })
  })
})

describe('RelayClient: digests', () => {
  it('publishes, reads the weight, fetches and decrypts what another device published', async () => {
    const { target, client } = await relayApp()
    const secret = randomBytes(32)
    const plain = new TextEncoder().encode('{"patients":[]}')
    expect(await client.getDigest('directory')).toBeNull()
    expect(await client.headDigest('directory')).toBeNull()
    const blob = await encryptDigest(await deriveDigestKey(target.spaceId, secret), target.spaceId, 'directory', 120, plain)
    expect(await client.putDigest('directory', 120, blob, NONE_YET)).toEqual({ status: 'created', etag: '"1"' })
    expect(await client.headDigest('directory')).toEqual({ weight: 120, etag: '"1"' })
    const fetched = await client.getDigest('directory')
    expect(fetched).toEqual({ weight: 120, etag: '"1"', blob })
    const otherDeviceKey = await deriveDigestKey(target.spaceId, secret)
    expect(await decryptDigest(otherDeviceKey, target.spaceId, 'directory', fetched!.weight, fetched!.blob)).toEqual(plain)
    expect(await client.putDigest('directory', 120, blob, { kind: 'etag', etag: '"1"' })).toEqual({ status: 'replaced', etag: '"2"' })
    expect(await client.putDigest('directory', 3, blob, { kind: 'etag', etag: '"2"' })).toEqual({ status: 'replaced', etag: '"3"' })
  })

  it('reports as stale a publication that expected another digest than the stored one, leaving it', async () => {
    const { client } = await relayApp()
    expect(await client.putDigest('directory', 50, new Uint8Array(40).fill(1), NONE_YET)).toMatchObject({ status: 'created' })
    expect(await client.putDigest('directory', 51, new Uint8Array(40).fill(2), NONE_YET)).toEqual({ status: 'stale' })
    expect(await client.putDigest('directory', 52, new Uint8Array(40).fill(3), { kind: 'etag', etag: '"9"' })).toEqual({ status: 'stale' })
    expect(await client.getDigest('directory')).toEqual({ weight: 50, etag: '"1"', blob: new Uint8Array(40).fill(1) })
  })

  it('refuses with the reason for a wrong credential, an unknown space (even on a HEAD), a body too large', async () => {
    const { target, client } = await relayApp({ maxDigestBytes: 64 })
    const wrong = new RelayClient({ ...target, credential: randomId(32) })
    for (const call of [() => wrong.putDigest('directory', 1, new Uint8Array(30), NONE_YET), () => wrong.getDigest('directory'), () => wrong.headDigest('directory')]) {
      expect(await failureOf(call)).toMatchObject({ reason: RelayFailure.Unauthorized, status: 401 })
    }
    const unknown = new RelayClient({ ...target, spaceId: randomId() })
    for (const call of [() => unknown.putDigest('directory', 1, new Uint8Array(30), NONE_YET), () => unknown.getDigest('directory'), () => unknown.headDigest('directory')]) {
      expect(await failureOf(call)).toMatchObject({ reason: RelayFailure.SpaceNotFound, status: 404 })
    }
    expect(await failureOf(() => client.putDigest('directory', 1, new Uint8Array(65), NONE_YET))).toMatchObject({ reason: RelayFailure.TooLarge, status: 413 })
    expect(await client.headDigest('directory')).toBeNull()
  })

  it('says the relay is unreachable when there is no answer, and refuses a weight the relay cannot store', async () => {
    const { relay, client, target } = await relayApp()
    relay.network.up = false
    for (const call of [() => client.getDigest('directory'), () => client.headDigest('directory'), () => client.putDigest('directory', 1, new Uint8Array(30), NONE_YET)]) {
      expect(await failureOf(call)).toMatchObject({ reason: RelayFailure.Unreachable })
    }
    relay.network.up = true
    // A stopping relay's 503, or a proxy's 502/504 with its relay down: unreachable too, never a refusal.
    for (const status of [502, 503, 504]) {
      const proxied = new RelayClient({ ...target, fetchImpl: async () => Response.json({ error: 'Relay stopping' }, { status }) })
      expect(await failureOf(() => proxied.getDigest('directory'))).toMatchObject({ reason: RelayFailure.Unreachable, status })
    }
    const failing = new RelayClient({ ...target, fetchImpl: async () => Response.json({ error: 'Internal relay error' }, { status: 500 }) })
    expect(await failureOf(() => failing.getDigest('directory'))).toMatchObject({ reason: RelayFailure.Rejected, status: 500 })
    await expect(client.putDigest('directory', -1, new Uint8Array(30), NONE_YET)).rejects.toBeInstanceOf(RangeError)
    await expect(client.putDigest('directory', 2 ** 53, new Uint8Array(30), NONE_YET)).rejects.toBeInstanceOf(RangeError)
    expect(relay.network.urls).toEqual([])
  })

  it('reads a relay without digest routes as "no digest", and refuses an answer without a weight or an ETag', async () => {
    const { target } = await relayApp()
    // An older relay: its generic 404 for an unknown route.
    const old = new RelayClient({ ...target, fetchImpl: async () => Response.json({ error: 'Not found' }, { status: 404 }) })
    expect(await old.getDigest('directory')).toBeNull()
    expect(await old.headDigest('directory')).toBeNull()
    const broken = new RelayClient({ ...target, fetchImpl: async () => new Response(new Uint8Array(30), { status: 200 }) })
    await expect(broken.getDigest('directory')).rejects.toThrow(/x-tournee-digest-weight/)
    const garbled = new RelayClient({ ...target, fetchImpl: async () => new Response(null, { status: 200, headers: { 'x-tournee-digest-weight': '-3' } }) })
    expect(await failureOf(() => garbled.headDigest('directory'))).toMatchObject({ reason: RelayFailure.Rejected })
    const unversioned = new RelayClient({ ...target, fetchImpl: async () => new Response(null, { status: 200, headers: { 'x-tournee-digest-weight': '3' } }) })
    expect(await failureOf(() => unversioned.headDigest('directory'))).toMatchObject({ reason: RelayFailure.Rejected, message: expect.stringMatching(/ETag/) })
  })

  it('puts only the space id, a hash or the digest name in the URL, never the credential', async () => {
    const { target, relay, client } = await relayApp()
    await client.putDigest('directory', 1, new Uint8Array(30), NONE_YET)
    await client.getDigest('directory')
    await client.probeAccess()
    expect(new Set(relay.network.urls)).toEqual(
      new Set([`http://relay.test/v1/spaces/${target.spaceId}/digests/directory`, `http://relay.test/v1/spaces/${target.spaceId}`]),
    )
    for (const url of relay.network.urls) expect(url).not.toContain(target.credential)
  })
})
