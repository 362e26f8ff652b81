/**
 * A room's copy on this device: its envelope in IndexedDB (adapters/local-store.ts) and two
 * records beside it, in the database's `custom` store:
 *
 *   tournee:acknowledged-state-vector   what the relay holds of this room (room-progress.ts), so a
 *                                       reload offline does not count the whole envelope as pending;
 *                                       of this device's own entries, only what the relay showed it
 *                                       holds as these very entries (delivery-check.ts)
 *   tournee:last-exchange               epoch ms of the last frame from the relay, so a reload
 *                                       offline still says when this device last synced
 *   tournee:last-synced                 epoch ms of the last handshake completed with the relay:
 *                                       the room then held everything the relay held, so what it
 *                                       shows is known (an empty week is empty), if maybe old
 *   tournee:shadowed-entries            JSON [[client, clock], …] of each entry of this device found replaced
 *                                       on the relay (delivery-check.ts): written again under a new
 *                                       client id, and never to be deleted here (the envelope
 *                                       excludes them again at every load); and of each clock it
 *                                       deleted offline whose deletion the relay refused (another
 *                                       writer's entry there): no step 2 sends it again
 *                                       (shadowed-deletions.ts)
 *
 * Local storage is fragile (tablets evict, quotas overflow): every write's outcome is watched, a
 * failure is shown at once (`storageError`) and repaired by rewriting the whole local state, every
 * `retryMs` until it works. Meanwhile nothing is lost: the envelope is in memory and the relay
 * still receives it.
 */
import type * as Y from 'yjs'
import type { RowWriter } from '../adapters/row-writer'
import { LocalStore } from '../adapters/local-store'

const ACKED_KEY = 'tournee:acknowledged-state-vector'
const LAST_EXCHANGE_KEY = 'tournee:last-exchange'
const LAST_SYNCED_KEY = 'tournee:last-synced'
const SHADOWED_KEY = 'tournee:shadowed-entries'
const STORAGE_RETRY_MS = 15_000
/** Records are saved this long after they change: many ACKs a second are one write. */
const SAVE_DELAY_MS = 500
/** A compaction's removed entries leave the local store this long after it, batched. */
const TRIM_DELAY_MS = 1000

export interface RoomRecords {
  /** The saved acknowledged vector, or null (never synced, or erased). */
  readonly acknowledged: Uint8Array | null
  readonly lastExchangeAt: number | null
  readonly lastSyncedAt: number | null
  /** Entries of this device another writer holds the clocks of on the relay, as [client, clock]. */
  readonly shadowed: ReadonlyArray<readonly [number, number]>
}

/** What a save writes: `acknowledged` is encoded when the save runs. */
export interface RecordsToSave {
  readonly acknowledged: () => ArrayBuffer
  readonly lastExchangeAt: number | null
  readonly lastSyncedAt: number | null
  readonly shadowed: ReadonlyArray<readonly [number, number]>
}

export interface RoomStoreOptions {
  readonly retryMs?: number
  /** storageError changed (the room folds it into its state). */
  readonly onChange: () => void
  /** Between two steps of the load (adapters/local-store.ts). */
  readonly nextSlice?: () => Promise<void>
  /** Writes the rows off this thread (adapters/row-writer.ts). */
  readonly rowWriter?: RowWriter
}

export class RoomStore {
  private error: string | null = null
  private saveTimer: ReturnType<typeof setTimeout> | null = null
  private trimTimer: ReturnType<typeof setTimeout> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private retrying = false
  private destroyed = false
  /** What the next save writes: set by the room, read when the timer fires. */
  private pending: RecordsToSave | null = null
  private store!: LocalStore

  private constructor(private readonly options: RoomStoreOptions) {}

