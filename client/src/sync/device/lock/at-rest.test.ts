/**
 * The device's secrets at rest under the passkey's PRF output (at-rest.ts), on fake-indexeddb with
 * real WebCrypto: wrapping erases the plain keys and secrets from the registry's database (every
 * object store's raw records inspected, the same inspection failing before the wrap), the lock
 * lets the memory's keys go, a wrong PRF output opens nothing, the right one gives back keys that
 * read what the first ones wrote and that cannot be exported, and unwrapping restores the clear.
 * Then the rest of what reads local data (the relay credential, the held epochs, the device-held
 * state's key): a copy of every database taken while locked holds no key and opens no held row,
 * the same copy before the wrap opening them; a device wrapped by the first layout moves them in
 * at its next unlock.
 */
import { describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../../../../../shared/src/crypto/base64url'
import { deriveTierSecrets } from '../../../../../shared/src/crypto/space-keys'
import { deriveDeviceKeys, type DeviceKeys } from '../device-keys'
import { DeviceRegistry, registryOf, type StoredPractice } from '../registry'
import { canWrapAtRest, epochsKeptFor, holdSessionSecrets, keepHeldEpochs, lockAtRest, openAtRest, sealEpochAtRest, unwrapAtRest, wrapAtRest } from './at-rest'
import { WRAP_SALT_BYTES, wrappingKeyFrom, WrongPasskeySecretError } from './prf-wrap'
import { heldEpochOf } from '../held-epoch-keys'
import { HeldStore, heldStateDatabase } from '../held-state'
import { makeWrappableIdentity, publicKeysOf } from '../../../../../shared/src/devices/device-identity'
import { practiceRecord } from '../../test-support/practice-record'
import { DeviceLockedError, UnlockedKeys } from './unlocked-keys'

const SPACE = 'space-at-rest'

function environment() {
  return { idbPrefix: `at-rest-${randomId(6)}-`, unlocked: new UnlockedKeys(), epochRings: new Map<string, unknown>() }
}

function record(keys: DeviceKeys): StoredPractice {
  return practiceRecord(SPACE, keys)
}

/** An administrator praticien's device as creating the practice leaves it: keys, root secret, one epoch's secrets. */
async function administratorDevice(env: { idbPrefix: string }) {
  const rootSecret = randomBytes(32)
  const tiers = await deriveTierSecrets(SPACE, rootSecret)
  const keys = await deriveDeviceKeys(SPACE, tiers)
  const registry = new DeviceRegistry(env.idbPrefix)
  await registry.put(record(keys))
  await registry.putRootSecret(SPACE, rootSecret)
  const epoch = { epoch: 1, practice: randomBytes(32), clinical: randomBytes(32) }
  await registry.addEpochSecrets(SPACE, epoch)
  return { rootSecret, tiers, keys, epoch }
}

/** Every value of every object store of the device's registry database, as stored. */
async function rawRecords(prefix: string): Promise<Map<string, unknown[]>> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(`${prefix}tournee-device`)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  try {
    const out = new Map<string, unknown[]>()
    for (const name of [...db.objectStoreNames]) {
      const values = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction(name).objectStore(name).getAll()
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      out.set(name, values)
    }
    return out
  } finally {
    db.close()
  }
}

/** The CryptoKeys and byte strings anywhere in `value`. */
function walk(value: unknown, found: { keys: CryptoKey[]; bytes: Uint8Array[] }): typeof found {
  if (value instanceof CryptoKey) found.keys.push(value)
  else if (value instanceof Uint8Array) found.bytes.push(value)
  else if (Array.isArray(value)) value.forEach((v) => walk(v, found))
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach((v) => walk(v, found))
  return found
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

/** What a copy of the profile finds at rest: keys it can use, and which of `secrets` it can read. */
async function atRest(prefix: string, secrets: Uint8Array[]): Promise<{ keys: number; secrets: number }> {
  const found = { keys: [] as CryptoKey[], bytes: [] as Uint8Array[] }
  for (const values of (await rawRecords(prefix)).values()) walk(values, found)
  return { keys: found.keys.length, secrets: secrets.filter((s) => found.bytes.some((b) => contains(b, s))).length }
}

/** Whether `reader` opens what `writer` sealed (the same AES-GCM key behind two CryptoKeys). */
async function reads(writer: CryptoKey, reader: CryptoKey): Promise<boolean> {
  const iv = randomBytes(12) as Uint8Array<ArrayBuffer>
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, writer, new TextEncoder().encode('Fontaine-Garrigue'))
  try {
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, reader, sealed)
    return true
  } catch {
    return false
  }
}

