/**
 * Issue 18's brute force, against a real relay process behind a (simulated) trusted proxy: one
 * address sends 3,000 wrong credentials over HTTP and 1,000 over WebSocket. It is throttled to its
 * allowance with 429 and Retry-After; other addresses and the practice's devices carry on; the
 * address is let in again once it waits; nothing of a credential reaches the log.
 *
 * Addresses are posed through X-Forwarded-For (TOURNEE_TRUST_PROXY=1): the test runs on loopback,
 * which the per-address limits leave alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPractice, type OpenPractice } from '../client/src/sync/device/device'
import { randomBytes, randomId, toBase64Url } from '../shared/src/crypto/base64url'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { TEST_ROOM_ID, upgradeAnswer } from '../relay/src/test-support/sync-test-client'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const ATTACKER = '203.0.113.66'
const HONEST = '198.51.100.4'
const BURST = 20
const METRICS_TOKEN = 'prometheus-scrape-0123456789'
const aliceEnv = nodeDeviceEnvironment('alice')

let relay: RelayProcess
let alice: OpenPractice
let bob: OpenPractice
let spaceId: string
let credential: string

beforeAll(async () => {
  relay = await startRelayProcess({
    env: {
      TOURNEE_TRUST_PROXY: '1',
      TOURNEE_FAILED_AUTH_BURST: String(BURST),
      // A failure back every second: the attacker's wait is short enough to watch.
      TOURNEE_FAILED_AUTH_PER_MINUTE: '60',
      TOURNEE_METRICS_TOKEN: METRICS_TOKEN,
    },
  })
  alice = await createPractice(
    { relayUrl: relay.url, practiceName: 'Cabinet des Tilleuls', practitioner: { displayName: 'Alice', profession: 'medecin' } },
    aliceEnv,
  )
  const pairing = await pairingTicket(alice.record.spaceId, aliceEnv)
  bob = await joinWith(pairing, nodeDeviceEnvironment('bob'))
  ;({ spaceId, credential } = decodePairingCode(pairing.code))
})

afterAll(async () => {
  await alice?.space.destroy()
  await bob?.space.destroy()
  await relay?.dispose()
})

const wrongCredential = () => toBase64Url(randomBytes(32))
const as = (address: string) => ({ 'x-forwarded-for': address })
const syncUrl = () => `ws://127.0.0.1:${relay.port}/v1/sync/${spaceId}/${TEST_ROOM_ID}`
const protocolsFor = (value: string) => [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + value]

function probe(value: string, address: string): Promise<Response> {
  return fetch(`${relay.url}/v1/spaces/${spaceId}`, { headers: { authorization: `Bearer ${value}`, ...as(address) } })
}

/** Runs `count` calls, `parallel` at a time, and tallies what they answered. */
async function tally(count: number, parallel: number, call: () => Promise<{ status: number; retryAfter: string | undefined }>) {
  const statuses = new Map<number, number>()
  const retryAfters = new Set<string | undefined>()
  for (let done = 0; done < count; done += parallel) {
    const answers = await Promise.all(Array.from({ length: Math.min(parallel, count - done) }, call))
    for (const answer of answers) {
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
      if (answer.status === 429) retryAfters.add(answer.retryAfter)
    }
  }
  return { statuses, retryAfters }
}

