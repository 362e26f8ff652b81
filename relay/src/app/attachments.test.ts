import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { DefaultLimits, type Limits } from '../../../shared/src/protocol/constants'
import { openTestApp } from './test-support/test-app'
import { countingStream } from './test-support/counting-stream'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const LIMIT = 64 * 1024

async function makeSpace(limits: Partial<Limits> = {}) {
  const { app, storage, metrics } = await openTestApp(cleanups, { limits: { ...DefaultLimits, maxAttachmentBytes: LIMIT, ...limits } })
  const spaceId = randomId()
  const credential = toBase64Url(randomBytes(32))
  expect((await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: auth(credential) })).status).toBe(201)
  return { app, storage, metrics, spaceId, credential }
}

const auth = (credential: string) => ({ authorization: `Bearer ${credential}` })
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const path = (spaceId: string, hash: string) => `/v1/spaces/${spaceId}/attachments/${hash}`

describe('PUT/GET /v1/spaces/:spaceId/attachments/:hash', () => {
  it('refuses with 507 a new attachment past the space\'s count or bytes, storing nothing; a retry of a stored one is 200', async () => {
    const { app, spaceId, credential, metrics, storage } = await makeSpace({ maxSpaceAttachments: 2, maxSpaceAttachmentBytes: 10_000 })
    const put = (blob: Uint8Array) => app.request(path(spaceId, sha256(blob)), { method: 'PUT', headers: auth(credential), body: blob.slice().buffer })
    const first = randomBytes(6000)
    expect((await put(first)).status).toBe(201)
    const tooHeavy = await put(randomBytes(4001))
    expect(tooHeavy.status).toBe(507)
    expect(await tooHeavy.json()).toMatchObject({ field: 'quota' })
    expect((await put(randomBytes(4000))).status).toBe(201)
    expect((await put(randomBytes(1))).status).toBe(507)
    expect((await put(first)).status).toBe(200)
    expect(await storage.spaceUsage(spaceId)).toMatchObject({ attachments: 2, attachmentBytes: 10_000 })
    expect(metrics.registry.value('tournee_attachments_refused_total', { reason: 'quota' })).toBe(2)
  })

  it('stores the ciphertext under its SHA-256, answers a retry with 200, and serves the same bytes', async () => {
    const { app, spaceId, credential, metrics } = await makeSpace()
    const blob = randomBytes(5000)
    const hash = sha256(blob)
    const put = () => app.request(path(spaceId, hash), { method: 'PUT', headers: auth(credential), body: blob.slice().buffer })
    const first = await put()
    expect(first.status).toBe(201)
    expect(await first.json()).toEqual({ hash, status: 'created' })
    expect((await put()).status).toBe(200)
    const got = await app.request(path(spaceId, hash), { headers: auth(credential) })
    expect(got.status).toBe(200)
    expect(got.headers.get('content-type')).toBe('application/octet-stream')
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(blob)
    const text = metrics.registry.render()
    expect(text).toContain('tournee_attachments_stored_total{result="created"} 1')
    expect(text).toContain('tournee_attachments_stored_total{result="exists"} 1')
    expect(text).toContain('tournee_attachment_bytes_stored_total 5000')
    expect(text).toContain('tournee_attachments_served_total 1')
  })

  it('refuses a wrong credential with 401 before reading the body, and stores nothing', async () => {
    const { app, storage, spaceId, credential } = await makeSpace()
    const { stream, state } = countingStream(4, 1024)
    const hash = 'ab'.repeat(32)
    const response = await app.request(path(spaceId, hash), {
      method: 'PUT',
      headers: auth(toBase64Url(randomBytes(32))),
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ field: 'authorization' })
    // A ReadableStream pulls once ahead on its own (highWaterMark 1); the route read nothing more.
    expect(state.pulled).toBeLessThanOrEqual(1)
    expect(await storage.getAttachment(spaceId, hash)).toBeNull()
    expect((await app.request(path(spaceId, hash), { headers: auth(toBase64Url(randomBytes(32))) })).status).toBe(401)
    expect((await app.request(path(spaceId, hash), { headers: auth(credential) })).status).toBe(404)
  })

  it('refuses a body that does not hash to the path with 400, and stores nothing', async () => {
    const { app, storage, spaceId, credential, metrics } = await makeSpace()
    const claimed = sha256(new Uint8Array([1, 2, 3]))
    const response = await app.request(path(spaceId, claimed), {
      method: 'PUT',
      headers: auth(credential),
      body: new Uint8Array([1, 2, 4]),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ field: 'hash' })
    expect(await storage.getAttachment(spaceId, claimed)).toBeNull()
    expect(metrics.registry.render()).toContain('tournee_attachments_refused_total{reason="hash_mismatch"} 1')
  })

  it('answers 413 from a Content-Length over the limit without reading the body', async () => {
    const { app, spaceId, credential } = await makeSpace()
    const { stream, state } = countingStream(100, 1024)
    const response = await app.request(path(spaceId, 'cd'.repeat(32)), {
      method: 'PUT',
      headers: { ...auth(credential), 'content-length': String(LIMIT + 1) },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(state.pulled).toBeLessThanOrEqual(1)
  })

  it('stops reading a streamed body without Content-Length as soon as it passes the limit', async () => {
    const { app, storage, spaceId, credential } = await makeSpace()
    // 1000 chunks of 1 KiB: 1 MiB offered against a 64 KiB limit.
    const { stream, state } = countingStream(1000, 1024)
    const hash = 'ef'.repeat(32)
    const response = await app.request(path(spaceId, hash), {
      method: 'PUT',
      headers: auth(credential),
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(state.pulled).toBeGreaterThan(LIMIT / 1024)
    expect(state.pulled).toBeLessThan(LIMIT / 1024 + 4)
    expect(await storage.getAttachment(spaceId, hash)).toBeNull()
  })

  it('accepts a body of exactly the limit', async () => {
    const { app, spaceId, credential } = await makeSpace()
    const blob = randomBytes(LIMIT)
    const response = await app.request(path(spaceId, sha256(blob)), { method: 'PUT', headers: auth(credential), body: blob.slice().buffer })
    expect(response.status).toBe(201)
  })

  it.each([
    ['an upper-case hash', 'AB'.repeat(32), 'hash'],
    ['a short hash', 'abc', 'hash'],
  ])('answers 400 naming the field for %s', async (_label, hash, field) => {
    const { app, spaceId, credential } = await makeSpace()
    const response = await app.request(path(spaceId, hash), { method: 'PUT', headers: auth(credential), body: 'x' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ field })
  })

  it('answers 404 for an unknown space and 400 without a credential', async () => {
    const { app, credential } = await makeSpace()
    const hash = 'ab'.repeat(32)
    expect((await app.request(path(randomId(), hash), { headers: auth(credential) })).status).toBe(404)
    expect((await app.request(path(randomId(), hash))).status).toBe(400)
  })
})

describe('attachments and roles (issue 19)', () => {
  /** « Today » for the relay: injected, so the test reads the same on any day of any year. */
  const UNTIL = Date.UTC(2027, 5, 30, 22)

  async function spaceWithDevices(now: () => number) {
    const { app, storage, metrics } = await openTestApp(cleanups, { now })
    const spaceId = randomId()
    const shared = toBase64Url(randomBytes(32))
    expect((await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: auth(shared) })).status).toBe(201)
    const secretary = toBase64Url(randomBytes(32))
    const locum = toBase64Url(randomBytes(32))
    const hash = (credential: string) => new Uint8Array(createHash('sha256').update(Buffer.from(credential, 'base64url')).digest())
    // What the devices route writes once an entry verifies (devices.ts): the credentials and roles.
    await storage.appendDeviceEntry(spaceId, 0, '{}', { kind: 'add', deviceId: 'accueilAAAAA', credentialHash: hash(secretary), role: 'secretariat', until: null, at: 1 })
    await storage.appendDeviceEntry(spaceId, 1, '{}', { kind: 'add', deviceId: 'remplaBBBBBB', credentialHash: hash(locum), role: 'remplacant', until: UNTIL, at: 2 })
    return { app, storage, metrics, spaceId, secretary, locum }
  }

  it('refuses a secretary’s credential with 403 naming its role, on upload and download, storing nothing', async () => {
    const { app, storage, metrics, spaceId, secretary } = await spaceWithDevices(() => UNTIL - 1)
    const blob = randomBytes(100)
    const put = await app.request(path(spaceId, sha256(blob)), { method: 'PUT', headers: auth(secretary), body: blob.slice().buffer })
    expect(put.status).toBe(403)
    expect(await put.json()).toMatchObject({ field: 'role' })
    const get = await app.request(path(spaceId, sha256(blob)), { headers: auth(secretary) })
    expect(get.status).toBe(403)
    expect(await storage.spaceUsage(spaceId)).toMatchObject({ attachments: 0 })
    expect(metrics.registry.value('tournee_attachments_refused_total', { reason: 'role' })).toBe(2)
  })

  it('lets a locum in until its end date by the relay’s clock, and refuses it from then on with 401 naming `ended`', async () => {
    let today = UNTIL - 1
    const { app, spaceId, locum } = await spaceWithDevices(() => today)
    const blob = randomBytes(100)
    const put = () => app.request(path(spaceId, sha256(blob)), { method: 'PUT', headers: auth(locum), body: blob.slice().buffer })
    expect((await put()).status).toBe(201)
    today = UNTIL
    const refused = await put()
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ field: 'ended' })
    // The probe a device makes after a failed socket names it too, in a header (a HEAD has no body).
    const probe = await app.request(`/v1/spaces/${spaceId}`, { headers: auth(locum) })
    expect(probe.status).toBe(401)
    expect(probe.headers.get('x-tournee-error-field')).toBe('ended')
  })
})
