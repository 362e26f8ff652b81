/**
 * The device's lock on fake-indexeddb, with an injected clock: a PIN's attempts counted before
 * each check and kept across "reloads", the waits, the practice forgotten at the fifth failure
 * (every database of it deleted, another practice's left alone), no database made to say "no
 * lock", and a locked device that opens nothing at start.
 */
import { describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../../../../../shared/src/crypto/base64url'
import { deriveDeviceKeys } from '../device-keys'
import { DeviceRegistry } from '../registry'
import {
  choosePin,
  forgetPractice,
  NoPinLockError,
  readLock,
  removeLock,
  startDevice,
  unlockWithPin,
  type LockEnvironment,
} from './device-lock'
import { LockStore, LockStoreError, lockDatabaseName } from './lock-store'
import { toBase64Url } from '../../../../../shared/src/crypto/base64url'
import { deriveTierSecrets } from '../../../../../shared/src/crypto/space-keys'
import { holdSessionSecrets } from './at-rest'
import { practiceRecord } from '../../test-support/practice-record'
import { choosePasskey, lockKeys, unlockWithPasskey } from './device-lock'
import type { PasskeyPlatform } from './passkey'
import { DeviceLockedError, UnlockedKeys } from './unlocked-keys'

const T0 = Date.UTC(2026, 10, 18, 9)

function environment(): LockEnvironment & { idbPrefix: string; at: (ms: number) => void } {
  let now = T0
  return { idbPrefix: `lock-${randomId(6)}-`, now: () => now, pinIterations: 1_000, at: (ms) => void (now = T0 + ms) }
}

async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((db) => db.name ?? '')
}

function createDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1)
    request.onupgradeneeded = () => request.result.createObjectStore('updates', { autoIncrement: true })
    request.onsuccess = () => {
      request.result.close()
      resolve()
    }
    request.onerror = () => reject(request.error)
  })
}

/** A device's registry holding `spaceId`, as pairing leaves it. */
async function pairedWith(prefix: string, spaceId: string): Promise<void> {
  await new DeviceRegistry(prefix).put(practiceRecord(spaceId, await deriveDeviceKeys(spaceId, { practice: randomBytes(32), clinical: randomBytes(32) })))
}

describe('the lock record', () => {
  it('is not created to say there is no lock', async () => {
    const env = environment()
    expect(await readLock('space-a', env)).toBeNull()
    await removeLock('space-a', env)
    expect(await databaseNames()).not.toContain(lockDatabaseName(env.idbPrefix))
    await choosePin('space-a', '1234', env)
    expect(await databaseNames()).toContain(lockDatabaseName(env.idbPrefix))
    expect(await readLock('space-a', env)).toEqual({ method: 'pin', prf: false, wrapped: false, unwrappable: false, setAt: T0, failures: 0, retryAt: null })
    await removeLock('space-a', env)
    expect(await readLock('space-a', env)).toBeNull()
  })

  it('refuses a record of an unexpected shape rather than open the practice unlocked', async () => {
    const env = environment()
    await choosePin('space-a', '1234', env)
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open(lockDatabaseName(env.idbPrefix))
      request.onsuccess = () => resolve(request.result)
    })
    await new Promise((resolve) => {
      const tx = db.transaction('locks', 'readwrite')
      tx.objectStore('locks').put({ spaceId: 'space-a', method: { kind: 'pin', hash: 'no' }, failures: 0, lastAttemptAt: null, setAt: T0 })
      tx.oncomplete = resolve
    })
    db.close()
    await expect(new LockStore(env.idbPrefix).get('space-a')).rejects.toBeInstanceOf(LockStoreError)
    await expect(readLock('space-a', env)).rejects.toBeInstanceOf(LockStoreError)
  })
})