describe('the keys at rest under the passkey', () => {
  it('wrapping leaves no usable key and no secret in any object store; before it, the same inspection finds them', async () => {
    const env = environment()
    const { rootSecret, tiers, epoch } = await administratorDevice(env)
    const secrets = [rootSecret, tiers.practice, tiers.clinical, epoch.practice, epoch.clinical]
    expect(await atRest(env.idbPrefix, secrets)).toEqual({ keys: 5, secrets: 3 })

    expect(await wrapAtRest(SPACE, randomBytes(16), randomBytes(32), env)).toBe(true)
    expect(await atRest(env.idbPrefix, secrets)).toEqual({ keys: 0, secrets: 0 })
    const raw = await rawRecords(env.idbPrefix)
    expect(raw.get('practices')).toEqual([expect.objectContaining({ spaceId: SPACE, wrapped: true })])
    expect((raw.get('practices')![0] as Record<string, unknown>).keys).toBeUndefined()
    expect(raw.get('pairing')).toEqual([])
    expect(raw.get('wrapped')).toEqual([expect.objectContaining({ spaceId: SPACE, sealed: expect.any(Uint8Array), salt: expect.any(Uint8Array) })])
    // Still unlocked: the practice reads its keys and root secret from memory.
    expect((await registryOf(env).get(SPACE))?.keys.aead).toBeDefined()
    expect(await registryOf(env).rootSecret(SPACE)).toEqual(rootSecret)
  })

  it('locked, nothing opens; a wrong PRF output opens nothing; the right one gives keys that read the old ones’ writing, non-extractable', async () => {
    const env = environment()
    const { rootSecret, keys, epoch } = await administratorDevice(env)
    const prf = randomBytes(32)
    await wrapAtRest(SPACE, randomBytes(16), prf, env)
    await lockAtRest(SPACE, env)
    await expect(registryOf(env).get(SPACE)).rejects.toBeInstanceOf(DeviceLockedError)
    await expect(registryOf(env).all()).rejects.toBeInstanceOf(DeviceLockedError)
    await expect(registryOf(env).rootSecret(SPACE)).rejects.toBeInstanceOf(DeviceLockedError)
    // What a locked device may read: the record without keys.
    expect(await registryOf(env).records()).toEqual([expect.objectContaining({ spaceId: SPACE, practiceName: 'Cabinet des Lilas' })])

    await expect(openAtRest(SPACE, randomBytes(32), env)).rejects.toBeInstanceOf(WrongPasskeySecretError)
    expect(env.unlocked.get(SPACE)).toBeNull()
    await expect(registryOf(env).get(SPACE)).rejects.toBeInstanceOf(DeviceLockedError)

    expect(await openAtRest(SPACE, prf, env)).toBe(true)
    const opened = (await registryOf(env).get(SPACE))!.keys
    for (const name of ['aead', 'digest', 'clinical', 'attachment'] as const) {
      expect(opened[name]!.extractable).toBe(false)
      expect(await reads(keys[name]!, opened[name]!)).toBe(true)
    }
    expect(opened.blind.extractable).toBe(false)
    expect(await registryOf(env).rootSecret(SPACE)).toEqual(rootSecret)
    expect(await registryOf(env).epochSecrets(SPACE)).toEqual([epoch])
  })

  it('a record written back while unlocked (a first sync, a member chosen) does not put the keys at rest again', async () => {
    const env = environment()
    await administratorDevice(env)
    await wrapAtRest(SPACE, randomBytes(16), randomBytes(32), env)
    const stored = (await registryOf(env).get(SPACE))!
    await registryOf(env).put({ ...stored, hasSynced: true, memberId: 'm2' })
    const [practice] = (await rawRecords(env.idbPrefix)).get('practices') as Array<Record<string, unknown>>
    expect(practice).toMatchObject({ memberId: 'm2', hasSynced: true, wrapped: true })
    expect(practice!.keys).toBeUndefined()
  })

  it('an epoch made while unlocked is sealed with the others and opens at the next unlock', async () => {
    const env = environment()
    await administratorDevice(env)
    const prf = randomBytes(32)
    await wrapAtRest(SPACE, randomBytes(16), prf, env)
    const second = { epoch: 2, practice: randomBytes(32), clinical: randomBytes(32) }
    await registryOf(env).addEpochSecrets(SPACE, second, (secrets) => sealEpochAtRest(SPACE, secrets, env))
    expect(await atRest(env.idbPrefix, [second.practice, second.clinical])).toEqual({ keys: 0, secrets: 0 })
    // Without a way to seal them, a wrapped device refuses rather than writing them in the clear.
    await expect(registryOf(env).addEpochSecrets(SPACE, { ...second, epoch: 3 })).rejects.toBeInstanceOf(DeviceLockedError)
    await lockAtRest(SPACE, env)
    await openAtRest(SPACE, prf, env)
    expect((await registryOf(env).epochSecrets(SPACE)).map((e) => e.epoch)).toEqual([1, 2])
  })

  it('unwrapping (the lock becomes a PIN) puts the keys and secrets back in the clear, and wraps nothing', async () => {
    const env = environment()
    const { rootSecret, epoch } = await administratorDevice(env)
    await wrapAtRest(SPACE, randomBytes(16), randomBytes(32), env)
    await unwrapAtRest(SPACE, env)
    expect(await registryOf(env).wrapped(SPACE)).toBeNull()
    await lockAtRest(SPACE, env)
    // In the clear again: readable with nothing in memory, as before any passkey.
    expect((await registryOf(env).get(SPACE))?.keys.aead).toBeDefined()
    expect(await registryOf(env).rootSecret(SPACE)).toEqual(rootSecret)
    expect(await registryOf(env).epochSecrets(SPACE)).toEqual([epoch])
  })

  it('a device paired in an earlier session without the root secret has nothing it can wrap; the session of its pairing has', async () => {
    const env = environment()
    const tiers = { practice: randomBytes(32), clinical: null }
    const keys = await deriveDeviceKeys(SPACE, tiers)
    await registryOf(env).put(record(keys))
    expect(await canWrapAtRest(SPACE, env)).toBe(false)
    expect(await wrapAtRest(SPACE, randomBytes(16), randomBytes(32), env)).toBe(false)
    expect((await rawRecords(env.idbPrefix)).get('wrapped')).toEqual([])

    holdSessionSecrets(SPACE, { tiers, rootSecret: null }, keys, env)
    expect(await canWrapAtRest(SPACE, env)).toBe(true)
    const prf = randomBytes(32)
    expect(await wrapAtRest(SPACE, randomBytes(16), prf, env)).toBe(true)
    expect(await atRest(env.idbPrefix, [tiers.practice])).toEqual({ keys: 0, secrets: 0 })
    await lockAtRest(SPACE, env)
    await openAtRest(SPACE, prf, env)
    const opened = (await registryOf(env).get(SPACE))!.keys
    expect(opened.clinical).toBeNull()
    expect(await reads(keys.aead, opened.aead)).toBe(true)
    expect(await registryOf(env).rootSecret(SPACE)).toBeNull()
  })
})