describe('brute force from one address', () => {
  const wrongSeen: string[] = []

  it('3,000 wrong credentials over HTTP and 1,000 over WebSocket: throttled to the allowance, 429 with Retry-After; everyone else carries on', async () => {
    const http = await tally(3000, 50, async () => {
      const value = wrongCredential()
      wrongSeen.push(value)
      const response = await probe(value, ATTACKER)
      await response.body?.cancel()
      return { status: response.status, retryAfter: response.headers.get('retry-after') ?? undefined }
    })
    const sockets = await tally(1000, 25, async () => {
      const value = wrongCredential()
      wrongSeen.push(value)
      const answer = await upgradeAnswer(syncUrl(), protocolsFor(value), as(ATTACKER))
      const retryAfter = answer.headers['retry-after']
      return { status: answer.status, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter }
    })
    const refusedCredentials = (http.statuses.get(401) ?? 0) + (sockets.statuses.get(401) ?? 0)
    const throttled = (http.statuses.get(429) ?? 0) + (sockets.statuses.get(429) ?? 0)
    // The burst, plus one a second while the attack lasted: a few dozen checks out of 4,000.
    expect(refusedCredentials).toBeGreaterThanOrEqual(BURST)
    expect(refusedCredentials).toBeLessThan(BURST + 60)
    expect(throttled + refusedCredentials).toBe(4000)
    for (const retryAfter of [...http.retryAfters, ...sockets.retryAfters]) expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)

    // Another address with the right credential, over HTTP and WebSocket: not concerned.
    expect((await probe(credential, HONEST)).status).toBe(204)
    expect((await upgradeAnswer(syncUrl(), protocolsFor(credential), as(HONEST))).status).toBe(101)
    // The practice's devices still sync.
    const directory = await alice.space.openDoc(DIRECTORY_DOC_ID)
    addPatient(directory, { birthName: 'Vasseur', firstNames: 'Hortense' }, { deviceId: alice.record.deviceId, memberId: 'alice' }, testClock)
    const seen = await bob.space.openDoc(DIRECTORY_DOC_ID)
    await waitFor(() => expect(listPatients(seen).items.map((p) => p.birthName)).toContain('Vasseur'), { timeoutMs: 30_000 })
  })

  it('lets the address in with the right credential once it waited Retry-After', async () => {
    // The bucket refills one failure a second, and the previous test's end (Bob syncing) takes
    // more than that on a loaded machine: the address empties it again first, so that the right
    // credential meets a throttled address whatever the previous test cost.
    const refused = await waitFor(async () => {
      for (let i = 0; i <= BURST; i++) {
        const value = wrongCredential()
        wrongSeen.push(value)
        const wrong = await probe(value, ATTACKER)
        await wrong.body?.cancel()
        if (wrong.status === 429) break
      }
      const answer = await probe(credential, ATTACKER)
      expect(answer.status).toBe(429)
      return answer
    })
    const wait = Number(refused.headers.get('retry-after'))
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(60)
    await waitFor(async () => expect((await probe(credential, ATTACKER)).status).toBe(204), { timeoutMs: (wait + 5) * 1000, intervalMs: 250 })
  })

  it('counts it on /metrics (behind the token), and logs it in a few lines with no credential in them', async () => {
    const metrics = await fetch(`${relay.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(metrics.status).toBe(200)
    const text = await metrics.text()
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN)
    expect(value('tournee_perimeter_refusals_total{reason="failed_credentials"}')).toBeGreaterThanOrEqual(3900)
    expect(value('tournee_upgrades_refused_total{reason="throttled"}')).toBeGreaterThanOrEqual(900)
    expect(value('tournee_credential_failures_total{surface="http"}')).toBeGreaterThanOrEqual(BURST)

    const log = relay.logs.join('\n')
    const attackerLines = relay.logs.filter((line) => line.includes(ATTACKER))
    expect(attackerLines.length).toBeGreaterThan(0)
    expect(attackerLines.length).toBeLessThan(100)
    expect(log).not.toContain(credential)
    expect(log).not.toContain(METRICS_TOKEN)
    for (const value of wrongSeen) expect(log.includes(value), 'a refused credential in the log').toBe(false)
  })
})

describe('through the proxy', () => {
  it('/metrics needs the token from every address', async () => {
    expect((await fetch(`${relay.url}/metrics`)).status).toBe(401)
    expect((await fetch(`${relay.url}/metrics`, { headers: as(HONEST) })).status).toBe(401)
    expect((await fetch(`${relay.url}/metrics`, { headers: { ...as(HONEST), authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200)
  })

  it('creates no practice for a client beyond this machine without the enrolment secret; this machine still may', async () => {
    const put = (headers: Record<string, string>) =>
      fetch(`${relay.url}/v1/spaces/${randomId()}`, { method: 'PUT', headers: { authorization: `Bearer ${wrongCredential()}`, ...headers } })
    const refused = await put(as(HONEST))
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: string }).error).toContain('TOURNEE_ENROLMENT_SECRET')
    expect((await put({})).status).toBe(201)
  })

  it('answers a refused upgrade and every HTTP answer with nosniff and no-referrer', async () => {
    const refused = await upgradeAnswer(syncUrl(), protocolsFor(wrongCredential()))
    expect(refused.status).toBe(401)
    expect(refused.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' })
    const health = await fetch(`${relay.url}/healthz`)
    expect(health.headers.get('x-content-type-options')).toBe('nosniff')
    expect(health.headers.get('referrer-policy')).toBe('no-referrer')
    expect(health.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
  })
})