describe('unlockWithPin', () => {
  it('unlocks with the right PIN and clears the failures', async () => {
    const env = environment()
    await choosePin('space-a', '482915', env)
    expect(await unlockWithPin('space-a', '000000', env)).toEqual({ kind: 'wrong', failures: 1, left: 4, retryAt: null })
    expect(await unlockWithPin('space-a', '482915', env)).toEqual({ kind: 'unlocked' })
    expect(await readLock('space-a', env)).toMatchObject({ failures: 0, retryAt: null })
  })

  it('does not count what is not a PIN at all', async () => {
    const env = environment()
    await choosePin('space-a', '4829', env)
    expect(await unlockWithPin('space-a', '12', env)).toEqual({ kind: 'malformed', problem: 'too_short' })
    expect(await unlockWithPin('space-a', '12ab', env)).toEqual({ kind: 'malformed', problem: 'not_digits' })
    expect(await readLock('space-a', env)).toMatchObject({ failures: 0 })
  })

  it('counts five failures with waits after the third, kept across reloads, then says forget', async () => {
    const env = environment()
    await choosePin('space-a', '4829', env)
    expect(await unlockWithPin('space-a', '1111', env)).toMatchObject({ kind: 'wrong', failures: 1, left: 4, retryAt: null })
    expect(await unlockWithPin('space-a', '2222', env)).toMatchObject({ kind: 'wrong', failures: 2, left: 3, retryAt: null })
    expect(await unlockWithPin('space-a', '3333', env)).toEqual({ kind: 'wrong', failures: 3, left: 2, retryAt: T0 + 30_000 })

    // Too early: neither checked nor counted, even with the right PIN.
    env.at(29_000)
    expect(await unlockWithPin('space-a', '4829', env)).toEqual({ kind: 'wait', retryAt: T0 + 30_000 })
    // A reload reads the count and the wait back.
    expect(await readLock('space-a', env)).toMatchObject({ failures: 3, retryAt: T0 + 30_000 })

    env.at(30_000)
    expect(await unlockWithPin('space-a', '5555', env)).toEqual({ kind: 'wrong', failures: 4, left: 1, retryAt: T0 + 30_000 + 60_000 })
    env.at(30_000 + 59_000)
    expect(await unlockWithPin('space-a', '4829', env)).toMatchObject({ kind: 'wait' })
    env.at(30_000 + 60_000)
    expect(await unlockWithPin('space-a', '6666', env)).toEqual({ kind: 'exhausted' })
    // The device has not forgotten yet (the app does, once the practice is closed): every attempt says so.
    expect(await unlockWithPin('space-a', '4829', env)).toEqual({ kind: 'exhausted' })
  })

  it('counts an attempt before checking it: one cut short counts as failed', async () => {
    const env = environment()
    await choosePin('space-a', '4829', env)
    // What a tab closed during the check leaves: the attempt counted, its answer never known.
    await new LockStore(env.idbPrefix).update('space-a', (record) => ({ ...record, failures: record.failures + 1, lastAttemptAt: T0 }))
    expect(await readLock('space-a', env)).toMatchObject({ failures: 1 })
    expect(await unlockWithPin('space-a', '1111', env)).toMatchObject({ kind: 'wrong', failures: 2 })
  })

  it('is not the way a passkey-locked device unlocks', async () => {
    const env = environment()
    await new LockStore(env.idbPrefix).put({
      spaceId: 'space-a',
      method: { kind: 'passkey', credentialId: randomBytes(16), publicKey: null, algorithm: -7, rpId: 'localhost', prf: false },
      failures: 0,
      lastAttemptAt: null,
      setAt: T0,
    })
    await expect(unlockWithPin('space-a', '1234', env)).rejects.toBeInstanceOf(NoPinLockError)
  })
})

