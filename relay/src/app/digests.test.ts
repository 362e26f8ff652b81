import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { epochNamedBy } from '../../../shared/src/crypto/epoch-sealed'
import { GrowingEpochKeyring } from '../../../shared/src/crypto/key-epochs'
import { deriveDigestEpochKey, deriveDigestKey, sealDigest } from '../../../shared/src/digest/digest-cipher'
import { DefaultLimits, DIGEST_WEIGHT_HEADER, ERROR_FIELD_HEADER } from '../../../shared/src/protocol/constants'
import { createLogger } from '../log'
import { createRelayMetrics } from '../metrics/relay-metrics'
import { delegatingStorage } from '../storage/delegating-storage'
import { testStorage } from '../test-support/test-storages'
import { createApp } from './create-app'
import { parseDigestWeight } from './digests'
import { countingStream } from './test-support/counting-stream'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const LIMIT = 64 * 1024
const ORIGIN = 'https://cabinet.example.fr'

/** The real app on the real storage under test (test-storages.ts); `reads` counts the storage calls that fetch a blob. */
async function makeSpace() {
  const real = await (await testStorage().location(cleanups)).open()
  cleanups.push(() => real.close())
  const reads = { blobs: 0 }
  const storage = delegatingStorage(real, {
    getDigest: (id, name) => {
      reads.blobs++
      return real.getDigest(id, name)
    },
  })
  const metrics = createRelayMetrics()
  const logs: string[] = []
  const app = createApp({
    storage,
    metrics,
    logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    enrolmentSecret: null,
    allowedOrigins: [ORIGIN],
    staticDir: null,
    limits: { ...DefaultLimits, maxDigestBytes: LIMIT },
  })
  const spaceId = randomId()
  const credential = toBase64Url(randomBytes(32))
  expect((await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: auth(credential) })).status).toBe(201)
  return { app, storage: real, reads, metrics, logs, spaceId, credential }
}

const auth = (credential: string) => ({ authorization: `Bearer ${credential}` })
const path = (spaceId: string, name = 'directory') => `/v1/spaces/${spaceId}/digests/${name}`
type Space = Awaited<ReturnType<typeof makeSpace>>
/** The preconditions of a publication: none stored yet, or the stored digest of this ETag. */
const NONE_YET = { 'if-none-match': '*' }
const ifMatch = (etag: string | null) => ({ 'if-match': etag ?? 'missing' })

function put(space: Space, weight: number | string, body: Uint8Array | ReadableStream<Uint8Array>, extra: Record<string, string> = {}) {
  return space.app.request(path(space.spaceId), {
    method: 'PUT',
    headers: { ...auth(space.credential), [DIGEST_WEIGHT_HEADER]: String(weight), ...extra },
    body: body instanceof Uint8Array ? body.slice().buffer : body,
    ...(body instanceof Uint8Array ? {} : { duplex: 'half' }),
  } as RequestInit)
}

