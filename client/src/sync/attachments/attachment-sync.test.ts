import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes, randomId } from '../../../../shared/src/crypto/base64url'
import { deriveAttachmentEpochKey, deriveAttachmentKey, MissingAttachmentEpochError } from '../../../../shared/src/attachments/attachment-cipher'
import { epochNamedBy } from '../../../../shared/src/crypto/epoch-sealed'
import { GrowingEpochKeyring } from '../../../../shared/src/crypto/key-epochs'
import type { Limits } from '../../../../shared/src/protocol/constants'
import { AttachmentTooLargeError, AttachmentUnavailableError, RelayFailure } from '../errors'
import { RelayClient } from '../relay/relay-client'
import { IN_PROCESS_RELAY_URL, inProcessRelay } from '../test-support/in-process-relay'
import { AttachmentSync } from './attachment-sync'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const relayApp = (limits: Partial<Limits> = {}) => inProcessRelay(cleanups, limits)

async function openSync(
  relay: Awaited<ReturnType<typeof relayApp>>,
  state: { online: boolean },
  idbName: string,
  secret: Uint8Array,
  epochs: { epochs?: GrowingEpochKeyring; fetchEpochs?: () => Promise<boolean> } = {},
) {
  const sync = await AttachmentSync.open({
    ...epochs,
    spaceId: relay.spaceId,
    relay: new RelayClient({ relayUrl: IN_PROCESS_RELAY_URL, spaceId: relay.spaceId, credential: relay.credential, fetchImpl: relay.fetchImpl }),
    key: await deriveAttachmentKey(relay.spaceId, secret),
    idbName,
    isOnline: () => state.online,
  })
  cleanups.push(() => sync.destroy())
  return sync
}

const file = new TextEncoder().encode('Ordonnance: 10 séances de kinésithérapie')

describe('AttachmentSync', () => {
  it('keeps a file added offline queued across a restart, and uploads it once online', async () => {
    const relay = await relayApp()
    const secret = randomBytes(32)
    const idbName = `attachments-${randomId()}`
    const state = { online: false }
    const first = await openSync(relay, state, idbName, secret)
    const { hash, size } = await first.add(file)
    expect(size).toBe(file.length)
    await first.drain()
    expect(relay.network.urls.length).toBe(0)
    expect(first.getState().pending).toEqual(new Set([hash]))
    await first.destroy()

    // The app restarts, still offline: the queue comes back from IndexedDB.
    const second = await openSync(relay, state, idbName, secret)
    expect(second.getState().pending).toEqual(new Set([hash]))
    expect(await second.open(hash)).toEqual(file)

    state.online = true
    await second.drain()
    expect(second.getState().pending.size).toBe(0)
    // Another device (empty cache, same space secret) fetches and decrypts it.
    const other = await openSync(relay, { online: true }, `attachments-${randomId()}`, secret)
    expect(await other.open(hash)).toEqual(file)
    expect(await other.isCached(hash)).toBe(true)
  })

  it('stops at a network failure and keeps the file queued, without reporting a refusal', async () => {
    const relay = await relayApp()
    const state = { online: true }
    relay.network.up = false
    const sync = await openSync(relay, state, `attachments-${randomId()}`, randomBytes(32))
    const { hash } = await sync.add(file)
    await sync.drain()
    expect(sync.getState().pending).toEqual(new Set([hash]))
    expect(sync.getState().failed.size).toBe(0)
    relay.network.up = true
    await sync.drain()
    expect(sync.getState().pending.size).toBe(0)
  })

  it('reports a file the relay refuses as failed, and keeps it queued', async () => {
    const relay = await relayApp({ maxAttachmentBytes: 16 })
    const sync = await openSync(relay, { online: true }, `attachments-${randomId()}`, randomBytes(32))
    const { hash } = await sync.add(file)
    await sync.drain()
    expect(sync.getState().failed.get(hash)).toBe(RelayFailure.TooLarge)
    expect(sync.getState().pending.has(hash)).toBe(true)
  })

  it('says a file is unavailable when it is neither here nor reachable, and refuses oversized files', async () => {
    const relay = await relayApp()
    relay.network.up = false
    const sync = await openSync(relay, { online: false }, `attachments-${randomId()}`, randomBytes(32))
    const error = await sync.open('ab'.repeat(32)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AttachmentUnavailableError)
    expect((error as AttachmentUnavailableError).failure).toBe(RelayFailure.Unreachable)
    await expect(sync.add(new Uint8Array(20 * 1024 * 1024 + 1))).rejects.toBeInstanceOf(AttachmentTooLargeError)
  })
})

describe('AttachmentSync: key epochs (issue 19)', () => {
  it('seals under the newest clinical epoch held; a device lacking it fetches it once, then opens the file', async () => {
    const relay = await relayApp()
    const secret = randomBytes(32)
    const epochSecret = randomBytes(32)
    const epochKey = () => deriveAttachmentEpochKey(relay.spaceId, 1, epochSecret)
    const writer = await openSync(relay, { online: true }, `attachments-${randomId()}`, secret, { epochs: GrowingEpochKeyring.of([{ epoch: 1, key: await epochKey() }]) })
    const { hash } = await writer.add(file)
    await writer.drain()
    const blob = await new RelayClient({ relayUrl: IN_PROCESS_RELAY_URL, spaceId: relay.spaceId, credential: relay.credential, fetchImpl: relay.fetchImpl }).getAttachment(hash)
    expect(epochNamedBy(blob)).toBe(1)

    const ring = new GrowingEpochKeyring()
    let fetches = 0
    const fetchEpochs = async () => {
      fetches++
      ring.add(1, await epochKey())
      return true
    }
    const reader = await openSync(relay, { online: true }, `attachments-${randomId()}`, secret, { epochs: ring, fetchEpochs })
    expect(await reader.open(hash)).toEqual(file)
    expect(fetches).toBe(1)
    // A device that is never given epoch 1 (revoked before it): a named error, nothing kept.
    const revoked = await openSync(relay, { online: true }, `attachments-${randomId()}`, secret, { epochs: new GrowingEpochKeyring(), fetchEpochs: () => Promise.resolve(true) })
    await expect(revoked.open(hash)).rejects.toBeInstanceOf(MissingAttachmentEpochError)
    expect(await revoked.isCached(hash)).toBe(false)
  })
})
