/**
 * Attachments of one space on this device: encrypt on add, keep the ciphertext locally, upload it
 * when the relay is reachable, fetch and keep what other devices added when someone opens it.
 *
 * The upload queue lives in IndexedDB (attachment-cache.ts), so a file added offline survives a
 * reload. It is drained by the sync layer, not by a view: the practice calls `drain()` whenever
 * it comes online, and after each add. Attachments belong to the practice, not to a room. An upload that fails for want of a network waits
 * for the next time online; one the relay refuses stays queued and is reported in the state
 * (`failed`), since retrying will not help until someone acts.
 *
 * Views read `getState()` through a hook and call `add`/`open`; keys and fetch stay here.
 *
 * Key epochs (issue 19): a file is sealed under the newest clinical epoch this device holds
 * (shared/src/attachments/attachment-cipher.ts), so a device revoked before it reads none added
 * after. One of an epoch this device lacks (sealed elsewhere, just after a rotation this device
 * has not fetched yet) makes it fetch its sealed epoch keys once, then open it again.
 */
import { MAX_ATTACHMENT_BYTES } from '../../../../shared/src/model'
import { MissingAttachmentEpochError, openAttachment, sealAttachment, type AttachmentKeys } from '../../../../shared/src/attachments/attachment-cipher'
import type { GrowingEpochKeyring } from '../../../../shared/src/crypto/key-epochs'
import { AttachmentTooLargeError, AttachmentUnavailableError, RelayError, RelayFailure } from '../errors'
import type { RelayClient } from '../relay/relay-client'
import { AttachmentCache } from './attachment-cache'

export interface AttachmentState {
  /** Hashes added on this device that the relay does not hold yet. */
  readonly pending: ReadonlySet<string>
  /** Queued uploads the relay refused, with why (they stay queued). */
  readonly failed: ReadonlyMap<string, RelayFailure>
  /** The last local-storage failure while uploading, or null. Never silent. */
  readonly storageError: string | null
}

/** What a practice is given to sync attachments (device.ts): keys and the database of its blobs. */
export interface AttachmentSettings {
  /** Epoch 0's attachment key (deriveAttachmentKey). */
  readonly key: CryptoKey
  /** The attachment keys of the later clinical epochs this device holds; none: epoch 0 only. */
  readonly epochs?: GrowingEpochKeyring
  /** Fetches this device's sealed epoch keys; true when the relay's epochs were read (key-epochs-sync.ts, epochRefresher). */
  readonly fetchEpochs?: () => Promise<boolean>
  readonly idbName: string
}

export interface AttachmentSyncOptions extends Omit<AttachmentSettings, 'idbName'> {
  readonly spaceId: string
  readonly relay: RelayClient
  readonly cache: AttachmentCache
  readonly now?: () => number
  /** Whether the relay connection is up; uploads are not even tried otherwise. */
  readonly isOnline: () => boolean
}

export class AttachmentSync {
  private state: AttachmentState = { pending: new Set(), failed: new Map(), storageError: null }
  private readonly listeners = new Set<() => void>()
  private draining: Promise<void> | null = null
  private drainAgain = false
  private destroyed = false

  private constructor(private readonly options: AttachmentSyncOptions) {}

  /** Opens the local cache and restores the queue left by an earlier session. */
  static async open(options: Omit<AttachmentSyncOptions, 'cache'> & { idbName: string }): Promise<AttachmentSync> {
    const cache = await AttachmentCache.open(options.idbName)
    const sync = new AttachmentSync({ ...options, cache })
    const queued = await cache.queued()
    sync.setState({ pending: new Set(queued.map((q) => q.hash)) })
    return sync
  }

  getState = (): AttachmentState => this.state

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Encrypts the file, keeps it here, queues its upload. Returns what the patient doc records. */
  async add(file: Uint8Array): Promise<{ hash: string; size: number }> {
    if (file.byteLength > MAX_ATTACHMENT_BYTES) throw new AttachmentTooLargeError(file.byteLength, MAX_ATTACHMENT_BYTES)
    const { blob, hash } = await sealAttachment(this.keys(), this.options.spaceId, file)
    await this.options.cache.addPending(hash, blob, (this.options.now ?? Date.now)())
    this.setState({ pending: new Set([...this.state.pending, hash]) })
    void this.drain()
    return { hash, size: file.byteLength }
  }

  /** The file's bytes: from this device, or fetched (and kept) when online. */
  async open(hash: string): Promise<Uint8Array> {
    let blob = await this.options.cache.get(hash)
    if (blob === null) {
      try {
        blob = await this.options.relay.getAttachment(hash)
      } catch (error) {
        if (error instanceof RelayError) throw new AttachmentUnavailableError(error.reason, { cause: error })
        throw error
      }
      // Verified before it is kept: openAttachment checks the hash first.
      const plain = await this.decrypt(hash, blob)
      await this.options.cache.putFetched(hash, blob)
      return plain
    }
    return this.decrypt(hash, blob)
  }

  private keys(): AttachmentKeys {
    return { base: this.options.key, epochs: this.options.epochs ?? null }
  }

  /** Opens `blob`; one of an epoch not held yet, once more after fetching the sealed epoch keys. */
  private async decrypt(hash: string, blob: Uint8Array): Promise<Uint8Array> {
    try {
      return await openAttachment(this.keys(), this.options.spaceId, hash, blob)
    } catch (error) {
      if (!(error instanceof MissingAttachmentEpochError) || this.options.fetchEpochs === undefined) throw error
      await this.options.fetchEpochs()
      return openAttachment(this.keys(), this.options.spaceId, hash, blob)
    }
  }

  /** Whether the ciphertext is on this device (so the file opens offline). */
  isCached(hash: string): Promise<boolean> {
    return this.options.cache.has(hash)
  }

  /** Uploads every queued attachment, oldest first; stops at the first network failure. */
  drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true
      return this.draining
    }
    this.draining = this.runDrain()
      .catch((error: unknown) => this.setState({ storageError: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }))
      .finally(() => {
        this.draining = null
        if (this.drainAgain && !this.destroyed) {
          this.drainAgain = false
          void this.drain()
        }
      })
    return this.draining
  }

  private async runDrain(): Promise<void> {
    if (this.destroyed || !this.options.isOnline()) return
    for (const { hash } of await this.options.cache.queued()) {
      if (this.destroyed || !this.options.isOnline()) return
      const blob = await this.options.cache.get(hash)
      try {
        // Blob and queue entry are written in one transaction, so a queued hash has its blob; if
        // the browser evicted it anyway, nobody can ever upload it: it leaves the queue.
        if (blob !== null) await this.options.relay.putAttachment(hash, blob)
        await this.options.cache.markUploaded(hash)
        const pending = new Set(this.state.pending)
        pending.delete(hash)
        const failed = new Map(this.state.failed)
        failed.delete(hash)
        this.setState({ pending, failed })
      } catch (error) {
        if (!(error instanceof RelayError)) throw error
        if (error.reason === RelayFailure.Unreachable) return
        this.setState({ failed: new Map([...this.state.failed, [hash, error.reason]]) })
      }
    }
    if (this.state.storageError !== null) this.setState({ storageError: null })
  }

  async destroy(): Promise<void> {
    this.destroyed = true
    // drain() never rejects: its failures land in the state.
    await this.draining
    this.options.cache.close()
    this.listeners.clear()
  }

  private setState(patch: Partial<AttachmentState>): void {
    this.state = { ...this.state, ...patch }
    for (const listener of this.listeners) listener()
  }
}
