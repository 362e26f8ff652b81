/**
 * Pairing by QR code through a real relay process (issue 19): the administrator's device scans the
 * QR the joining device shows (its code and both public keys), so the joining keys are known
 * first-hand. A claim whose answer carries the scanned keys goes on as a typed one does; a relay
 * that answers the claim with other joining keys — its own, to open what gets sealed — is refused
 * at once, and nothing is sealed, whatever the person would have done with the six digits.
 *
 * The substituted answer comes from a fetch on the administrator's side that rewrites what the real
 * relay said: a hostile relay, or a network between the administrator's device and a real relay.
 */
import { describe, expect, it } from 'vitest'
import { createPractice, loadPractice, type OpenPractice } from '../client/src/sync/device/device'
import { claimPairing, JoiningPairing, PairingError, PairingFailure } from '../client/src/sync/device/pairing'
import { makeDeviceIdentity, publicKeysOf } from '../shared/src/devices/device-identity'
import { decodePairingQr } from '../shared/src/devices/pairing-qr'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { useRelayFixture } from './helpers/relay-fixture'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const POLL_MS = 20

async function adminDevice(name: string, fetchImpl?: typeof fetch): Promise<{ admin: OpenPractice; env: ReturnType<typeof nodeDeviceEnvironment> }> {
  const env = { ...nodeDeviceEnvironment(name), ...(fetchImpl ? { fetchImpl } : {}) }
  const admin = await fixture.track(
    createPractice({ relayUrl: fixture.relay.url, practiceName: 'Cabinet des Tilleuls', practitioner: { displayName: 'Maëlys', profession: 'kine' } }, env),
  )
  return { admin, env }
}

/** How many sealed payloads the relay logged so far (one relay serves the whole file). */
function sealedInLog(): number {
  return fixture.relay.logs.filter((line) => line.includes('pairing_sealed')).length
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
}

/**
 * The administrator's fetch: claim answers get their joining keys replaced by `joining`, and every
 * request that would leave a sealed payload on the relay is counted.
 */
function substitutingFetch(joining: { agree: string; sign: string }, sealAttempts: string[]): typeof fetch {
  return async (input, init) => {
    const url = urlOf(input)
    if (/\/pairings\/[0-9A-Z]{10}\/sealed$/.test(url)) sealAttempts.push(url)
    const response = await fetch(input, init)
    if (!/\/pairings\/[0-9A-Z]{10}\/claim$/.test(url) || response.status !== 200) return response
    const outcome = (await response.json()) as Record<string, unknown>
    const rewritten = outcome.outcome === 'claimed' ? { ...outcome, joining } : outcome
    return new Response(JSON.stringify(rewritten), { status: 200, headers: { 'content-type': 'application/json' } })
  }
}

describe('pairing by QR code through the relay mailbox', () => {
  it('joins from a scanned QR: the claimed keys are the scanned ones, the digits match', async () => {
    const { admin, env } = await adminDevice('tablette-qr')
    const joiningEnv = nodeDeviceEnvironment('telephone-qr')
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    let shownOnJoining: string | null = null
    const joined = pairing.wait({ pollMs: POLL_MS, onConfirmation: (code) => (shownOnJoining = code) })

    const scanned = decodePairingQr(pairing.qrText())
    expect(scanned).toEqual({ code: pairing.code, joining: pairing.keys })
    const claimed = await claimPairing(admin.record.spaceId, scanned, env)
    expect(claimed.scanned).toBe(true)
    await waitFor(() => expect(shownOnJoining).not.toBeNull())
    expect(shownOnJoining).toBe(claimed.confirmation)

    await claimed.accept()
    const b = await fixture.track(joined)
    expect(b.record.spaceId).toBe(admin.record.spaceId)
  })

  it('refuses a claim whose joining keys the relay substituted, and seals nothing', async () => {
    const intruder = await publicKeysOf(await makeDeviceIdentity())
    const sealAttempts: string[] = []
    const { admin, env } = await adminDevice('tablette-qr-interceptee', substitutingFetch(intruder, sealAttempts))
    const sealedBefore = sealedInLog()
    const joiningEnv = nodeDeviceEnvironment('telephone-qr-intercepte')
    const pairing = await JoiningPairing.open(fixture.relay.url, joiningEnv)
    const joined = pairing.wait({ pollMs: POLL_MS })

    const failure = await claimPairing(admin.record.spaceId, decodePairingQr(pairing.qrText()), env).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(PairingError)
    expect(failure).toMatchObject({ failure: PairingFailure.KeysMismatch })

    // The refusal reached the joining device (the relay here is honest about it), which stored nothing.
    await expect(joined).rejects.toMatchObject({ failure: PairingFailure.Refused })
    expect(await loadPractice(joiningEnv)).toBeNull()
    expect(sealAttempts).toEqual([])
    expect(sealedInLog()).toBe(sealedBefore)
  })

  it('a typed code cannot tell: the same substitution is claimed, and only the digits differ', async () => {
    // What the QR adds: with the code typed, the administrator's device has only the relay's word
    // for the joining keys, and the six digits compared by eye are the only defence left.
    const intruder = await publicKeysOf(await makeDeviceIdentity())
    const { admin, env } = await adminDevice('tablette-saisie-interceptee', substitutingFetch(intruder, []))
    const pairing = await JoiningPairing.open(fixture.relay.url, nodeDeviceEnvironment('telephone-saisie-intercepte'))
    let shownOnJoining: string | null = null
    const joined = pairing.wait({ pollMs: POLL_MS, onConfirmation: (code) => (shownOnJoining = code) })
    const claimed = await claimPairing(admin.record.spaceId, pairing.code, env)
    expect(claimed.scanned).toBe(false)
    await waitFor(() => expect(shownOnJoining).not.toBeNull())
    expect(shownOnJoining).not.toBe(claimed.confirmation)
    await claimed.refuse()
    await expect(joined).rejects.toMatchObject({ failure: PairingFailure.Refused })
  })
})