describe('forgetPractice', () => {
  it('deletes the registry, the lock and every database of the practice, and nothing of another', async () => {
    const env = environment()
    const p = env.idbPrefix
    const spaceId = 'S1'
    await pairedWith(p, spaceId)
    await choosePin(spaceId, '1234', env)
    const practice = [`${p}tournee-space-${spaceId}-room1`, `${p}tournee-space-${spaceId}-room2`, `${p}tournee-space-${spaceId}-held`, `${p}tournee-attachments-${spaceId}`]
    const others = [`${p}tournee-space-S10-room1`, `${p}tournee-attachments-S10`, `other-${p}tournee-space-${spaceId}-room1`]
    for (const name of [...practice, ...others]) await createDatabase(name)

    const result = await forgetPractice(spaceId, env)
    const left = await databaseNames()
    for (const name of [`${p}tournee-device`, lockDatabaseName(p), ...practice]) expect(left, name).not.toContain(name)
    for (const name of others) expect(left, name).toContain(name)
    expect(result.pending).toEqual([])
    expect(result.deleted).toEqual(expect.arrayContaining([`${p}tournee-device`, lockDatabaseName(p), ...practice]))
    expect(await new DeviceRegistry(p).all()).toEqual([])
  })

  it('does not wait for ever for a database another tab keeps open', async () => {
    const env = environment()
    const name = `${env.idbPrefix}tournee-space-S2-room`
    await createDatabase(name)
    // Another tab's connection that ignores the request to close.
    const held = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open(name)
      request.onsuccess = () => resolve(request.result)
    })
    const result = await forgetPractice('S2', env, { waitMs: 50 })
    expect(result.pending).toContain(name)
    held.close()
  })
})

describe('startDevice', () => {
  it('opens nothing of a locked practice, and says there is none on a new device', async () => {
    const env = { ...environment(), crossTab: false, connect: false }
    expect(await startDevice(env)).toEqual({ kind: 'first-run' })
    const spaceId = randomId(16)
    await pairedWith(env.idbPrefix, spaceId)
    await choosePin(spaceId, '1234', env)
    expect(await startDevice(env)).toEqual({
      kind: 'locked',
      record: { spaceId, relayUrl: 'http://127.0.0.1:1', practiceName: 'Cabinet des Lilas', deviceId: 'dev', memberId: 'm1', role: 'praticien', until: null, roleNotice: null },
      lock: { method: 'pin', prf: false, wrapped: false, unwrappable: false, setAt: T0, failures: 0, retryAt: null },
    })
    expect((await databaseNames()).filter((name) => name.startsWith(`${env.idbPrefix}tournee-space-`)), 'no room opened').toEqual([])
  })
})

const ORIGIN = 'https://cabinet.example.fr'

/**
 * A platform authenticator as WebAuthn gives it: one credential, PRF enabled at creation and
 * evaluated on use (its output its own), user verified. It gives no public key, so the assertion's
 * other checks apply and not the signature's (passkey.test.ts checks those).
 */
function platformWithPrf(options: { prf: boolean } = { prf: true }): PasskeyPlatform & { readonly output: Uint8Array } {
  const credentialId = crypto.getRandomValues(new Uint8Array(16))
  const output = crypto.getRandomValues(new Uint8Array(32))
  const rpId = 'cabinet.example.fr'
  return {
    output,
    origin: ORIGIN,
    rpId,
    platformAuthenticator: async () => true,
    credentials: {
      create: async () =>
        ({
          type: 'public-key',
          rawId: credentialId.slice().buffer,
          response: {},
          getClientExtensionResults: () => (options.prf ? { prf: { enabled: true } } : {}),
        }) as unknown as Credential,
      get: async (request?: CredentialRequestOptions) => {
        const challenge = new Uint8Array(request!.publicKey!.challenge as ArrayBuffer)
        const clientDataJSON = new TextEncoder().encode(JSON.stringify({ type: 'webauthn.get', challenge: toBase64Url(challenge), origin: ORIGIN }))
        const rpHash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(rpId)))
        return {
          type: 'public-key',
          rawId: credentialId.slice().buffer,
          response: { clientDataJSON: clientDataJSON.buffer, authenticatorData: Uint8Array.of(...rpHash, 0x05, 0, 0, 0, 1).buffer, signature: new ArrayBuffer(0) },
          getClientExtensionResults: () => (options.prf ? { prf: { results: { first: output.slice().buffer } } } : {}),
        } as unknown as Credential
      },
    },
  }
}

