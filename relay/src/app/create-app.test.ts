import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../../../shared/src/crypto/base64url'
import { DefaultLimits, ENROLMENT_HEADER } from '../../../shared/src/protocol/constants'
import { silentLogger } from '../log'
import { createRelayMetrics } from '../metrics/relay-metrics'
import { DefaultPerimeter, Perimeter, type PerimeterConfig } from '../perimeter/perimeter'
import type { AppDeps } from './create-app'
import { openTestApp } from './test-support/test-app'
import { testStorage } from '../test-support/test-storages'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function makeApp(overrides: Partial<AppDeps> = {}) {
  const { app, storage } = await openTestApp(cleanups, { allowedOrigins: ['https://cabinet.example.fr'], ...overrides })
  return { app, storage }
}

const credential = () => toBase64Url(randomBytes(32))
const bearer = (value: string) => ({ authorization: `Bearer ${value}` })

describe('operational routes', () => {
  it('GET /healthz answers ok', async () => {
    const response = await (await makeApp()).app.request('/healthz')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok', storage: testStorage().name })
  })

  it('GET /metrics renders Prometheus text', async () => {
    const metrics = createRelayMetrics()
    metrics.upgradesRefused.inc({ reason: 'credential' })
    const response = await (await makeApp({ metrics })).app.request('/metrics')
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toContain('# TYPE tournee_open_connections gauge')
    expect(text).toContain('tournee_upgrades_refused_total{reason="credential"} 1')
  })

  it('unknown routes are JSON 404s', async () => {
    expect((await (await makeApp()).app.request('/nope')).status).toBe(404)
  })
})

describe('PUT /v1/spaces/:spaceId', () => {
  it('creates, recognises a retry, refuses another credential', async () => {
    const { app } = await makeApp()
    const spaceId = randomId()
    const mine = credential()
    const put = (value: string) => app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: bearer(value) })
    expect((await put(mine)).status).toBe(201)
    expect((await put(mine)).status).toBe(200)
    const conflict = await put(credential())
    expect(conflict.status).toBe(409)
    expect(await conflict.json()).toMatchObject({ field: 'spaceId' })
  })

  it.each([
    ['a malformed space id', 'short', bearer(credential()), 'spaceId'],
    ['no authorization', randomId(), {}, 'authorization'],
    ['a malformed credential', randomId(), bearer('not-a-credential'), 'authorization'],
    ['a basic authorization', randomId(), { authorization: `Basic ${credential()}` }, 'authorization'],
  ])('answers 400 naming the field for %s', async (_label, spaceId, headers, field) => {
    const { app, storage } = await makeApp()
    const response = await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ field })
    expect(await storage.getCredentialHash(spaceId)).toBeNull()
  })

  it('requires the enrolment secret when the relay has one: 401 missing, 403 wrong', async () => {
    const { app, storage } = await makeApp({ enrolmentSecret: 'the-operators-secret' })
    const spaceId = randomId()
    const put = (extra: Record<string, string>) =>
      app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: { ...bearer(credential()), ...extra } })
    expect((await put({})).status).toBe(401)
    expect((await put({ [ENROLMENT_HEADER]: 'not-the-secret' })).status).toBe(403)
    expect(await storage.getCredentialHash(spaceId)).toBeNull()
    expect((await put({ [ENROLMENT_HEADER]: 'the-operators-secret' })).status).toBe(201)
  })

  it('bounds the body size', async () => {
    const { app } = await makeApp()
    const response = await app.request(`/v1/spaces/${randomId()}`, {
      method: 'PUT',
      headers: { ...bearer(credential()), 'content-length': String(DefaultLimits.maxHttpBodyBytes + 1) },
      body: 'x'.repeat(DefaultLimits.maxHttpBodyBytes + 1),
    })
    expect(response.status).toBe(413)
  })
})

