/**
 * Pairing a device through a real relay process (issue 19): the joining device shows a code, an
 * administrator's device claims it, both compute the same six digits, the administrator accepts,
 * and the joining device opens the sealed payload and joins. Nothing that reads the practice ever
 * crosses the wire or the relay's log in clear, and a pairing that is refused, altered on the way
 * or given admin keys other than the confirmed ones ends with a named error and stores nothing.
 *
 * The altered answers come from a fetch that rewrites what the relay said: a hostile relay or
 * network between the joining device and a real relay.
 */
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, loadPractice, type OpenPractice } from '../client/src/sync/device/device'
import { claimPairing, JoiningPairing, PairingError, PairingFailure, UNAVAILABLE_MAX_DELAY_MS } from '../client/src/sync/device/pairing'
import { PAIRING_TTL_MS } from '../shared/src/devices/pairing-wire'
import { toBase64Url, fromBase64Url } from '../shared/src/crypto/base64url'
import { makeDeviceIdentity, publicKeysOf } from '../shared/src/devices/device-identity'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { addPatient, listPatients } from '../shared/src/model/patients'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { testClock } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const POLL_MS = 20

async function adminDevice(): Promise<{ admin: OpenPractice; env: ReturnType<typeof nodeDeviceEnvironment> }> {
  const env = nodeDeviceEnvironment('tablette-admin')
  const admin = await fixture.track(
    createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet des Ormeaux', practitioner: { displayName: 'Camille', profession: 'kine' } }, env),
  )
  addPatient(await admin.space.openDoc(DIRECTORY_DOC_ID), { birthName: 'Vandermolen', firstNames: 'Aurélie' }, actorOf(admin), testClock)
  await admin.space.whenAcknowledged()
  return { admin, env }
}

/** A fetch that hands the joining device's GET answers through `rewrite` first. */
function rewritingFetch(rewrite: (state: Record<string, unknown>) => Promise<Record<string, unknown>>): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if ((init?.method ?? 'GET') !== 'GET' || !/\/v1\/pairings\/[0-9A-Z]{10}$/.test(url) || response.status !== 200) return response
    const state = (await response.json()) as Record<string, unknown>
    return new Response(JSON.stringify(await rewrite(state)), { status: 200, headers: { 'content-type': 'application/json' } })
  }
}

