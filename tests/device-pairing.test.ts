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
import { claimPairing, JoiningPairing, PairingError, PairingFailure } from '../client/src/sync/device/pairing'
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