/** Every CryptoKey and byte string of every store of one database, as stored (absent database: none). */
async function rawDatabase(name: string): Promise<{ keys: CryptoKey[]; bytes: Uint8Array[]; texts: string[] }> {
  const found = { keys: [] as CryptoKey[], bytes: [] as Uint8Array[] }
  const texts: string[] = []
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  try {
    for (const store of [...db.objectStoreNames]) {
      const values = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).getAll()
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      walk(values, found)
      texts.push(JSON.stringify(values))
    }
  } finally {
    db.close()
  }
  return { ...found, texts }
}

const CREDENTIAL = 'credential-of-the-tablet-7f3a9c'
const AAD = new TextEncoder().encode('tournee/v1|held:test')

/** A held row as doc-holding seals one: iv ‖ AES-GCM(update, aad) under the held state's key. */
async function heldRow(key: CryptoKey, text: string): Promise<Uint8Array> {
  const iv = randomBytes(12) as Uint8Array<ArrayBuffer>
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: AAD }, key, new TextEncoder().encode(text)))
  return new Uint8Array([...iv, ...sealed])
}

/** The texts of the held rows that `keys` open (a copier tries every key the copy holds). */
async function opened(rows: readonly Uint8Array[], keys: readonly CryptoKey[]): Promise<string[]> {
  const out: string[] = []
  for (const row of rows) {
    for (const key of keys) {
      if (key.algorithm.name !== 'AES-GCM') continue
      try {
        const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.slice(0, 12), additionalData: AAD }, key, row.slice(12))
        out.push(new TextDecoder().decode(plain))
      } catch {
        // Not this key's.
      }
    }
  }
  return out
}

/** What a copy of the whole profile (every database of the device) holds and opens. */
async function copiedProfile(env: { idbPrefix: string }) {
  const registry = await rawDatabase(`${env.idbPrefix}tournee-device`)
  const held = await rawDatabase(heldStateDatabase(`${env.idbPrefix}tournee-space-${SPACE}`))
  const keys = [...registry.keys, ...held.keys]
  return {
    keys: keys.length,
    credential: registry.texts.some((t) => t.includes(CREDENTIAL)),
    heldRowsOpened: await opened(held.bytes, keys),
  }
}