describe('pairing a device through the relay mailbox', () => {
  it('joins with the same six digits on both screens, and nothing readable crosses the relay', async () => {
    const { admin, env } = await adminDevice()
    const joiningEnv = nodeDeviceEnvironment('telephone')
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    expect(pairing.code).toMatch(/^[0-9A-Z]{10}$/)

    let shownOnJoining: string | null = null
    const joined = pairing.wait({ pollMs: POLL_MS, onConfirmation: (code) => (shownOnJoining = code) })
    // The administrator types the code as a person would: grouped, lower case.
    const claimed = await claimPairing(admin.record.spaceId, `${pairing.code.slice(0, 5)}-${pairing.code.slice(5)}`.toLowerCase(), env)
    await waitFor(() => expect(shownOnJoining).not.toBeNull())
    expect(shownOnJoining).toBe(claimed.confirmation)
    expect(claimed.confirmation).toMatch(/^\d{6}$/)

    await claimed.accept()
    const b = await fixture.track(joined)
    expect(b.record.spaceId).toBe(admin.record.spaceId)
    await waitFor(async () => expect(listPatients(await b.space.openDoc(DIRECTORY_DOC_ID)).items.map((p) => p.birthName)).toEqual(['Vandermolen']))

    // The root secret and the credential never reached the relay's log.
    const { rootSecret, tiers, credential } = decodePairingCode(await getPairingCode(admin.record.spaceId, env))
    const log = fixture.relay.logs.join('\n')
    expect(log).toContain('pairing_sealed')
    expect(rootSecret).not.toBeNull()
    for (const secret of [rootSecret!, tiers.practice, tiers.clinical!]) expect(log).not.toContain(toBase64Url(secret))
    expect(log).not.toContain(credential)
  })

  it('refuses a sealed payload altered on the way, and stores nothing', async () => {
    const { admin, env } = await adminDevice()
    const joiningEnv = {
      ...nodeDeviceEnvironment('telephone-altere'),
      fetchImpl: rewritingFetch(async (state) => {
        if (state.state !== 'sealed') return state
        const bytes = fromBase64Url(state.sealed as string)
        bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 1
        return { ...state, sealed: toBase64Url(bytes) }
      }),
    }
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    const joined = pairing.wait({ pollMs: POLL_MS })
    const claimed = await claimPairing(admin.record.spaceId, pairing.code, env)
    await claimed.accept()
    await expect(joined).rejects.toMatchObject({ name: 'PairingError', failure: PairingFailure.Tampered })
    expect(await loadPractice(joiningEnv)).toBeNull()
  })

  it('shows different digits when the relay substitutes the admin keys, and the payload does not open', async () => {
    const { admin, env } = await adminDevice()
    const intruder = await publicKeysOf(await makeDeviceIdentity())
    const joiningEnv = {
      ...nodeDeviceEnvironment('telephone-intercepte'),
      fetchImpl: rewritingFetch(async (state) => ('admin' in state ? { ...state, admin: intruder } : state)),
    }
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    let shownOnJoining: string | null = null
    const joined = pairing.wait({ pollMs: POLL_MS, onConfirmation: (code) => (shownOnJoining = code) })
    const claimed = await claimPairing(admin.record.spaceId, pairing.code, env)
    await waitFor(() => expect(shownOnJoining).not.toBeNull())
    expect(shownOnJoining).not.toBe(claimed.confirmation)
    // An administrator who accepts anyway still does not let the substitution in.
    await claimed.accept()
    const failure = await joined.catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(PairingError)
    expect(failure).toMatchObject({ failure: PairingFailure.Tampered })
    expect(await loadPractice(joiningEnv)).toBeNull()
  })

  it('tells the joining device that the administrator refused, or that the code is gone', async () => {
    const { admin, env } = await adminDevice()
    const joiningEnv = nodeDeviceEnvironment('telephone-refuse')
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    const joined = pairing.wait({ pollMs: POLL_MS })
    const claimed = await claimPairing(admin.record.spaceId, pairing.code, env)
    await claimed.refuse()
    await expect(joined).rejects.toMatchObject({ failure: PairingFailure.Refused })
    expect(await loadPractice(joiningEnv)).toBeNull()

    // A code nobody opened, or one already used: the administrator's device is told so.
    await expect(claimPairing(admin.record.spaceId, pairing.code, env)).rejects.toMatchObject({ failure: PairingFailure.UnknownCode })
    await expect(claimPairing(admin.record.spaceId, 'pas un code', env)).rejects.toMatchObject({ failure: PairingFailure.UnknownCode })

    // The joining device gave up: a late claim finds nothing.
    const second = await JoiningPairing.open(fixture.relay.url, nodeDeviceEnvironment('telephone-abandon'))
    const controller = new AbortController()
    const waiting = second.wait({ pollMs: POLL_MS, signal: controller.signal })
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ failure: PairingFailure.Cancelled })
    await expect(claimPairing(admin.record.spaceId, second.code, env)).rejects.toMatchObject({ failure: PairingFailure.UnknownCode })
  })
})

/**
 * What stands between the joining device and the relay while nodes restart: a reverse proxy whose
 * upstream is down answers 502/503 (or the network fails outright), one that throttles answers
 * 429. `outage` says, for each of the joining device's polls in turn, what it meets instead of the
 * real relay's answer ('pass': the relay's answer).
 */
type Outage = 'pass' | 503 | 429 | 410 | 'network'
function unreliableFetch(outage: (poll: number) => Outage): typeof fetch {
  let polls = 0
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if ((init?.method ?? 'GET') !== 'GET' || !/\/v1\/pairings\/[0-9A-Z]{10}$/.test(url)) return fetch(input, init)
    const met = outage(polls++)
    if (met === 'pass') return fetch(input, init)
    if (met === 'network') throw new TypeError('fetch failed')
    const headers: Record<string, string> = met === 429 ? { 'retry-after': '3' } : {}
    return new Response(met === 503 ? 'upstream restarting' : null, { status: met, headers })
  }
}

/**
 * The device's clock for the retry tests: it stands still but for the waits the device asks for,
 * which it records and passes at once. Expiry is then reached in a few milliseconds, and what
 * the device waited is known exactly.
 */
