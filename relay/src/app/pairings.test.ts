import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { makeDeviceIdentity, publicKeysOf, type DevicePublicKeys } from '../../../shared/src/devices/device-identity'
import { PAIRING_TTL_MS } from '../../../shared/src/devices/pairing-wire'
import { DefaultLimits } from '../../../shared/src/protocol/constants'
import { silentLogger } from '../log'
import { createRelayMetrics } from '../metrics/relay-metrics'
import { PairingMailbox, MAX_OPEN_PER_ADDRESS } from '../pairing/pairing-mailbox'
import { DefaultPerimeter, Perimeter } from '../perimeter/perimeter'
import { openTestApp } from './test-support/test-app'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } })
const REMOTE = '203.0.113.9'

async function makeApp() {
  const clock = { now: 1_800_000_000_000 }
  const metrics = createRelayMetrics()
  const perimeter = new Perimeter({ config: { ...DefaultPerimeter, failedCredentials: { burst: 3, perMinute: 6 } }, logger: silentLogger, metrics, now: () => clock.now })
  // The mailbox is the app's own, on the storage under test, on the test's clock.
  const { app, storage } = await openTestApp(cleanups, { metrics, perimeter, now: () => clock.now })
  return { app, clock, mailbox: new PairingMailbox(storage, () => clock.now) }
}

async function space(app: Awaited<ReturnType<typeof makeApp>>['app']) {
  const spaceId = randomId(16)
  const credential = toBase64Url(randomBytes(32))
  expect((await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })).status).toBe(201)
  return { spaceId, credential }
}

const keys = async (): Promise<DevicePublicKeys> => publicKeysOf(await makeDeviceIdentity())
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

