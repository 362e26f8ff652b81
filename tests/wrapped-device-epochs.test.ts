/**
 * A device whose passkey wraps its secrets (issue 19, « A lock »; client/src/sync/device/lock/
 * at-rest.ts) through a revocation, on a real relay process: the key epoch sealed to it after the
 * revocation is wrapped with its other secrets, never kept at rest (and so is the epoch the
 * wrapped administrator makes); a copy of its registry taken
 * while locked holds no key of that epoch, no credential and no key pair; unlocked again, it reads
 * what was written under that epoch. The passkey's PRF output is 32 random bytes here (the browser
 * side, the virtual authenticator, is tests/e2e/lock.test.ts).
 */
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { randomBytes } from '../shared/src/crypto/base64url'
import { loadPractice } from '../client/src/sync/device/device'
import { revokePracticeDevice } from '../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../client/src/sync/device/registry'
import { lockAtRest, openAtRest, wrapAtRest } from '../client/src/sync/device/lock/at-rest'
import { DeviceLockedError, UnlockedKeys } from '../client/src/sync/device/lock/unlocked-keys'
import { useRelayFixture } from './helpers/relay-fixture'
import { waitFor } from './helpers/wait-for'
import { MEMBER, patientNames as names, practiceOf, writePatient as write, type Device } from './helpers/epoch-practice'

const fixture = useRelayFixture()
const PRACTICE = { name: 'Cabinet des Saules', practitioner: 'Maëlle', profession: 'kine' } as const

/** Every value of every store of the device's registry database, as a copier reads it. */
async function registryCopy(prefix: string): Promise<{ keys: number; text: string }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(`${prefix}tournee-device`)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  let keys = 0
  const texts: string[] = []
  const walk = (value: unknown): void => {
    if (value instanceof CryptoKey) keys++
    else if (typeof value === 'string') texts.push(value)
    else if (Array.isArray(value)) value.forEach(walk)
    else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) Object.values(value).forEach(walk)
  }
  try {
    for (const store of [...db.objectStoreNames]) {
      walk(
        await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction(store).objectStore(store).getAll()
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        }),
      )
    }
  } finally {
    db.close()
  }
  return { keys, text: texts.join('\n') }
}

describe('a device wrapped by its passkey through a revocation', () => {
  it('keeps the new epoch wrapped with its secrets, none of it at rest; a locked copy holds no key; unlocked, it reads under the epoch', async () => {
    const devices = await practiceOf(fixture, ['tablette-saules', 'telephone-saules', 'tablette-perdue'], [undefined, MEMBER, undefined], PRACTICE)
    const [a, b, x] = devices as [Device, Device, Device]
    const spaceId = a.p.record.spaceId
    // B joined in this session: its passkey, chosen now, wraps everything it holds, its key pairs included.
    // Another page on the same profile, without the passkey: its memory holds nothing.
    const env = { ...b.env, unlocked: new UnlockedKeys(), epochRings: new Map() }
    const prf = randomBytes(32)
    expect(await wrapAtRest(spaceId, randomBytes(16), prf, b.env)).toBe(true)
    // A, the administrator that created the practice in this session, wraps too: the rotation it makes stays wrapped.
    expect(await wrapAtRest(spaceId, randomBytes(16), randomBytes(32), a.env)).toBe(true)
    const credential = (await new DeviceRegistry(b.env.idbPrefix, b.env.unlocked).get(spaceId))!.credential
    expect(await registryCopy(b.env.idbPrefix)).toMatchObject({ keys: 0 })

    await write(a, 'Avant')
    await waitFor(async () => expect(await names(b)).toEqual(['Avant']))
    await x.p.space.destroy()
    await revokePracticeDevice(spaceId, x.p.record.deviceId, a.env)
    const aRegistry = new DeviceRegistry(a.env.idbPrefix, a.env.unlocked)
    expect((await aRegistry.heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])
    expect((await aRegistry.epochSecrets(spaceId)).map((e) => e.epoch)).toEqual([1])
    expect(await registryCopy(a.env.idbPrefix), 'the administrator keeps nothing of the epoch it made at rest').toMatchObject({ keys: 0 })
    await write(a, 'Apres-Revocation')
    // B meets an entry of epoch 1, fetches its seal and reads it: the epoch joins the wrap.
    await waitFor(async () => expect(await names(b)).toEqual(['Apres-Revocation', 'Avant']))
    const registry = new DeviceRegistry(b.env.idbPrefix, b.env.unlocked)
    expect((await registry.heldEpochs(spaceId)).map((e) => e.epoch)).toEqual([1])
    expect(await registry.heldEpochsAtRest(spaceId), 'no key of the epoch at rest').toEqual([])

    await b.p.space.destroy()
    await lockAtRest(spaceId, b.env)
    await expect(registry.get(spaceId)).rejects.toBeInstanceOf(DeviceLockedError)
    const copy = await registryCopy(b.env.idbPrefix)
    expect(copy.keys, 'not one CryptoKey: working keys, epochs and key pairs are all wrapped').toBe(0)
    expect(copy.text).not.toContain(credential)
    // A fresh page on the same profile, without the passkey, opens nothing.
    await expect(loadPractice(env)).rejects.toBeInstanceOf(DeviceLockedError)

    expect(await openAtRest(spaceId, prf, b.env)).toBe(true)
    const again = { env: b.env, p: await fixture.track(loadPractice(b.env).then((p) => p!)) }
    await waitFor(async () => expect(await names(again)).toEqual(['Apres-Revocation', 'Avant']))
    await write(again, 'Ecrit-Par-B')
    await waitFor(async () => expect(await names(a)).toEqual(['Apres-Revocation', 'Avant', 'Ecrit-Par-B']))
  })
})