  /** Opens the room's database into `doc` and reads its records. */
  static async open(name: string, doc: Y.Doc, options: RoomStoreOptions): Promise<{ store: RoomStore; records: RoomRecords }> {
    const room = new RoomStore(options)
    room.store = await LocalStore.open(name, doc, {
      onFailure: (error) => room.fail(error),
      onManyRows: () => room.trimSoon(),
      ...(options.nextSlice ? { nextSlice: options.nextSlice } : {}),
      ...(options.rowWriter ? { rowWriter: options.rowWriter } : {}),
    })
    const [acked, lastExchange, lastSynced, shadowed] = await Promise.all(
      [ACKED_KEY, LAST_EXCHANGE_KEY, LAST_SYNCED_KEY, SHADOWED_KEY].map((key) => room.store.get(key).catch(() => undefined)),
    )
    const acknowledged = acked instanceof ArrayBuffer ? new Uint8Array(acked) : acked instanceof Uint8Array ? acked : null
    const lastExchangeAt = typeof lastExchange === 'number' ? lastExchange : null
    // A room saved before tournee:last-synced existed had synced if it had exchanged at all with
    // the relay and holds an acknowledged vector (the relay's ACK comes after its answer).
    const lastSyncedAt = typeof lastSynced === 'number' ? lastSynced : acknowledged !== null ? lastExchangeAt : null
    return { store: room, records: { acknowledged, lastExchangeAt, lastSyncedAt, shadowed: readShadowed(shadowed) } }
  }

  /** Whether a transaction of the envelope is this store loading what the database held. */
  applied(origin: unknown): boolean {
    return this.store.applied(origin)
  }

  /** The last local-storage failure, or null once a rewrite made the copy whole again. */
  get storageError(): string | null {
    return this.error
  }

  /** Saves the room's records soon (coalesced): `acknowledged` is read when the save runs. */
  saveSoon(records: RecordsToSave): void {
    this.pending = records
    if (this.saveTimer !== null || this.destroyed) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null
      void this.saveNow()
    }, SAVE_DELAY_MS)
  }

  /** Saves now what saveSoon was given (a tab being hidden may be the last moment it runs). */
  async saveNow(): Promise<void> {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer)
    this.saveTimer = null
    const records = this.pending
    if (records === null) return
    try {
      await this.store.set(ACKED_KEY, records.acknowledged())
      if (records.lastExchangeAt !== null) await this.store.set(LAST_EXCHANGE_KEY, records.lastExchangeAt)
      if (records.lastSyncedAt !== null) await this.store.set(LAST_SYNCED_KEY, records.lastSyncedAt)
      if (records.shadowed.length > 0) await this.store.set(SHADOWED_KEY, JSON.stringify(records.shadowed))
    } catch (error) {
      this.fail(error)
    }
  }

  /** After a compaction, rewrite the local store as one snapshot so removed ciphertext goes. */
  trimSoon(): void {
    if (this.trimTimer !== null || this.destroyed) return
    this.trimTimer = setTimeout(() => {
      this.trimTimer = null
      if (!this.destroyed) this.store.rewrite().catch((error: unknown) => this.fail(error))
    }, TRIM_DELAY_MS)
  }

  /**
   * After a failed write, rows may be missing anywhere in the local store, so a later successful
   * write proves nothing: only rewriting the whole state (and the records) does.
   */
  async retry(): Promise<void> {
    if (this.retrying || this.destroyed || this.error === null) return
    this.retrying = true
    try {
      await this.store.rewrite()
      await this.saveNow()
      if (this.retryTimer !== null) clearTimeout(this.retryTimer)
      this.retryTimer = null
      this.setError(null)
    } catch (error) {
      this.fail(error)
    } finally {
      this.retrying = false
    }
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return
    await this.saveNow()
    this.destroyed = true
    for (const timer of [this.saveTimer, this.trimTimer, this.retryTimer]) if (timer !== null) clearTimeout(timer)
    await this.store.destroy()
  }

  private fail(error: unknown): void {
    if (this.destroyed) return
    this.setError(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
    if (this.retryTimer !== null) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.retry()
    }, this.options.retryMs ?? STORAGE_RETRY_MS)
  }

  private setError(error: string | null): void {
    if (error === this.error) return
    this.error = error
    this.options.onChange()
  }
}

/** The shadowed entries as stored: JSON pairs of clocks; anything else (damaged) reads as none. */
function readShadowed(stored: unknown): Array<readonly [number, number]> {
  let value: unknown
  try {
    value = typeof stored === 'string' ? JSON.parse(stored) : null
  } catch (error) {
    // Damaged: its entries may be deleted by a later compaction, which the relay refuses (4400,
    // a reconnection loop the room shows as offline), never lost data. Said, without content.
    console.warn(`Room records: ${SHADOWED_KEY} does not parse (${error instanceof Error ? error.name : 'error'}); ignored`)
    return []
  }
  if (!Array.isArray(value)) return []
  const clock = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
  return value.filter((pair): pair is [number, number] => Array.isArray(pair) && pair.length === 2 && clock(pair[0]) && clock(pair[1]))
}
