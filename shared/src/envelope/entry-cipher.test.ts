import { describe, expect, it } from 'vitest'
import { deriveSpaceKeys, SpaceKeyError } from '../crypto/space-keys'
import { randomBytes, randomId } from '../crypto/base64url'
import { blindDocId, decryptUpdate, DecryptError, encryptUpdate } from './entry-cipher'

const secret = randomBytes(32)
const spaceId = randomId()
const update = new TextEncoder().encode('une mise à jour Yjs')
const ROOM = 'files/3'

describe('entry cipher', () => {
  it('decrypts what it encrypted, with a fresh IV each time', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const a = await encryptUpdate(keys, ROOM, 'patient/p1', update)
    const b = await encryptUpdate(keys, ROOM, 'patient/p1', update)
    expect(a).not.toEqual(b)
    expect(await decryptUpdate(keys, ROOM, 'patient/p1', a)).toEqual(update)
  })

  it('blinds doc ids deterministically per space, and differently across spaces', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const sameSecretOtherSpace = await deriveSpaceKeys(randomId(), secret)
    expect(await blindDocId(keys, 'directory')).toBe(await blindDocId(keys, 'directory'))
    expect(await blindDocId(keys, 'directory')).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(await blindDocId(keys, 'directory')).not.toBe(await blindDocId(keys, 'agenda/2026-11'))
    expect(await blindDocId(keys, 'directory')).not.toBe(await blindDocId(sameSecretOtherSpace, 'directory'))
  })

  it.each([
    ['another doc id (entry moved to another doc)', async (c: Uint8Array) => ({ c, docId: 'patient/p2', keys: await deriveSpaceKeys(spaceId, secret) })],
    ['another room (entry moved to another room)', async (c: Uint8Array) => ({ c, docId: 'patient/p1', room: 'files/4' as const, keys: await deriveSpaceKeys(spaceId, secret) })],
    ['another space (same secret)', async (c: Uint8Array) => ({ c, docId: 'patient/p1', keys: await deriveSpaceKeys(randomId(), secret) })],
    ['another key', async (c: Uint8Array) => ({ c, docId: 'patient/p1', keys: await deriveSpaceKeys(spaceId, randomBytes(32)) })],
    ['a flipped ciphertext bit', async (c: Uint8Array) => {
      const t = c.slice()
      t[20] = t[20]! ^ 1
      return { c: t, docId: 'patient/p1', keys: await deriveSpaceKeys(spaceId, secret) }
    }],
    ['a truncated entry', async (c: Uint8Array) => ({ c: c.slice(0, 20), docId: 'patient/p1', keys: await deriveSpaceKeys(spaceId, secret) })],
  ])('refuses %s with DecryptError', async (_label, tamper) => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    const sealed = await encryptUpdate(keys, ROOM, 'patient/p1', update)
    const attempt: { c: Uint8Array; docId: string; room?: 'files/4'; keys: Awaited<ReturnType<typeof deriveSpaceKeys>> } = await tamper(sealed)
    await expect(decryptUpdate(attempt.keys, attempt.room ?? ROOM, attempt.docId, attempt.c)).rejects.toBeInstanceOf(DecryptError)
  })

  it('refuses a root secret of the wrong length', async () => {
    await expect(deriveSpaceKeys(spaceId, randomBytes(16))).rejects.toBeInstanceOf(SpaceKeyError)
  })

  it('keeps derived keys non-extractable', async () => {
    const keys = await deriveSpaceKeys(spaceId, secret)
    expect(keys.aead.extractable).toBe(false)
    expect(keys.blind.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('raw', keys.aead)).rejects.toThrow()
  })
})