describe('GET /v1/spaces/:spaceId', () => {
  it('answers 204 for the right credential, 401 for a wrong one, 404 for an unknown space', async () => {
    const { app } = await makeApp()
    const spaceId = randomId()
    const mine = credential()
    await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: bearer(mine) })
    expect((await app.request(`/v1/spaces/${spaceId}`, { headers: bearer(mine) })).status).toBe(204)
    expect((await app.request(`/v1/spaces/${spaceId}`, { headers: bearer(credential()) })).status).toBe(401)
    expect((await app.request(`/v1/spaces/${randomId()}`, { headers: bearer(mine) })).status).toBe(404)
    expect((await app.request(`/v1/spaces/${spaceId}`)).status).toBe(400)
  })
})

describe('CORS', () => {
  it('answers preflights for allowed origins only', async () => {
    const { app } = await makeApp()
    const preflight = (origin: string) =>
      app.request(`/v1/spaces/${randomId()}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' },
      })
    const allowed = await preflight('https://cabinet.example.fr')
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://cabinet.example.fr')
    const refused = await preflight('https://evil.example')
    expect(refused.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('static client', () => {
  it('serves files, falls back to index.html for app routes, and keeps API 404s', async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'tournee-static-'))
    cleanups.push(() => rmSync(staticDir, { recursive: true, force: true }))
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Tournée</title>')
    mkdirSync(join(staticDir, 'assets'))
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)')
    const { app } = await makeApp({ staticDir })

    expect(await (await app.request('/')).text()).toContain('<title>Tournée</title>')
    expect(await (await app.request('/agenda/2026-03')).text()).toContain('<title>Tournée</title>')
    const script = await app.request('/assets/app.js')
    expect(script.headers.get('content-type')).toContain('javascript')
    expect((await app.request('/assets/missing.js')).status).toBe(404)
    expect((await app.request('/v1/unknown')).status).toBe(404)
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok', storage: testStorage().name })
  })

  it('lets hashed assets be cached for good and revalidates the shell, the service worker and the manifest', async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'tournee-static-'))
    cleanups.push(() => rmSync(staticDir, { recursive: true, force: true }))
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Tournée</title>')
    writeFileSync(join(staticDir, 'sw.js'), 'self.addEventListener("fetch", () => {})')
    writeFileSync(join(staticDir, 'manifest.webmanifest'), '{"name":"Tournée"}')
    mkdirSync(join(staticDir, 'assets'))
    writeFileSync(join(staticDir, 'assets', 'index-3f9a1c.js'), 'console.log(1)')
    const { app } = await makeApp({ staticDir })

    const cacheControl = async (path: string) => (await app.request(path)).headers.get('cache-control')
    expect(await cacheControl('/assets/index-3f9a1c.js')).toBe('public, max-age=31536000, immutable')
    expect(await cacheControl('/sw.js')).toBe('no-cache')
    expect(await cacheControl('/manifest.webmanifest')).toBe('no-cache')
    expect(await cacheControl('/')).toBe('no-cache')
    expect(await cacheControl('/index.html')).toBe('no-cache')
    // The fallback for an app route is the shell too: revalidated.
    expect(await cacheControl('/patients')).toBe('no-cache')
    // Relay routes are never answered from the static dir.
    expect(await cacheControl('/healthz')).toBeNull()
  })
})

describe('security headers', () => {
  async function staticApp() {
    const staticDir = mkdtempSync(join(tmpdir(), 'tournee-static-'))
    cleanups.push(() => rmSync(staticDir, { recursive: true, force: true }))
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Tournée</title>')
    writeFileSync(join(staticDir, 'sw.js'), 'self.addEventListener("fetch", () => {})')
    writeFileSync(join(staticDir, 'sw.js.map'), '{"sources":["../client/src/secret.ts"]}')
    mkdirSync(join(staticDir, 'assets'))
    writeFileSync(join(staticDir, 'assets', 'index-3f9a1c.js'), 'console.log(1)')
    writeFileSync(join(staticDir, 'assets', 'index-3f9a1c.js.map'), '{"sources":[]}')
    return (await makeApp({ staticDir })).app
  }

  it.each(['/', '/patients', '/index.html', '/sw.js', '/assets/index-3f9a1c.js', '/assets/missing.js', '/healthz', '/metrics', '/v1/spaces/short', '/nope'])(
    'puts nosniff and no-referrer on %s',
    async (path) => {
      const response = await (await staticApp()).request(path, { headers: { host: 'cabinet.example.fr' } })
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/)
    },
  )

  it("gives the app's pages, bundles and service worker the app's policy, and the relay's routes a policy for data", async () => {
    const app = await staticApp()
    const policyOf = async (path: string) =>
      (await app.request(path, { headers: { host: 'relais.cabinet.fr' } })).headers.get('content-security-policy')
    const appPolicy =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; font-src 'self'; manifest-src 'self'; " +
      "worker-src 'self'; connect-src 'self' ws://relais.cabinet.fr wss://relais.cabinet.fr https://cabinet.example.fr wss://cabinet.example.fr; " +
      "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    for (const path of ['/', '/agenda/2026-03', '/sw.js', '/assets/index-3f9a1c.js']) expect(await policyOf(path)).toBe(appPolicy)
    for (const path of ['/healthz', '/metrics', `/v1/spaces/${randomId()}`]) {
      expect(await policyOf(path)).toBe("default-src 'none'; frame-ancestors 'none'")
    }
  })

  it('never puts a Host header that is not a plain host in the policy', async () => {
    const app = await staticApp()
    for (const host of ["evil.example; script-src 'unsafe-inline'", 'a b', '']) {
      const policy = (await app.request('/', { headers: { host } })).headers.get('content-security-policy') ?? ''
      expect(policy).not.toContain('unsafe-inline')
      expect(policy).toContain("connect-src 'self' https://cabinet.example.fr wss://cabinet.example.fr;")
    }
    const withPort = (await app.request('/', { headers: { host: '127.0.0.1:8080' } })).headers.get('content-security-policy')
    expect(withPort).toContain("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080 ")
  })

  it("puts them on the error handler's answer too", async () => {
    const { app, storage } = await makeApp()
    await storage.close()
    const response = await app.request(`/v1/spaces/${randomId()}`, { headers: bearer(credential()) })
    expect(response.status).toBe(500)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('serves no source map, even one left in the folder', async () => {
    const app = await staticApp()
    for (const path of ['/sw.js.map', '/assets/index-3f9a1c.js.map', '/SW.JS.MAP', '/sw.js%2Emap']) {
      const response = await app.request(path)
      expect(response.status, path).toBe(404)
      expect(await response.text()).not.toContain('sources')
    }
    expect((await app.request('/sw.js')).status).toBe(200)
  })
})

/** The env @hono/node-server gives a request from `address` (what request-client.ts reads). */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } })
const REMOTE = '203.0.113.9'

/** An app whose per-address limits run on a clock the test moves. */
async function perimeterApp(config: Partial<PerimeterConfig> = {}, overrides: Partial<AppDeps> = {}) {
  const clock = { now: 5_000_000 }
  const metrics = createRelayMetrics()
  const perimeter = new Perimeter({ config: { ...DefaultPerimeter, ...config }, logger: silentLogger, metrics, now: () => clock.now })
  return { ...(await makeApp({ metrics, perimeter, ...overrides })), clock, metrics }
}

describe('GET /metrics access', () => {
  it('serves this machine, and refuses anyone else (a proxy on this machine included) with 403', async () => {
    const { app, metrics } = await perimeterApp()
    expect((await app.request('/metrics', {}, from('127.0.0.1'))).status).toBe(200)
    expect((await app.request('/metrics', {}, from('::1'))).status).toBe(200)
    const remote = await app.request('/metrics', {}, from(REMOTE))
    expect(remote.status).toBe(403)
    expect(await remote.json()).toMatchObject({ error: expect.stringContaining('TOURNEE_METRICS_TOKEN') })
    const proxied = await app.request('/metrics', { headers: { 'x-forwarded-for': REMOTE } }, from('127.0.0.1'))
    expect(proxied.status).toBe(403)
    expect(metrics.registry.value('tournee_perimeter_refusals_total', { reason: 'metrics_not_local' })).toBe(2)
  })

  it('with a token, asks every address for it, this machine included, and throttles wrong guesses', async () => {
    const token = 'scrape-me-0123456789'
    const { app, metrics } = await perimeterApp({ failedCredentials: { burst: 2, perMinute: 6 } }, { metricsToken: token })
    const get = (address: string, authorization?: string) =>
      app.request('/metrics', { headers: authorization === undefined ? {} : { authorization } }, from(address))
    const missing = await get('127.0.0.1')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="tournee-metrics"')
    expect((await get(REMOTE, `Bearer ${token}`)).status).toBe(200)
    expect((await get('127.0.0.1', `Bearer ${token}`)).status).toBe(200)
    expect((await get(REMOTE, 'Bearer wrong-token-0123456789')).status).toBe(401)
    expect((await get(REMOTE, 'Bearer wrong-token-0123456789')).status).toBe(401)
    const throttled = await get(REMOTE, `Bearer ${token}`)
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toBe('10')
    expect(metrics.registry.value('tournee_credential_failures_total', { surface: 'metrics' })).toBe(2)
  })

  it('shows the refusals and the tracked addresses', async () => {
    const { app } = await perimeterApp()
    await app.request(`/v1/spaces/${randomId()}`, { headers: bearer(credential()) }, from(REMOTE))
    await app.request('/metrics', {}, from(REMOTE))
    const text = await (await app.request('/metrics', {}, from('127.0.0.1'))).text()
    expect(text).toContain('tournee_perimeter_refusals_total{reason="metrics_not_local"} 1')
    expect(text).toContain('tournee_perimeter_tracked_addresses 1')
  })
})

describe('failed credentials on the space routes, per address', () => {
  const config = { failedCredentials: { burst: 3, perMinute: 6 } }

  async function withSpace(overrides: Partial<AppDeps> = {}) {
    const setup = await perimeterApp(config, overrides)
    const spaceId = randomId()
    const mine = credential()
    expect((await setup.app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: bearer(mine) })).status).toBe(201)
    return { ...setup, spaceId, mine }
  }

  it('answers 429 with Retry-After once an address failed `burst` times, before checking even a right credential; then lets it in again', async () => {
    const { app, clock, spaceId, mine, metrics } = await withSpace()
    const probe = (value: string, address = REMOTE) => app.request(`/v1/spaces/${spaceId}`, { headers: bearer(value) }, from(address))
    for (let i = 0; i < 3; i++) expect((await probe(credential())).status).toBe(401)
    const throttled = await probe(mine)
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toBe('10')
    expect(await throttled.json()).toMatchObject({ error: 'Too many refused credentials from this address: retry in 10 s' })
    // The digests' and attachments' routes too: it is the address that waits.
    expect((await app.request(`/v1/spaces/${spaceId}/digests/directory`, { headers: bearer(mine) }, from(REMOTE))).status).toBe(429)
    // Another address, and this machine, are not concerned.
    expect((await probe(mine, '198.51.100.4')).status).toBe(204)
    expect((await probe(mine, '127.0.0.1')).status).toBe(204)
    clock.now += 10_000
    expect((await probe(mine)).status).toBe(204)
    expect(metrics.registry.value('tournee_credential_failures_total', { surface: 'http' })).toBe(3)
    expect(metrics.registry.value('tournee_perimeter_refusals_total', { reason: 'failed_credentials' })).toBe(2)
  })

  it('never counts a right credential', async () => {
    const { app, spaceId, mine } = await withSpace()
    for (let i = 0; i < 50; i++) expect((await app.request(`/v1/spaces/${spaceId}`, { headers: bearer(mine) }, from(REMOTE))).status).toBe(204)
  })

  it('counts a wrong guess wherever it shows: an attachment, a digest, a PUT of an existing space (409)', async () => {
    const { app, spaceId, metrics } = await withSpace({ openEnrolment: true })
    const wrong = bearer(credential())
    expect((await app.request(`/v1/spaces/${spaceId}/attachments/${'a'.repeat(64)}`, { headers: wrong }, from(REMOTE))).status).toBe(401)
    expect((await app.request(`/v1/spaces/${spaceId}/digests/directory`, { headers: wrong }, from(REMOTE))).status).toBe(401)
    expect((await app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: wrong }, from(REMOTE))).status).toBe(409)
    expect((await app.request(`/v1/spaces/${spaceId}`, { headers: wrong }, from(REMOTE))).status).toBe(429)
    expect(metrics.registry.value('tournee_credential_failures_total', { surface: 'http' })).toBe(3)
  })

  it('counts wrong enrolment secrets, and lets CORS pages read Retry-After', async () => {
    const { app } = await perimeterApp(config, { enrolmentSecret: 'the-operators-secret' })
    const put = () =>
      app.request(
        `/v1/spaces/${randomId()}`,
        { method: 'PUT', headers: { ...bearer(credential()), [ENROLMENT_HEADER]: 'a-guess-at-the-secret', origin: 'https://cabinet.example.fr' } },
        from(REMOTE),
      )
    for (let i = 0; i < 3; i++) expect((await put()).status).toBe(403)
    const throttled = await put()
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('access-control-allow-origin')).toBe('https://cabinet.example.fr')
    expect(throttled.headers.get('access-control-expose-headers')).toContain('retry-after')
  })
})

describe('space creation', () => {
  const put = (app: Awaited<ReturnType<typeof perimeterApp>>['app'], address: string, spaceId = randomId(), value = credential(), extra: Record<string, string> = {}) =>
    app.request(`/v1/spaces/${spaceId}`, { method: 'PUT', headers: { ...bearer(value), ...extra } }, from(address))

  it('is open to this machine, and closed to others unless the operator opened it or they bring the secret', async () => {
    const closed = await perimeterApp()
    expect((await put(closed.app, '127.0.0.1')).status).toBe(201)
    const refused = await put(closed.app, REMOTE)
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ field: ENROLMENT_HEADER, error: expect.stringContaining('TOURNEE_OPEN_ENROLMENT') })
    const proxied = await put(closed.app, '127.0.0.1', randomId(), credential(), { 'x-forwarded-for': REMOTE })
    expect(proxied.status).toBe(403)
    expect(closed.metrics.registry.value('tournee_perimeter_refusals_total', { reason: 'enrolment_closed' })).toBe(2)

    expect((await put((await perimeterApp({}, { openEnrolment: true })).app, REMOTE)).status).toBe(201)
    const withSecret = await perimeterApp({}, { enrolmentSecret: 'the-operators-secret' })
    expect((await put(withSecret.app, REMOTE, randomId(), credential(), { [ENROLMENT_HEADER]: 'the-operators-secret' })).status).toBe(201)
    expect((await put(withSecret.app, '127.0.0.1')).status).toBe(401)
  })

  it('is rate-limited per address; a retry of a space already there costs nothing', async () => {
    const { app, clock, storage } = await perimeterApp({ spaceCreations: { burst: 2, perHour: 6 } }, { openEnrolment: true })
    const spaceId = randomId()
    const mine = credential()
    expect((await put(app, REMOTE, spaceId, mine)).status).toBe(201)
    for (let i = 0; i < 5; i++) expect((await put(app, REMOTE, spaceId, mine)).status).toBe(200)
    expect((await put(app, REMOTE)).status).toBe(201)
    const refusedId = randomId()
    const throttled = await put(app, REMOTE, refusedId)
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toBe('600')
    expect(await storage.getCredentialHash(refusedId)).toBeNull()
    expect((await put(app, '198.51.100.4')).status).toBe(201)
    for (let i = 0; i < 10; i++) expect((await put(app, '127.0.0.1')).status).toBe(201)
    clock.now += 600_000
    expect((await put(app, REMOTE)).status).toBe(201)
  })
})