function steppedClock(): { now: () => number; waits: number[]; sleep: (ms: number) => Promise<void> } {
  let at = 1_800_000_000_000
  const waits: number[] = []
  return {
    now: () => at,
    waits,
    sleep: async (ms) => {
      waits.push(ms)
      at += ms
      await new Promise((resolve) => setTimeout(resolve, 5))
    },
  }
}

describe('a joining device while the relay cannot answer (a node restarting, a throttle)', () => {
  it('keeps asking through 503s, a failed network and a 429 (waiting its Retry-After), says so, and joins', async () => {
    const { admin, env } = await adminDevice()
    const clock = steppedClock()
    const met: Outage[] = [503, 503, 'network', 429]
    const joiningEnv = { ...nodeDeviceEnvironment('telephone-relais-redemarre'), now: clock.now, fetchImpl: unreliableFetch((poll) => met[poll] ?? 'pass') }
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    const told: boolean[] = []
    const joined = pairing.wait({ pollMs: POLL_MS, sleep: clock.sleep, onRelayUnavailable: (unavailable) => told.push(unavailable) })
    // Past the outage (the device polls on, answered by the relay) an administrator accepts.
    await waitFor(() => expect(clock.waits.length).toBeGreaterThan(met.length))
    const claimed = await claimPairing(admin.record.spaceId, pairing.code, env)
    await claimed.accept()
    const b = await fixture.track(joined)
    expect(b.record.spaceId).toBe(admin.record.spaceId)
    // Told once that the relay is unreachable, once that it answers again.
    expect(told).toEqual([true, false])
    // Backoff from the poll period, with jitter; the 429's Retry-After (3 s) as the relay asked.
    const [first, second, third, fourth] = clock.waits
    expect(first).toBeGreaterThanOrEqual(POLL_MS / 2)
    expect(first).toBeLessThanOrEqual(POLL_MS)
    expect(second).toBeGreaterThanOrEqual(POLL_MS)
    expect(third).toBeGreaterThanOrEqual(2 * POLL_MS)
    expect(fourth).toBe(3000)
  })

  it('fails as expired, storing nothing, when the relay stays unreachable until the pairing has expired', async () => {
    const clock = steppedClock()
    let polls = 0
    const joiningEnv = {
      ...nodeDeviceEnvironment('telephone-relais-absent'),
      now: clock.now,
      fetchImpl: unreliableFetch(() => {
        polls++
        return 503
      }),
    }
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    const waiting = pairing.wait({ pollMs: POLL_MS, sleep: clock.sleep })
    await expect(waiting).rejects.toMatchObject({ name: 'PairingError', failure: PairingFailure.Expired })
    // It asked until the pairing's lifetime had passed on its clock, and not a wait longer.
    expect(clock.waits.reduce((sum, ms) => sum + ms, 0)).toBe(PAIRING_TTL_MS)
    expect(Math.max(...clock.waits)).toBeLessThanOrEqual(UNAVAILABLE_MAX_DELAY_MS)
    expect(polls).toBe(clock.waits.length + 1)
    expect(await loadPractice(joiningEnv)).toBeNull()
    await pairing.cancel()
  })

  it('fails at once on an answer that says the pairing is gone (410 from the way, 404 from the relay)', async () => {
    const clock = steppedClock()
    const gone = await JoiningPairing.open(fixture.relay.url, { ...nodeDeviceEnvironment('telephone-410'), now: clock.now, fetchImpl: unreliableFetch(() => 410) })
    await expect(gone.wait({ pollMs: POLL_MS, sleep: clock.sleep })).rejects.toMatchObject({ failure: PairingFailure.Expired })
    expect(clock.waits).toEqual([])
    await gone.cancel()

    // The relay itself forgot the pairing: its 404 ends the wait without a retry.
    const forgotten = await JoiningPairing.open(fixture.relay.url, { ...nodeDeviceEnvironment('telephone-404'), now: clock.now })
    await forgotten.cancel()
    await expect(forgotten.wait({ pollMs: POLL_MS, sleep: clock.sleep })).rejects.toMatchObject({ failure: PairingFailure.Expired })
    expect(clock.waits).toEqual([])
  })
})