describe('PUT/GET/HEAD /v1/spaces/:spaceId/digests/:name', () => {
  it('creates, replaces what the device read whatever the weights, and serves the bytes with their ETag and weight', async () => {
    const space = await makeSpace()
    const first = randomBytes(3000)
    const created = await put(space, 10, first, NONE_YET)
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ status: 'created' })
    expect(created.headers.get('etag')).toBe('"1"')
    const got = await space.app.request(path(space.spaceId), { headers: auth(space.credential) })
    expect(got.status).toBe(200)
    expect(got.headers.get('content-type')).toBe('application/octet-stream')
    expect(got.headers.get(DIGEST_WEIGHT_HEADER)).toBe('10')
    expect(got.headers.get('etag')).toBe('"1"')
    expect(got.headers.get('cache-control')).toBe('no-store')
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(first)

    // The weight is the publisher's claim: the relay no longer keeps "the heaviest".
    const lighter = randomBytes(40)
    const replaced = await put(space, 3, lighter, ifMatch(got.headers.get('etag')))
    expect(replaced.status).toBe(200)
    expect(await replaced.json()).toEqual({ status: 'replaced' })
    expect(replaced.headers.get('etag')).toBe('"2"')
    const heavier = randomBytes(4000)
    expect((await put(space, 11, heavier, ifMatch('"2"'))).status).toBe(200)
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toEqual({ weight: 11, version: 3, data: heavier })

    const text = space.metrics.registry.render()
    expect(text).toContain('tournee_digests_stored_total{result="created"} 1')
    expect(text).toContain('tournee_digests_stored_total{result="replaced"} 2')
    expect(text).toContain('tournee_digest_bytes_stored_total 7040')
    expect(text).toContain('tournee_digests_served_total 1')
  })

  it('replaces a digest of forged weight 2^53 − 1 (issue 18, attack 7) by a publication that read it', async () => {
    const space = await makeSpace()
    const forged = await put(space, Number.MAX_SAFE_INTEGER, randomBytes(200), NONE_YET)
    expect(forged.status).toBe(201)
    const head = await space.app.request(path(space.spaceId), { method: 'HEAD', headers: auth(space.credential) })
    const honest = randomBytes(300)
    expect((await put(space, 42, honest, ifMatch(head.headers.get('etag')))).status).toBe(200)
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toEqual({ weight: 42, version: 2, data: honest })
  })

  it('refuses with 412 a publication that did not read what is stored, with its ETag and weight; stores nothing, reads no body', async () => {
    const space = await makeSpace()
    const kept = randomBytes(100)
    await put(space, 500, kept, NONE_YET)
    for (const precondition of [NONE_YET, ifMatch('"7"')]) {
      const { stream, state } = countingStream(8, 1024)
      const outdated = await put(space, 501, stream, precondition)
      expect(outdated.status).toBe(412)
      expect(await outdated.json()).toMatchObject({ field: 'if-match' })
      expect(outdated.headers.get('etag')).toBe('"1"')
      expect(outdated.headers.get(DIGEST_WEIGHT_HEADER)).toBe('500')
      expect(outdated.headers.get(ERROR_FIELD_HEADER)).toBe('if-match')
      expect(state.pulled).toBeLessThanOrEqual(1)
    }
    // Expecting a digest where there is none is refused too.
    const elsewhere = await space.app.request(path(space.spaceId, 'week'), {
      method: 'PUT',
      headers: { ...auth(space.credential), [DIGEST_WEIGHT_HEADER]: '1', ...ifMatch('"1"') },
      body: randomBytes(40).slice().buffer,
    })
    expect(elsewhere.status).toBe(412)
    expect(elsewhere.headers.get('etag')).toBeNull()
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toEqual({ weight: 500, version: 1, data: kept })
    expect(space.metrics.registry.render()).toContain('tournee_digests_refused_total{reason="precondition_failed"} 3')
  })

  it('refuses with 428 a publication without a precondition, before reading anything', async () => {
    const space = await makeSpace()
    const { stream, state } = countingStream(8, 1024)
    const blind = await put(space, 1, stream)
    expect(blind.status).toBe(428)
    expect(await blind.json()).toMatchObject({ field: 'if-match' })
    expect(state.pulled).toBeLessThanOrEqual(1)
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toBeNull()
    expect(space.metrics.registry.render()).toContain('tournee_digests_refused_total{reason="precondition_required"} 1')
  })

  it('refuses with 412 a publication overtaken while its body was uploading', async () => {
    const space = await makeSpace()
    await put(space, 5, randomBytes(40), NONE_YET)
    // The slow upload passes the early check, then another one of the same read lands before it ends.
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let reading: () => void = () => undefined
    const readingStarted = new Promise<void>((resolve) => (reading = resolve))
    let sent = false
    const slow = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (sent) return controller.close()
          reading()
          await gate
          sent = true
          controller.enqueue(new Uint8Array(40).fill(6))
        },
      },
      // No read ahead: pull runs only once the route reads the body, past its early check.
      { highWaterMark: 0 },
    )
    const slowPut = put(space, 6, slow, ifMatch('"1"'))
    await readingStarted
    const first = randomBytes(40)
    expect((await put(space, 7, first, ifMatch('"1"'))).status).toBe(200)
    release()
    const overtaken = await slowPut
    expect(overtaken.status).toBe(412)
    expect(overtaken.headers.get('etag')).toBe('"2"')
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toEqual({ weight: 7, version: 2, data: first })
  })

  it('refuses a wrong credential with 401 before reading the body, and stores nothing', async () => {
    const space = await makeSpace()
    const { stream, state } = countingStream(4, 1024)
    const response = await space.app.request(path(space.spaceId), {
      method: 'PUT',
      headers: { ...auth(toBase64Url(randomBytes(32))), [DIGEST_WEIGHT_HEADER]: '1', ...NONE_YET },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ field: 'authorization' })
    // A ReadableStream pulls once ahead on its own (highWaterMark 1); the route read nothing more.
    expect(state.pulled).toBeLessThanOrEqual(1)
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toBeNull()
    expect((await space.app.request(path(space.spaceId), { headers: auth(toBase64Url(randomBytes(32))) })).status).toBe(401)
    expect(space.metrics.registry.render()).toContain('tournee_digests_refused_total{reason="credential"} 2')
  })

  it('answers 413 from a Content-Length over the limit without reading the body', async () => {
    const space = await makeSpace()
    const { stream, state } = countingStream(100, 1024)
    const response = await put(space, 1, stream, { 'content-length': String(LIMIT + 1), ...NONE_YET })
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ field: 'body' })
    expect(state.pulled).toBeLessThanOrEqual(1)
  })

  it('stops reading a streamed body without Content-Length as soon as it passes the limit', async () => {
    const space = await makeSpace()
    await put(space, 1, randomBytes(40), NONE_YET)
    const { stream, state } = countingStream(1000, 1024)
    const response = await put(space, 2, stream, ifMatch('"1"'))
    expect(response.status).toBe(413)
    expect(state.pulled).toBeGreaterThan(LIMIT / 1024)
    expect(state.pulled).toBeLessThan(LIMIT / 1024 + 4)
    expect(await space.storage.getDigestHead(space.spaceId, 'directory')).toEqual({ weight: 1, version: 1 })
    expect(space.metrics.registry.render()).toContain('tournee_digests_refused_total{reason="too_large"} 1')
  })

  it('accepts a body of exactly the limit', async () => {
    const space = await makeSpace()
    expect((await put(space, 1, randomBytes(LIMIT), NONE_YET)).status).toBe(201)
  })

  it('refuses a body too short to be a sealed digest, keeping the stored one', async () => {
    const space = await makeSpace()
    const kept = randomBytes(28)
    expect((await put(space, 1, kept, NONE_YET)).status).toBe(201)
    for (const body of [new Uint8Array(0), randomBytes(27)]) {
      const response = await put(space, 2, body, ifMatch('"1"'))
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ field: 'body' })
    }
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toEqual({ weight: 1, version: 1, data: kept })
  })

  it('accepts the key-epoch layout (the epoch in the IV, issue 19) from its shortest, and refuses it shorter', async () => {
    const space = await makeSpace()
    const keys = { base: await deriveDigestKey(space.spaceId, randomBytes(32)), epochs: GrowingEpochKeyring.of([{ epoch: 3, key: await deriveDigestEpochKey(space.spaceId, 3, randomBytes(32)) }]) }
    const { blob } = await sealDigest(keys, space.spaceId, 'directory', 1, new Uint8Array(0))
    expect(epochNamedBy(blob)).toBe(3)
    expect(blob.length).toBe(28)
    expect((await put(space, 1, blob, NONE_YET)).status).toBe(201)
    const response = await put(space, 2, blob.subarray(0, 27), ifMatch('"1"'))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ field: 'body' })
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toEqual({ weight: 1, version: 1, data: blob })
  })

  it.each([
    ['an unknown digest name', { name: 'patients' }, 'name'],
    ['a missing weight', { weight: null }, 'weight'],
    ['a negative weight', { weight: '-1' }, 'weight'],
    ['a fractional weight', { weight: '1.5' }, 'weight'],
    ['a weight over the largest safe integer', { weight: '9007199254740992' }, 'weight'],
    ['a malformed credential', { authorization: 'Bearer short' }, 'authorization'],
    ['a malformed If-Match', { 'if-match': 'W/"1"' }, 'if-match'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_label, change, field) => {
    const space = await makeSpace()
    const headers: Record<string, string> = { ...auth(space.credential), ...('if-match' in change ? { 'if-match': change['if-match'] } : NONE_YET) }
    if ('authorization' in change) headers.authorization = change.authorization
    if (!('weight' in change)) headers[DIGEST_WEIGHT_HEADER] = '3'
    else if (change.weight !== null) headers[DIGEST_WEIGHT_HEADER] = change.weight
    const name = 'name' in change ? change.name : 'directory'
    const response = await space.app.request(path(space.spaceId, name), { method: 'PUT', headers, body: 'x' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ field })
    expect(response.headers.get(ERROR_FIELD_HEADER)).toBe(field)
    expect(await space.storage.getDigest(space.spaceId, 'directory')).toBeNull()
  })

  it('tells "no digest yet" from "unknown space", on GET and on HEAD', async () => {
    const space = await makeSpace()
    const none = await space.app.request(path(space.spaceId), { headers: auth(space.credential) })
    expect(none.status).toBe(204)
    expect(none.headers.get(DIGEST_WEIGHT_HEADER)).toBeNull()
    expect(new Uint8Array(await none.arrayBuffer())).toHaveLength(0)
    const noneHead = await space.app.request(path(space.spaceId), { method: 'HEAD', headers: auth(space.credential) })
    expect(noneHead.status).toBe(204)
    expect(noneHead.headers.get(DIGEST_WEIGHT_HEADER)).toBeNull()
    const unknown = randomId()
    const unknownGet = await space.app.request(path(unknown), { headers: auth(space.credential) })
    expect(unknownGet.status).toBe(404)
    expect(await unknownGet.json()).toMatchObject({ field: 'spaceId' })
    const unknownHead = await space.app.request(path(unknown), { method: 'HEAD', headers: auth(space.credential) })
    expect(unknownHead.status).toBe(404)
    expect(unknownHead.headers.get(ERROR_FIELD_HEADER)).toBe('spaceId')
    const unknownPut = await space.app.request(path(unknown), {
      method: 'PUT',
      headers: { ...auth(space.credential), [DIGEST_WEIGHT_HEADER]: '1', ...NONE_YET },
      body: 'x',
    })
    expect(unknownPut.status).toBe(404)
  })

  it('answers HEAD with the ETag and weight and no body, without reading the blob from storage', async () => {
    const space = await makeSpace()
    await put(space, 77, randomBytes(5000), NONE_YET)
    const head = await space.app.request(path(space.spaceId), { method: 'HEAD', headers: auth(space.credential) })
    expect(head.status).toBe(200)
    expect(head.headers.get(DIGEST_WEIGHT_HEADER)).toBe('77')
    expect(head.headers.get('etag')).toBe('"1"')
    expect((await head.arrayBuffer()).byteLength).toBe(0)
    expect(space.reads.blobs).toBe(0)
    expect((await space.app.request(path(space.spaceId), { method: 'HEAD', headers: auth(toBase64Url(randomBytes(32))) })).status).toBe(
      401,
    )
    expect(space.metrics.registry.render()).not.toContain('tournee_digests_served_total 1')
  })

  it('logs ids, bytes, weight and status, never the credential or the bytes', async () => {
    const space = await makeSpace()
    const body = new TextEncoder().encode('CIPHERTEXT-MARKER-'.repeat(4))
    await put(space, 12, body, NONE_YET)
    await put(space, 3, body, NONE_YET)
    const records = space.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(records).toContainEqual(
      expect.objectContaining({ event: 'digest_stored', spaceId: space.spaceId, digest: 'directory', bytes: body.length, weight: 12, status: 'created' }),
    )
    expect(records).toContainEqual(
      expect.objectContaining({ event: 'digest_refused', spaceId: space.spaceId, weight: 3, storedWeight: 12, status: 'precondition_failed' }),
    )
    const all = space.logs.join('\n')
    expect(all).not.toContain(space.credential)
    expect(all).not.toContain('CIPHERTEXT-MARKER')
  })

  it('lets an allowed origin send the weight and precondition headers and read the weight and ETag back (CORS)', async () => {
    const space = await makeSpace()
    const preflight = await space.app.request(path(space.spaceId), {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': `authorization,${DIGEST_WEIGHT_HEADER},if-match,if-none-match`,
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const allowed = preflight.headers.get('access-control-allow-headers')?.toLowerCase()
    expect(allowed).toContain(DIGEST_WEIGHT_HEADER)
    expect(allowed).toContain('if-match')
    expect(allowed).toContain('if-none-match')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('HEAD')
    await put(space, 4, randomBytes(40), NONE_YET)
    const got = await space.app.request(path(space.spaceId), { headers: { ...auth(space.credential), origin: ORIGIN } })
    expect(got.headers.get('access-control-expose-headers')?.toLowerCase()).toContain(DIGEST_WEIGHT_HEADER)
    expect(got.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag')
    expect(got.headers.get('access-control-expose-headers')?.toLowerCase()).toContain(ERROR_FIELD_HEADER)
    const other = await space.app.request(path(space.spaceId), { headers: { ...auth(space.credential), origin: 'https://evil.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('parseDigestWeight', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    [undefined, null],
    ['', null],
    [' 1', null],
    ['1e3', null],
    ['0x10', null],
    ['99999999999999999', null],
  ])('reads %j as %j', (raw, expected) => {
    expect(parseDigestWeight(raw)).toBe(expected)
  })
})