describe('everything that reads local data under the passkey', () => {
  it('a copy of the profile taken while locked holds no key (its own key pairs included), no credential, and opens no held row; the same copy before the wrap opens them', async () => {
    const env = environment()
    const tiers = { practice: randomBytes(32), clinical: randomBytes(32) }
    const keys = await deriveDeviceKeys(SPACE, tiers)
    // Key pairs made in this session, as pairing makes them: wrappable.
    const { identity, secrets: identitySecrets } = await makeWrappableIdentity()
    await registryOf(env).put({ ...record(keys), credential: CREDENTIAL, identity })
    holdSessionSecrets(SPACE, { tiers, rootSecret: null, identity: identitySecrets }, keys, env)
    // An epoch sealed to this device in the session it joined, and a patient's row in the held state.
    const epoch = { epoch: 1, practice: randomBytes(32), clinical: randomBytes(32) }
    await keepHeldEpochs(SPACE, [{ held: await heldEpochOf(SPACE, 1, epoch), secrets: epoch }], env)
    const idbName = `${env.idbPrefix}tournee-space-${SPACE}`
    const before = new HeldStore(idbName)
    await before.append('blind-1', [await heldRow(await before.key(), 'Fontaine-Garrigue, bilan du genou')], ['mark-1'])
    before.close()
    expect(await copiedProfile(env), 'the inspection finds and opens them before the wrap').toMatchObject({
      credential: true,
      heldRowsOpened: ['Fontaine-Garrigue, bilan du genou'],
    })
    expect((await copiedProfile(env)).keys).toBeGreaterThan(5)
    const ownPublic = await publicKeysOf(identity)

    const prf = randomBytes(32)
    expect(await wrapAtRest(SPACE, randomBytes(16), prf, env)).toBe(true)
    // Unlocked and open: the registry gives the credential from memory.
    expect((await registryOf(env).get(SPACE))?.credential).toBe(CREDENTIAL)
    await lockAtRest(SPACE, env)
    expect(await copiedProfile(env)).toEqual({ keys: 0, credential: false, heldRowsOpened: [] })
    expect((await rawRecords(env.idbPrefix)).get('epochs')).toEqual([{ spaceId: SPACE, keys: [] }])

    // Unlocked: the held state's key comes from the wrap; what it seals opens at the next unlock, never at rest.
    await openAtRest(SPACE, prf, env)
    const stored = (await registryOf(env).get(SPACE))!
    expect(stored.credential).toBe(CREDENTIAL)
    expect(stored.heldKey?.extractable).toBe(false)
    expect((await registryOf(env).heldEpochs(SPACE)).map((e) => e.epoch)).toEqual([1])
    // The device's own key pairs came back from the wrap: the same public keys, private halves non-extractable.
    expect(await publicKeysOf(stored.identity!)).toEqual(ownPublic)
    expect(stored.identity!.sign.privateKey.extractable).toBe(false)
    const signed = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, stored.identity!.sign.privateKey, AAD)
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, identity.sign.publicKey, signed, AAD)).toBe(true)
    const after = new HeldStore(idbName, stored.heldKey)
    expect(await after.rows('blind-1'), 'the rows under the key kept at rest went with it').toEqual([])
    await after.append('blind-1', [await heldRow(await after.key(), 'Fontaine-Garrigue, séance 2')], ['mark-2'])
    after.close()
    await lockAtRest(SPACE, env)
    expect(await copiedProfile(env)).toEqual({ keys: 0, credential: false, heldRowsOpened: [] })
    await openAtRest(SPACE, prf, env)
    const again = (await registryOf(env).get(SPACE))!
    const rows = await new HeldStore(idbName, again.heldKey).rows('blind-1')
    expect(await opened(rows, [again.heldKey!])).toEqual(['Fontaine-Garrigue, séance 2'])
  })

  it('a device wrapped by the first layout (v1) has its credential, held state and held epochs moved under the passkey at the next unlock', async () => {
    const env = environment()
    const tiers = { practice: randomBytes(32), clinical: randomBytes(32) }
    const keys = await deriveDeviceKeys(SPACE, tiers)
    await registryOf(env).put({ ...record(keys), credential: CREDENTIAL })
    const epoch = { epoch: 1, practice: randomBytes(32), clinical: randomBytes(32) }
    await registryOf(env).addHeldEpochs(SPACE, [await heldEpochOf(SPACE, 1, epoch)])
    const idbName = `${env.idbPrefix}tournee-space-${SPACE}`
    const held = new HeldStore(idbName)
    await held.append('blind-1', [await heldRow(await held.key(), 'Fontaine-Garrigue')], ['mark-1'])
    held.close()
    // What the previous version left: the tiers sealed as v1, the record wrapped with its credential, the rest as it was.
    const prf = randomBytes(32)
    const salt = randomBytes(WRAP_SALT_BYTES)
    const wrapKey = await wrappingKeyFrom(prf, salt, SPACE)
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const iv = randomBytes(12) as Uint8Array<ArrayBuffer>
    const payload = { v: 1, practice: b64(tiers.practice), clinical: b64(tiers.clinical), root: null, epochs: [] }
    const additionalData = new TextEncoder().encode(`tournee/lock/wrapped/v1/${SPACE}`)
    const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, wrapKey, new TextEncoder().encode(JSON.stringify(payload))))
    const { keys: _keys, ...withoutKeys } = { ...record(keys), credential: CREDENTIAL }
    await rawPut(env.idbPrefix, 'practices', { ...withoutKeys, wrapped: true })
    await rawPut(env.idbPrefix, 'wrapped', { spaceId: SPACE, salt, sealed: new Uint8Array([...iv, ...body]), credentialId: randomBytes(16) })
    expect(await copiedProfile(env), 'what the first layout left readable').toMatchObject({ credential: true, heldRowsOpened: ['Fontaine-Garrigue'] })

    expect(await openAtRest(SPACE, prf, env)).toBe(true)
    expect((await registryOf(env).get(SPACE))?.credential).toBe(CREDENTIAL)
    // The epoch kept at rest before stays until its seal opens again (a refresh), then leaves the store.
    expect(await epochsKeptFor(SPACE, env)).toEqual(new Set())
    expect((await registryOf(env).heldEpochs(SPACE)).map((e) => e.epoch)).toEqual([1])
    await keepHeldEpochs(SPACE, [{ held: await heldEpochOf(SPACE, 1, epoch), secrets: epoch }], env)
    expect(await epochsKeptFor(SPACE, env)).toEqual(new Set([1]))
    await lockAtRest(SPACE, env)
    expect(await copiedProfile(env)).toEqual({ keys: 0, credential: false, heldRowsOpened: [] })
    await openAtRest(SPACE, prf, env)
    const epochOne = (await registryOf(env).heldEpochs(SPACE))[0]!
    expect(await reads((await heldEpochOf(SPACE, 1, epoch)).practice, epochOne.practice)).toBe(true)
  })

  it('unwrapping puts the held state key, the credential and the held epochs back at rest: the rows written meanwhile still open', async () => {
    const env = environment()
    const tiers = { practice: randomBytes(32), clinical: null }
    const keys = await deriveDeviceKeys(SPACE, tiers)
    await registryOf(env).put({ ...record(keys), credential: CREDENTIAL })
    holdSessionSecrets(SPACE, { tiers, rootSecret: null }, keys, env)
    const epoch = { epoch: 1, practice: randomBytes(32), clinical: null }
    await keepHeldEpochs(SPACE, [{ held: await heldEpochOf(SPACE, 1, epoch), secrets: epoch }], env)
    const prf = randomBytes(32)
    await wrapAtRest(SPACE, randomBytes(16), prf, env)
    await lockAtRest(SPACE, env)
    await openAtRest(SPACE, prf, env)
    const idbName = `${env.idbPrefix}tournee-space-${SPACE}`
    const heldKey = (await registryOf(env).get(SPACE))!.heldKey!
    const store = new HeldStore(idbName, heldKey)
    await store.append('blind-1', [await heldRow(heldKey, 'Fontaine-Garrigue')], ['mark-1'])
    store.close()

    await unwrapAtRest(SPACE, env)
    await lockAtRest(SPACE, env)
    // In the clear again, as before any passkey: readable with nothing in memory.
    const plain = (await registryOf(env).get(SPACE))!
    expect(plain.credential).toBe(CREDENTIAL)
    expect(plain.heldKey).toBeUndefined()
    expect((await registryOf(env).heldEpochs(SPACE)).map((e) => e.epoch)).toEqual([1])
    const reopened = new HeldStore(idbName)
    expect(await opened(await reopened.rows('blind-1'), [await reopened.key()])).toEqual(['Fontaine-Garrigue'])
    reopened.close()
  })
})

async function rawPut(prefix: string, store: string, value: unknown): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(`${prefix}tournee-device`)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(store, 'readwrite')
      tx.objectStore(store).put(value)
      tx.oncomplete = () => resolve()
      tx.onabort = () => reject(tx.error)
    })
  } finally {
    db.close()
  }
}
