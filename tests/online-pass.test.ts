/**
 * What an open practice asks the relay for when it comes online, through a real relay process
 * (client/src/sync/device/device.ts, the online pass; registry-read.ts): an administrator's device
 * reads and verifies the practice's device registry once for the whole pass — role and grant
 * (role-change.ts), the entries a restored relay lacks (registry-repair.ts), the key epoch a
 * revocation calls for (key-epochs-sync.ts ensureKeyEpoch), the locums whose end passed; a
 * device asks for a key grant it could wrap only where a passkey is there to wrap it
 * (key-grants-sync.ts grantCanHelp); a secretary's device opening its practice reads the registry
 * once.
 */
import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'
import { loadPractice, type DeviceEnvironment } from '../client/src/sync/device/device'
import { sendKeyGrant } from '../client/src/sync/device/key-grants-sync'
import { canWrapAtRest } from '../client/src/sync/device/lock/at-rest'
import { choosePasskey, choosePin } from '../client/src/sync/device/lock/device-lock'
import type { PasskeyPlatform } from '../client/src/sync/device/lock/passkey'
import { UnlockedKeys } from '../client/src/sync/device/lock/unlocked-keys'
import { revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { ConnectionStatus } from '../client/src/sync/sync-state'
import { DeviceRole } from '../shared/src/devices/registry-chain'
import { MEMBER, practiceOf, writePatient, type Device } from './helpers/epoch-practice'
import { useRelayFixture } from './helpers/relay-fixture'
import { waitFor } from './helpers/wait-for'

const fixture = useRelayFixture()
const PRACTICE = { name: 'Cabinet du Passage', practitioner: 'Solenn', profession: 'kine' } as const
const SECRETARY = { role: DeviceRole.Secretariat, admin: false, until: null }

/** The requests a device sends through its fetch (`env.fetchImpl`), as « METHOD /last-path-segment », from now on. */
function countRequests(env: DeviceEnvironment): { count(request: string): number } {
  const sent: string[] = []
  const given = env.fetchImpl ?? fetch
  env.fetchImpl = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    sent.push(`${init?.method ?? 'GET'} /${url.pathname.split('/').at(-1)}`)
    return given(input, init)
  }
  return { count: (request) => sent.filter((r) => r === request).length }
}

/** Restarts the relay and waits until every one of `devices` went offline and is online again. */
async function reconnected(devices: readonly Device[]): Promise<void> {
  const wentOffline = devices.map(() => false)
  const unsubscribe = devices.map((d, i) =>
    d.p.space.subscribe(() => {
      if (d.p.space.getSyncState().status !== ConnectionStatus.Online) wentOffline[i] = true
    }),
  )
  await fixture.relay.restart()
  for (const [i, d] of devices.entries()) await waitFor(() => expect(wentOffline[i] && d.p.space.getSyncState().status === ConnectionStatus.Online).toBe(true))
  for (const stop of unsubscribe) stop()
}

/** `d`'s device in a later session: nothing of the session it joined in held in memory; its practice opened again. */
async function laterSession(d: Device): Promise<Device> {
  await d.p.space.destroy()
  const env: DeviceEnvironment = { ...d.env, unlocked: new UnlockedKeys(), epochRings: new Map() }
  return { env, p: await fixture.track(loadPractice(env).then((p) => p!)) }
}

/**
 * A platform authenticator as WebAuthn gives it at creation, PRF enabled (Node has none): what
 * choosePasskey keeps of it is the lock record, the one thing these tests need.
 */
function platformAuthenticator(): PasskeyPlatform {
  const credentialId = crypto.getRandomValues(new Uint8Array(16))
  return {
    origin: 'https://cabinet.example.fr',
    rpId: 'cabinet.example.fr',
    platformAuthenticator: async () => true,
    credentials: {
      create: async () => ({ type: 'public-key', rawId: credentialId.slice().buffer, response: {}, getClientExtensionResults: () => ({ prf: { enabled: true } }) }) as unknown as Credential,
      get: async () => null,
    },
  }
}