describe('pairing mailbox routes', () => {
  it('carries keys and one sealed blob from an admin device to the joining device, once', async () => {
    const { app } = await makeApp()
    const { spaceId, credential } = await space(app)
    const [joining, admin] = await Promise.all([keys(), keys()])

    const opened = await app.request('/v1/pairings', json({ joining }))
    expect(opened.status).toBe(201)
    const { code } = (await opened.json()) as { code: string }
    expect((await (await app.request(`/v1/pairings/${code}`)).json()) as unknown).toMatchObject({ state: 'waiting' })

    const claim = await app.request(`/v1/spaces/${spaceId}/pairings/${code}/claim`, json({ admin }, { authorization: `Bearer ${credential}` }))
    expect(claim.status).toBe(200)
    expect(await claim.json()).toEqual({ outcome: 'claimed', joining })
    expect(await (await app.request(`/v1/pairings/${code}`)).json()).toMatchObject({ state: 'claimed', admin })

    const sealed = await app.request(`/v1/spaces/${spaceId}/pairings/${code}/sealed`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sealed: 'c2VhbGVk' }),
    })
    expect(sealed.status).toBe(204)
    expect(await (await app.request(`/v1/pairings/${code}`)).json()).toEqual({ state: 'sealed', admin, sealed: 'c2VhbGVk' })
    // Handed over once: a second reader gets nothing.
    expect((await app.request(`/v1/pairings/${code}`)).status).toBe(404)
  })

  it('refuses a wrong credential, a second claim and a seal before the claim; names an unknown code', async () => {
    const { app } = await makeApp()
    const first = await space(app)
    const second = await space(app)
    const [joining, admin, other] = await Promise.all([keys(), keys(), keys()])
    const { code } = (await (await app.request('/v1/pairings', json({ joining }))).json()) as { code: string }

    const sealEarly = await app.request(`/v1/spaces/${first.spaceId}/pairings/${code}/sealed`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${first.credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sealed: 'c2VhbGVk' }),
    })
    expect(sealEarly.status).toBe(409)
    const wrong = await app.request(`/v1/spaces/${first.spaceId}/pairings/${code}/claim`, json({ admin }, { authorization: `Bearer ${second.credential}` }))
    expect(wrong.status).toBe(401)
    expect(await (await app.request(`/v1/pairings/${code}`)).json()).toMatchObject({ state: 'waiting' })

    expect((await app.request(`/v1/spaces/${first.spaceId}/pairings/${code}/claim`, json({ admin }, { authorization: `Bearer ${first.credential}` }))).status).toBe(200)
    // The same claim again (a retried request) is answered alike; any other is refused.
    expect((await app.request(`/v1/spaces/${first.spaceId}/pairings/${code}/claim`, json({ admin }, { authorization: `Bearer ${first.credential}` }))).status).toBe(200)
    const claimAs = async (spaceId: string, credential: string, keys: DevicePublicKeys, path = code) =>
      (await app.request(`/v1/spaces/${spaceId}/pairings/${path}/claim`, json({ admin: keys }, { authorization: `Bearer ${credential}` }))).json()
    expect(await claimAs(second.spaceId, second.credential, admin)).toEqual({ outcome: 'taken' })
    expect(await claimAs(first.spaceId, first.credential, other)).toEqual({ outcome: 'taken' })
    expect(await claimAs(first.spaceId, first.credential, admin, '0000000000')).toEqual({ outcome: 'unknown' })
  })

  it('tells the joining device that the admin device refused, then forgets the pairing', async () => {
    const { app } = await makeApp()
    const { spaceId, credential } = await space(app)
    const { code } = (await (await app.request('/v1/pairings', json({ joining: await keys() }))).json()) as { code: string }
    await app.request(`/v1/spaces/${spaceId}/pairings/${code}/claim`, json({ admin: await keys() }, { authorization: `Bearer ${credential}` }))
    expect((await app.request(`/v1/spaces/${spaceId}/pairings/${code}`, { method: 'DELETE', headers: { authorization: `Bearer ${credential}` } })).status).toBe(204)
    expect(await (await app.request(`/v1/pairings/${code}`)).json()).toEqual({ state: 'refused' })
    expect((await app.request(`/v1/pairings/${code}`)).status).toBe(404)
  })

  it('refuses malformed bodies with the field, and keeps nothing', async () => {
    const { app, mailbox } = await makeApp()
    const good = await keys()
    const bad = [
      { joining: { ...good, agree: 'short' } },
      { joining: good, extra: 1 },
      { joining: { sign: good.sign } },
    ]
    for (const body of bad) {
      const response = await app.request('/v1/pairings', json(body))
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ field: expect.any(String) })
    }
    const notJson = await app.request('/v1/pairings', { method: 'POST', body: '{nope' })
    expect(notJson.status).toBe(400)
    const huge = await app.request('/v1/pairings', json({ joining: good, pad: 'x'.repeat(DefaultLimits.maxHttpBodyBytes) }))
    expect(huge.status).toBe(413)
    expect(await mailbox.size()).toBe(0)
  })

  it('bounds open pairings per address, throttles code guesses, and expires codes', async () => {
    const { app, clock } = await makeApp()
    const joining = await keys()
    for (let i = 0; i < MAX_OPEN_PER_ADDRESS; i++) expect((await app.request('/v1/pairings', json({ joining }), from(REMOTE))).status).toBe(201)
    const full = await app.request('/v1/pairings', json({ joining }), from(REMOTE))
    expect(full.status).toBe(429)
    expect(full.headers.get('retry-after')).toBe('60')
    expect((await app.request('/v1/pairings', json({ joining }), from('198.51.100.7'))).status).toBe(201)

    // Three wrong guesses empty the address's bucket (burst 3): the fourth is not even looked up.
    for (let i = 0; i < 3; i++) expect((await app.request('/v1/pairings/0000000000', {}, from(REMOTE))).status).toBe(404)
    const throttled = await app.request('/v1/pairings/0000000000', {}, from(REMOTE))
    expect(throttled.status).toBe(429)
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)

    const { code } = (await (await app.request('/v1/pairings', json({ joining }))).json()) as { code: string }
    clock.now += PAIRING_TTL_MS
    expect((await app.request(`/v1/pairings/${code}`)).status).toBe(404)
    expect((await app.request('/v1/pairings/not-a-code')).status).toBe(400)
  })
})