describe('a passkey with the PRF extension', () => {
  async function joinedNow(env: LockEnvironment & { unlocked: UnlockedKeys }, spaceId: string) {
    const tiers = await deriveTierSecrets(spaceId, randomBytes(32))
    const keys = await deriveDeviceKeys(spaceId, tiers)
    await pairedWith(env.idbPrefix, spaceId)
    await new DeviceRegistry(env.idbPrefix).put({ ...(await new DeviceRegistry(env.idbPrefix).get(spaceId))!, keys })
    // As joinPractice leaves it: the secrets of this session held in memory.
    holdSessionSecrets(spaceId, { tiers, rootSecret: null }, keys, env)
  }

  it('chosen after pairing wraps the keys; the launch reads no key; its secret opens them; another passkey and a PIN-less unlock without PRF do not', async () => {
    const platform = platformWithPrf()
    const env = { ...environment(), crossTab: false, connect: false, unlocked: new UnlockedKeys(), passkeys: platform }
    const spaceId = randomId(16)
    await joinedNow(env, spaceId)
    expect(await choosePasskey(spaceId, 'Cabinet des Lilas', env)).toMatchObject({ method: 'passkey', prf: true, wrapped: true, unwrappable: false })
    expect(await new DeviceRegistry(env.idbPrefix).wrapped(spaceId)).not.toBeNull()

    await lockKeys(spaceId, env)
    await expect(new DeviceRegistry(env.idbPrefix, env.unlocked).get(spaceId)).rejects.toBeInstanceOf(DeviceLockedError)
    expect(await startDevice(env)).toMatchObject({ kind: 'locked', record: { spaceId }, lock: { method: 'passkey', wrapped: true } })

    // The same credential through an authenticator that answers with another PRF secret: refused by name.
    const other = platformWithPrf()
    const impostor: PasskeyPlatform = { ...other, credentials: { create: other.credentials!.create, get: async (r) => withRawId(await other.credentials!.get(r), platform) } }
    await expect(unlockWithPasskey(spaceId, { ...env, passkeys: impostor })).rejects.toMatchObject({ name: 'PasskeyError', failure: 'wrong-secret' })
    // A platform that gives no PRF secret this time: nothing opens either.
    const silent = platformWithPrf({ prf: false })
    const noSecret: PasskeyPlatform = { ...silent, credentials: { create: silent.credentials!.create, get: async (r) => withRawId(await silent.credentials!.get(r), platform) } }
    await expect(unlockWithPasskey(spaceId, { ...env, passkeys: noSecret })).rejects.toMatchObject({ failure: 'no-secret' })
    await expect(new DeviceRegistry(env.idbPrefix, env.unlocked).get(spaceId)).rejects.toBeInstanceOf(DeviceLockedError)

    expect(await unlockWithPasskey(spaceId, env)).toMatchObject({ wrapped: true })
    expect((await new DeviceRegistry(env.idbPrefix, env.unlocked).get(spaceId))?.keys.aead.extractable).toBe(false)

    // A PIN wraps nothing: choosing one puts the keys back in the clear first.
    expect(await choosePin(spaceId, '1234', env)).toMatchObject({ method: 'pin', wrapped: false })
    await lockKeys(spaceId, env)
    expect((await new DeviceRegistry(env.idbPrefix).get(spaceId))?.keys.aead).toBeDefined()
  })

  it('on a device paired in an earlier session (no secret to wrap) is kept unwrapped, and says so', async () => {
    const env = { ...environment(), unlocked: new UnlockedKeys(), passkeys: platformWithPrf() }
    const spaceId = randomId(16)
    await pairedWith(env.idbPrefix, spaceId)
    expect(await choosePasskey(spaceId, 'Cabinet des Lilas', env)).toMatchObject({ method: 'passkey', prf: true, wrapped: false, unwrappable: true })
    expect(await unlockWithPasskey(spaceId, env)).toMatchObject({ wrapped: false, unwrappable: true })
    expect((await new DeviceRegistry(env.idbPrefix).get(spaceId))?.keys.aead).toBeDefined()
  })
})

/** `credential` as if made by `owner`'s credential id (another authenticator holding the same id). */
async function withRawId(credential: Credential | null, owner: PasskeyPlatform): Promise<Credential | null> {
  const made = (await owner.credentials!.create({})) as unknown as { rawId: ArrayBuffer }
  return Object.assign(Object.create(Object.getPrototypeOf(credential)), credential, { rawId: made.rawId }) as Credential
}