describe('an online pass', () => {
  it('of an administrator’s device reads the registry once: role and grant, entries to send back, key epoch, ended locums', async () => {
    const [admin] = (await practiceOf(fixture, ['tablette-passage', 'telephone-passage'], [undefined, MEMBER], PRACTICE)) as [Device, Device]
    await waitFor(() => expect(admin.p.space.getSyncState().status).toBe(ConnectionStatus.Online))
    await admin.p.role!.settled()
    const requests = countRequests(admin.env)
    await reconnected([admin])
    // The pass's last requests: the key epochs, for the rotation a revocation would call for
    // (ensureKeyEpoch), then for the seals addressed to this device (refreshKeyEpochsOf).
    await waitFor(() => expect(requests.count('GET /epochs')).toBeGreaterThanOrEqual(2))
    await admin.p.role!.settled()
    expect(requests.count('GET /devices')).toBe(1)
  })

  it('asks for a key grant its device could wrap only where a passkey is there to wrap it', async () => {
    const [admin, ...members] = (await practiceOf(fixture, ['tablette-passage', 'sans-verrou', 'code-pin', 'cle-acces'], [undefined, MEMBER, MEMBER, MEMBER], PRACTICE)) as Device[]
    const spaceId = admin!.p.record.spaceId
    // Later sessions: each holds only non-extractable keys, nothing its lock could wrap.
    const [none, pin, passkey] = (await Promise.all(members.map((d) => laterSession(d)))) as [Device, Device, Device]
    await choosePin(spaceId, '482913', { ...pin.env, pinIterations: 1_000 })
    expect(await choosePasskey(spaceId, PRACTICE.name, { ...passkey.env, passkeys: platformAuthenticator() })).toMatchObject({ method: 'passkey', wrapped: false, unwrappable: true })
    // « Renvoyer les clés » for the device whose passkey wraps nothing, while its practice is open.
    await sendKeyGrant(spaceId, passkey.p.record.deviceId, admin!.env)
    const counted = [none, pin, passkey].map((d) => ({ d, requests: countRequests(d.env) }))
    await reconnected([none, pin, passkey])
    const asked: number[] = []
    for (const { d, requests } of counted) {
      await waitFor(() => expect(requests.count('GET /devices')).toBeGreaterThan(0))
      await d.p.role!.settled()
      asked.push(requests.count('GET /grant'))
    }
    // Without a lock, or with a PIN (which wraps nothing), no grant can help: none asked for. The
    // device with a passkey asks, takes it, and can wrap its keys now.
    expect(asked).toEqual([0, 0, 1])
    expect(await canWrapAtRest(spaceId, passkey.env)).toBe(true)
  })

  it('of a secretary’s device opening its practice after a rotation reads the registry once', async () => {
    const [admin, secretary, lost] = (await practiceOf(fixture, ['tablette-passage', 'accueil-passage', 'perdu-passage'], [undefined, SECRETARY, MEMBER], PRACTICE)) as [Device, Device, Device]
    const spaceId = admin.p.record.spaceId
    await secretary.p.space.destroy()
    await lost.p.space.destroy()
    // A rotation the secretary's device was away for: a seal to open before its rooms do.
    await revokePracticeDevice(spaceId, lost.p.record.deviceId, admin.env)
    await writePatient(admin, 'Après-Rotation')
    const env: DeviceEnvironment = { ...secretary.env, unlocked: new UnlockedKeys(), epochRings: new Map() }
    const requests = countRequests(env)
    const reopened: Device = { env, p: await fixture.track(loadPractice(env).then((p) => p!)) }
    await waitFor(() => expect(reopened.p.space.getSyncState().status).toBe(ConnectionStatus.Online))
    // Its pass: the seals again (refreshKeyEpochsOf), and the registry for its role.
    await waitFor(() => expect(requests.count('GET /epochs')).toBeGreaterThanOrEqual(2))
    await waitFor(() => expect(requests.count('GET /devices')).toBeGreaterThan(0))
    await reopened.p.role!.settled()
    // One read: the seal of epoch 1 checked before the rooms open, and the first online pass's role check, on the same.
    expect(requests.count('GET /devices')).toBe(1)
  })

  it('of a practice closed while it runs stops there: nothing more asked of the relay, nothing warned', async () => {
    const [admin] = (await practiceOf(fixture, ['tablette-passage', 'telephone-passage'], [undefined, MEMBER], PRACTICE)) as [Device, Device]
    await waitFor(() => expect(admin.p.space.getSyncState().status).toBe(ConnectionStatus.Online))
    await admin.p.role!.settled()
    // The pass's registry read is held until the practice has closed.
    const sent: string[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const given = admin.env.fetchImpl ?? fetch
    admin.env.fetchImpl = async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
      const request = `${init?.method ?? 'GET'} /${url.pathname.split('/').at(-1)}`
      sent.push(request)
      if (request === 'GET /devices') await held
      return given(input, init)
    }
    const warn = vi.spyOn(console, 'warn')
    try {
      await fixture.relay.restart()
      await waitFor(() => expect(sent).toContain('GET /devices'))
      await admin.p.space.destroy()
      const atClose = sent.length
      release()
      await admin.p.role!.settled()
      // Open, the pass would go on to the key epochs (ensureKeyEpoch, refreshKeyEpochsOf) at once.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(sent.slice(atClose)).toEqual([])
      expect(warn.mock.calls.filter(([message]) => String(message).startsWith('Could not'))).toEqual([])
    } finally {
      warn.mockRestore()
      release()
    }
  })
})
