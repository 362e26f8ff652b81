/**
 * A practice on this device: the composition of its parts, and the one loop that keeps its rooms
 * where its policies want them.
 *
 *   rooms/room-pool.ts       the rooms in memory (each: envelope, local copy, link to the relay)
 *   wanted-rooms.ts          which rooms are wanted now, and whether they may connect (pure)
 *   doc-leases.ts            which rooms hold docs that someone uses now
 *   background-pass.ts       which rooms the pass fetches now, until the device holds everything
 *   room-index.ts            the rooms the practice has written to (the directory lists them)
 *   startup/first-screen.ts  the start's choreography (main's hold, this week prepared ahead)
 *   digests/practice-digests.ts, attachments/attachment-sync.ts   siblings fed by the rooms
 *   sync-state.ts            the practice's sync state: a fold over its rooms' states
 *
 * Every change (a lease, a room's state, the room index, the network) schedules one `reconcile`,
 * coalesced in a microtask: it computes the wanted rooms and hands them to the pool, folds the
 * sync state, and wakes whoever waits for a condition. Views get a narrow handle (handle(): open a
 * doc, sync state, sync now); the rest of this class is for the device registry, tests and tools.
 */
import type * as Y from 'yjs'
import type { PracticeKeys } from '../../../../shared/src/crypto/space-keys'
import { decodeDirectoryDigest } from '../../../../shared/src/digest/directory-digest'
import { todayIn } from '../../../../shared/src/model/dates'
import { DIRECTORY_DOC_ID, patientDocId } from '../../../../shared/src/model/doc-ids'
import { patientIds } from '../../../../shared/src/model/patients'
import { MAIN_ROOM, roomOf, startupRooms, type RoomName } from '../../../../shared/src/space/rooms'
import { MissingTierKeyError, readsRoom } from '../../../../shared/src/space/room-keys'
import { AttachmentSync, type AttachmentSettings } from '../attachments/attachment-sync'
import { yieldToMain } from '../decode/main-thread'
import type { PracticeDecoder } from '../decode/worker-decoder'
import type { Publication, StartFetch } from '../digests/digest-sync'
import { PracticeDigests, type DigestSettings } from '../digests/practice-digests'
import { RefusalReason } from '../errors'
import { RelayClient } from '../relay/relay-client'
import type { Room, RoomSettings } from '../rooms/room'
import { roomFactory } from '../rooms/room-factory'
import { isSettled, type RoomPhase } from '../rooms/room-lifecycle'
import { RoomPool, type WantedRooms } from '../rooms/room-pool'
import { PracticeStartup } from '../startup/first-screen'
import { FirstScreenKeeper } from '../startup/first-screen-keeper'
import { FirstScreenStore } from '../startup/first-screen-record'
import { UnacknowledgedRooms } from './unacknowledged-rooms'
import { HeldStore } from '../device/held-state'
import { ConnectionStatus, foldSyncState, initialSyncState, sameSyncState, type SyncState } from '../sync-state'
import { BackgroundPass } from './background-pass'
import { browserIsOffline, listenToBrowser } from './browser-signals'
import { DocLeases, type LeasePriority } from './doc-leases'
import { freshnessOf, type DocFreshness } from './doc-freshness'
import type { DocLease, PracticeHandle } from './practice-handle'
import { MainRoomWatch } from './main-room-watch'
import { PracticeInspector } from './practice-inspector'
import { wantedRooms } from './wanted-rooms'
import { startMark } from '../startup/start-marks'

export interface PracticeOptions {
  readonly spaceId: string
  readonly relayUrl: string
  readonly credential: string
  /** The tiers this device's role reads (shared/src/crypto/space-keys.ts); no clinical key: no files room, ever. */
  readonly keys: PracticeKeys
  /** Prefix of the rooms' IndexedDB databases: each room's is `<idbName>-<roomId>`. */
  readonly idbName: string
  /** What every room shares (batching, backoff, sockets); the clock is the practice's. */
  readonly rooms?: Partial<Omit<RoomSettings, 'now'>>
  readonly fetchImpl?: typeof fetch
  /** The registry says this device synced before: an empty main room means it was erased. */
  readonly previouslySynced?: boolean
  /** Connect at once (default true). */
  readonly connect?: boolean
  /** Practice time zone, for which week is "this week" at start (default Europe/Paris). */
  readonly timeZone?: string
  readonly now?: () => number
  /** Fetch the practice's other rooms in the background once main has synced (default true). */
  readonly background?: boolean
  readonly backgroundConcurrency?: number
  /** How long a room stays connected after its last doc was let go (default 2 min). */
  readonly graceMs?: number
  /**
   * The practice's attachment keys (epoch 0's, the later clinical epochs' ring, how to fetch an
   * epoch this device lacks) and the IndexedDB database of its attachments; none: no attachments.
   */
  readonly attachments?: AttachmentSettings
  /** The practice's digest key and settings (digests/practice-digests.ts); none: no digest. */
  readonly digest?: DigestSettings
  /**
   * Decodes big batches of entries, and the directory digest, off this thread
   * (decode/worker-decoder.ts); disposed with the practice.
   */
  readonly decoder?: PracticeDecoder
  /**
   * Resolve `open` once the start-up rooms have loaded from IndexedDB (default true). The app
   * opens at once instead: at 20,000 patients main's rows take 1.5–2 s to load, and its first
   * screen reads the digests meanwhile (startup/first-screen.ts, step 4); every doc a view asks
   * for waits for its room as it would later.
   */
  readonly awaitStartupRooms?: boolean
  /**
   * Keep what this device decrypts apart from the envelope, under a device-local key, in
   * `<idbName>-held` (device/held-state.ts; default true). Off only to measure it or show it matters.
   */
  readonly held?: boolean
  /** The held state's key opened from the passkey's wrap (device/lock/at-rest.ts); none: the one kept at rest. */
  readonly heldKey?: CryptoKey
  /**
   * The first-screen record's store, its read already started (FirstScreenStore.readAhead: the
   * device reads it while it asks the relay for key epochs); used only with the digest key it was
   * made with. None: the practice makes its own and reads the record as it opens.
   */
  readonly firstScreenStore?: FirstScreenStore
}

const GRACE_MS = 2 * 60_000
const DEFAULT_TIME_ZONE = 'Europe/Paris'

export class Practice {
  readonly spaceId: string
  private readonly options: PracticeOptions
  /** A patient file's room, hashed once per session (docIdsOf). */
  private readonly fileRooms = new Map<string, Promise<RoomName | null>>()
  private readonly now: () => number
  private readonly relay: RelayClient
  private readonly pool: RoomPool
  private readonly leases: DocLeases
  private readonly pass: BackgroundPass
  private readonly digests: PracticeDigests
  private readonly startup: readonly RoomName[]
  private readonly startupSet: ReadonlySet<RoomName>
  /** The practice's local date when it opened: this week, for the start and the background order. */
  private readonly today: string
  private readonly startupPlan: PracticeStartup
  /** A cold start's first screen, kept on this device (the app: DigestSettings.showOnColdStart); null otherwise. */
  private readonly firstScreenRecord: FirstScreenKeeper | null
  private readonly listeners = new Set<() => void>()
  /** Told of every change of any room's state (a view's doc freshness), not only the folded state's. */
  private readonly roomListeners = new Set<() => void>()
  /** The room of every doc acquired so far: a view asks a doc's freshness synchronously. */
  private readonly docRooms = new Map<string, RoomName>()
  private readonly untilWaiters = new Set<() => void>()
  private readonly stopListening: () => void
  private state: SyncState = initialSyncState
  /** The practice connects: the person or the browser may take it offline. */
  private online: boolean
  /** The practice as a whole is refused (its data is newer than this app), or null. */
  private refusal: RefusalReason | null = null
  private mainDeferred = true
  private readonly main: MainRoomWatch
  private attachmentSync: AttachmentSync | null = null
  private attachmentError: unknown = null
  private wanted: WantedRooms = new Map()
  private reconcileQueued = false
  private graceTimer: ReturnType<typeof setTimeout> | null = null
  private closed = false
  /** Rooms written into whose changes the relay has not acknowledged, kept across reloads. */
  private readonly unacknowledged: UnacknowledgedRooms
  /** Room-index listings under way (listRoom): what an export waits for before reading the months. */
  private readonly listing = new Set<Promise<void>>()
  /** What this device decrypted, kept apart from the envelopes (device/held-state.ts), or null. */
  private readonly held: HeldStore | null

  /** Opens the practice from this device's storage (works offline); connects unless told not to. */
  static async open(options: PracticeOptions): Promise<Practice> {
    startMark('practice-opening')
    const practice = new Practice(options)
    // Read before anything else (a few kilobytes), so the first render already shows today.
    const recordShown = options.previouslySynced ? practice.firstScreenRecord?.show() : undefined
    if (options.attachments) await practice.startAttachments(options.attachments)
    startMark('attachments-started')
    // Rooms a previous session wrote into and the relay has not acknowledged: loaded with the start.
    practice.inBackground(practice.unacknowledged.load().then(() => practice.scheduleReconcile()))
    practice.scheduleReconcile()
    if (options.previouslySynced) practice.startupPlan.prefetchForColdStart((await recordShown) === true)
    const loaded = Promise.all(practice.startup.map((room) => practice.pool.whenLoaded(room))).then(() => {
      if (!practice.closed) practice.startupPlan.begin()
    })
    if (options.awaitStartupRooms ?? true) await loaded
    else practice.inBackground(loaded)
    startMark('practice-opened')
    return practice
  }

  private constructor(options: PracticeOptions) {
    this.options = options
    this.spaceId = options.spaceId
    this.now = options.now ?? Date.now
    this.today = todayIn(options.timeZone ?? DEFAULT_TIME_ZONE, this.now)
    this.startup = startupRooms(this.today)
    this.startupSet = new Set(this.startup)
    this.online = (options.connect ?? true) && !browserIsOffline()
    this.relay = new RelayClient({ relayUrl: options.relayUrl, spaceId: options.spaceId, credential: options.credential, ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}) })
    this.held = (options.held ?? true) ? new HeldStore(options.idbName, options.heldKey) : null
    this.unacknowledged = new UnacknowledgedRooms(options.idbName, (error) => console.warn('The list of rooms with unacknowledged changes could not be written', error.name))
    this.leases = new DocLeases(this.now)
    this.pass = new BackgroundPass(this.today, this.startupSet, options.backgroundConcurrency, (room) => readsRoom(options.keys, room))
    const decoder = options.decoder
    const digest = options.digest && decoder ? { ...options.digest, decodeDirectory: (plain: Uint8Array) => decodeDirectoryDigest(plain, { nextSlice: () => decoder.nextSlice() }) } : options.digest
    this.digests = new PracticeDigests(digest ?? null, {
      relay: this.relay,
      spaceId: options.spaceId,
      today: this.today,
      now: this.now,
      onAlarm: () => this.publishState(),
    })
    this.pool = new RoomPool({
      createRoom: roomFactory({
        ...options,
        relay: this.relay,
        settings: {
          ...options.rooms,
          envelope: {
            ...options.rooms?.envelope,
            ...(options.decoder ? { decoder: options.decoder } : {}),
            ...(this.held ? { held: this.held } : {}),
            docIdsOf: (room) => this.docIdsOf(room),
          },
          now: this.now,
        },
        previouslySynced: options.previouslySynced ?? false,
      }),
      onChange: () => {
        // The state is folded at once (a handshake's backlog may last less than a turn); the
        // wants, once per turn.
        this.publishState()
        this.notifyRooms()
        this.scheduleReconcile()
      },
      onLocalWrite: (room) => this.onLocalWrite(room),
    })
    this.main = new MainRoomWatch({
      openDoc: (docId) => this.openDoc(docId),
      settleMain: async () => this.pool.loaded(MAIN_ROOM)?.envelope.settle(),
      pass: this.pass,
      digests: this.digests,
      onChange: () => this.scheduleReconcile(),
      onFormatTooNew: () => {
        this.refusal = RefusalReason.FormatTooNew
        this.scheduleReconcile()
      },
      inBackground: (work) => this.inBackground(work),
    })
    this.startupPlan = new PracticeStartup(
      {
        startup: this.startup,
        today: this.today,
        phaseOf: (name) => this.pool.loaded(name)?.getState().phase ?? null,
        settleRoom: async (name) => this.pool.loaded(name)?.envelope.settle(),
        openDoc: async (name, docId) => (await this.pool.loaded(name)?.openDoc(docId)) ?? null,
        until: (check) => this.until(check),
        isClosed: () => this.closed,
      },
      {
        digests: this.digests,
        timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
        now: this.now,
        holdMainForFirstScreen: options.digest?.holdMainForFirstScreen ?? false,
        ...(options.digest?.holdMainMaxMs === undefined ? {} : { holdMainMaxMs: options.digest.holdMainMaxMs }),
        mainHasLocalData: () => (this.pool.loaded(MAIN_ROOM)?.envelope.entries.length ?? 0) > 0,
        releaseMain: () => {
          this.mainDeferred = false
          this.scheduleReconcile()
        },
        acquireDoc: (docId, priority) => this.acquireDoc(docId, priority),
        inBackground: (work) => this.inBackground(work),
        online: () => this.online,
      },
    )
    const given = options.firstScreenStore
    const recordStore =
      options.digest?.showOnColdStart !== true
        ? null
        : given?.key === options.digest.key
          ? given
          : new FirstScreenStore({ idbName: options.idbName, spaceId: options.spaceId, key: options.digest.key })
    // A store read ahead that this practice does not use lets its database go.
    if (given && given !== recordStore) given.close()
    this.firstScreenRecord =
      recordStore !== null
        ? new FirstScreenKeeper({
            store: recordStore,
            directoryHolder: this.digests.directoryHolder,
            weekHolder: this.digests.weekHolder,
            acquireDoc: (docId) => this.acquireDoc(docId, 'prefetch'),
            timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
            now: this.now,
            onError: (error) => console.warn('First-screen record:', error instanceof Error ? error.name : 'error'),
          })
        : null
    const keeper = this.firstScreenRecord
    if (keeper) this.inBackground(Promise.all([this.main.directorySynced, this.startupPlan.weekSynced]).then(() => keeper.start()))
    this.inspect = new PracticeInspector({
      pool: this.pool,
      pass: this.pass,
      startup: this.startupPlan,
      wanted: () => this.wanted,
      pin: (name) => {
        this.leases.acquire(name, 'pin')
        this.scheduleReconcile()
        return this.pool.whenLoaded(name)
      },
    })
    this.stopListening = listenToBrowser({
      offline: () => this.disconnect(),
      online: () => this.connect(),
      hidden: () => {
        for (const room of this.pool.loadedRooms()) void room.saveNow()
        void this.firstScreenRecord?.writeSoon()
      },
    })
  }

  /** What the views get: open a doc, sync state, sync now, digests, attachments. */
  handle(): PracticeHandle {
    const attachments = () => this.attachmentSync
    const attachmentFailure = () => this.attachmentError
    return Object.freeze({
      spaceId: this.spaceId,
      readsClinical: this.options.keys.clinical !== null,
      acquireDoc: (docId: string, priority: 'view' | 'prefetch') => this.acquireDoc(docId, priority),
      getSyncState: () => this.state,
      subscribe: (listener: () => void) => this.subscribe(listener),
      docFreshness: (docId: string) => this.docFreshness(docId),
      subscribeRooms: (listener: () => void) => {
        this.roomListeners.add(listener)
        return () => this.roomListeners.delete(listener)
      },
      syncNow: () => this.syncNow(),
      roomsListed: () => this.roomsListed(),
      directoryDigest: this.digests.directoryHolder,
      weekDigest: this.digests.weekHolder,
      get attachments() {
        return attachments()
      },
      get attachmentFailure() {
        return attachmentFailure()
      },
      firstScreenShown: () => this.firstScreenShown(),
      nextSlice: () => this.options.decoder?.nextSlice() ?? yieldToMain(),
    })
  }

  // --- docs ---

  /** Opens a doc for as long as the lease is held: its room is loaded and connected meanwhile. */
  async acquireDoc(docId: string, priority: LeasePriority): Promise<DocLease> {
    if (this.closed) throw new Error('The practice is closed')
    const room = await roomOf(docId)
    // Refused here, before a lease: a device whose role does not read the room's tier never opens it.
    if (!readsRoom(this.options.keys, room)) throw new MissingTierKeyError(room)
    this.docRooms.set(docId, room)
    const end = this.leases.acquire(room, priority)
    this.scheduleReconcile()
    const release = () => {
      end()
      this.scheduleReconcile()
    }
    try {
      const doc = await (await this.pool.whenLoaded(room)).openDoc(docId)
      return { doc, release }
    } catch (error) {
      release()
      throw error
    }
  }

  /** A doc held for the practice's lifetime (tests, tools, the registry): its room stays loaded. */
  async openDoc(docId: string): Promise<Y.Doc> {
    return (await this.acquireDoc(docId, 'pin')).doc
  }

  /** How far a doc acquired here can be trusted now (doc-freshness.ts). */
  docFreshness(docId: string): DocFreshness {
    const room = this.docRooms.get(docId) ?? null
    const state = room === null ? null : (this.pool.loaded(room)?.getState() ?? null)
    return freshnessOf(state, { online: this.online && this.refusal === null, knownEmpty: room !== null && this.main.knownEmpty(room) })
  }

  /** The room of a doc (shared/src/space/rooms.ts). */
  roomOfDoc(docId: string): Promise<RoomName> {
    return roomOf(docId)
  }

  // --- sync state and control ---

  getSyncState(): SyncState {
    return this.state
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** « Synchroniser maintenant »: every room pushes, retries its storage and reconnects now. */
  syncNow(): void {
    for (const room of this.pool.loadedRooms()) void room.flush()
    this.connect()
  }

  /** Online: every room may connect; a refusal is tried again. */
  connect(): void {
    if (this.closed) return
    this.online = true
    for (const room of this.pool.loadedRooms()) room.retry()
    this.scheduleReconcile()
  }

  /** Whether destroy() was called: work the practice started and that outlives it (an online pass) stops then. */
  get isClosed(): boolean {
    return this.closed
  }

  /** Offline on purpose: every socket closes; everything keeps working from this device. */
  disconnect(): void {
    this.online = false
    this.scheduleReconcile()
  }

  async flush(): Promise<void> {
    await Promise.all(this.pool.loadedRooms().map((room) => room.flush()))
  }

  /** Resolves once the relay has acknowledged every local entry of every room in memory. */
  async whenAcknowledged(timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.pool.loadedRooms().map((room) => room.whenAcknowledged(timeoutMs)))
  }

  /**
   * The docs a file shard may hold, so that its envelope can judge a deletion of one it never
   * opened: the patients of the directory whose file is in that shard, if main is loaded (a room's
   * name gives the rest). Only asked when a deletion arrives for a doc the envelope cannot name yet.
   * Each patient's shard is hashed once per session (one SHA-256), so that each shard's envelope
   * blinds its own ~1/16th of the patients rather than all of them.
   */
  private async docIdsOf(room: RoomName): Promise<string[]> {
    const main = this.pool.loaded(MAIN_ROOM)
    if (!room.startsWith('files/') || main === null) return []
    const docIds = patientIds(await main.openDoc(DIRECTORY_DOC_ID)).map(patientDocId)
    const rooms = await Promise.all(docIds.map((docId) => this.roomOfFile(docId)))
    return docIds.filter((_, i) => rooms[i] === room)
  }

  /** Null for an id the model refuses (a directory key written by a faulty client): no file of it. */
  private roomOfFile(docId: string): Promise<RoomName | null> {
    let room = this.fileRooms.get(docId)
    if (!room) {
      room = roomOf(docId).catch(() => null)
      this.fileRooms.set(docId, room)
    }
    return room
  }

  /** Waits for every room's envelope to finish its queued writes and compactions. */
  async settle(): Promise<void> {
    await Promise.all(this.pool.loadedRooms().map((room) => room.envelope.settle()))
    // And what the open docs keep on the device (device/held-state.ts), which settle() leaves out.
    await Promise.all(this.pool.loadedRooms().map((room) => room.envelope.settleHeld()))
  }

  /** Every loaded room tries again the entries it could not read: this device has just been given a key epoch. */
  async retryUnapplied(): Promise<void> {
    await Promise.all(this.pool.loadedRooms().map((room) => room.envelope.retryUnapplied()))
  }

  /** Compacts a doc now in its room's envelope (tests; the envelope compacts by itself). */
  async compact(docId: string): Promise<void> {
    await this.openDoc(docId)
    await (await this.pool.whenLoaded(await roomOf(docId))).envelope.compact(docId)
  }

  // --- start-up and digests ---

  firstScreenShown(): void {
    this.startupPlan.firstScreenShown()
  }

  /** Resolves once main's first exchange is applied: the views read the directory doc from then on. */
  whenDirectorySynced(): Promise<void> {
    return this.main.directorySynced
  }

  whenDigestFetched(): Promise<StartFetch | 'not-needed'> {
    return this.startupPlan.mainDecided.then(() => this.digests.directoryFetched())
  }

  /** What became of a cold start's directory digest (DigestSettings.showOnColdStart). */
  whenColdStartDigestFetched(): Promise<StartFetch | 'not-needed'> {
    return this.startupPlan.mainDecided.then(() => this.digests.coldStartFetched())
  }

  whenWeekDigestFetched(): Promise<StartFetch | 'not-needed'> {
    return this.startupPlan.mainDecided.then(() => this.digests.weekFetched())
  }

  get directoryDigest(): PracticeDigests['directoryHolder'] {
    return this.digests.directoryHolder
  }

  get weekDigest(): PracticeDigests['weekHolder'] {
    return this.digests.weekHolder
  }

  /** Publishes the directory digest now unless the relay's is as recent (tests, benchmarks). */
  async publishDirectoryDigest(): Promise<Publication> {
    return this.digests.publishDirectory(await this.openDoc(DIRECTORY_DOC_ID))
  }

  /** Publishes the week digest now; refuses if a month of its window cannot sync now. */
  async publishWeekDigest(): Promise<Publication> {
    const source = await this.startupPlan.weekSource()
    if (source === null) throw new Error("The week digest's month rooms are not synced on this device")
    return this.digests.publishWeek(source)
  }

  /**
   * Lists a room written to in the directory's room index, in the background (it may wait for the
   * directory to open), and keeps the work in hand until done, so `roomsListed` can wait for it.
   */
  private listRoom(name: RoomName): void {
    const listing = this.main.record(name)
    this.listing.add(listing)
    const done = () => void this.listing.delete(listing)
    listing.then(done, done)
    this.inBackground(listing)
  }

  /**
   * Resolves once every room written to so far is listed in the room index (or its listing failed).
   * A write reaches the envelope (and so `onLocalWrite`, which lists its room) only once encrypted,
   * in batches: the flush pushes what is queued first.
   */
  async roomsListed(): Promise<void> {
    await this.flush()
    await Promise.allSettled([...this.listing])
  }

  // --- attachments ---

  get attachments(): AttachmentSync | null {
    return this.attachmentSync
  }

  /** Why attachments could not start on this device (their database would not open), or null. */
  get attachmentFailure(): unknown {
    return this.attachmentError
  }

  /** Rooms, pass and wants, for tests, benchmarks and diagnostics (never for views). */
  readonly inspect: PracticeInspector

  async destroy(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopListening()
    this.firstScreenRecord?.stop()
    if (this.graceTimer !== null) clearTimeout(this.graceTimer)
    this.digests.destroy()
    this.main.destroy()
    this.wakeWaiters()
    await this.attachmentSync?.destroy()
    await this.pool.destroy()
    await this.unacknowledged.close()
    this.held?.close()
    this.options.decoder?.dispose()
    this.listeners.clear()
    this.roomListeners.clear()
  }

  // --- the loop ---

  private scheduleReconcile(): void {
    if (this.reconcileQueued || this.closed) return
    this.reconcileQueued = true
    queueMicrotask(() => {
      this.reconcileQueued = false
      if (!this.closed) this.reconcile()
    })
  }

  private reconcile(): void {
    const rooms = new Map(this.pool.loadedRooms().map((room) => [room.name, room.getState()] as const))
    this.main.notice(rooms.get(MAIN_ROOM)?.phase ?? null)
    for (const [name, state] of rooms) this.pass.observe(name, state.phase)
    const startupSettled = this.startup.every((name) => settled(rooms.get(name)?.phase ?? null))
    this.unacknowledged.settle(rooms)
    this.wanted = wantedRooms({
      startup: this.startup,
      online: this.online && this.refusal === null,
      mainDeferred: this.mainDeferred,
      startupSettled,
      uses: this.leases.usage(this.graceMs),
      background: (this.options.background ?? true) && startupSettled ? this.pass.window() : [],
      // A room this device wrote into before its role lost the room's tier (role-downgrade.ts) stays unloaded.
      unacknowledged: this.unacknowledged.list().filter((room) => readsRoom(this.options.keys, room)),
      rooms,
    })
    this.pool.reconcile(this.wanted)
    this.scheduleGraceEnd()
    this.publishState()
    // Going offline or online changes every doc's freshness without any room's state changing.
    this.notifyRooms()
    this.wakeWaiters()
  }

  private get graceMs(): number {
    return this.options.graceMs ?? GRACE_MS
  }

  /** A room leaving its grace period is a change too: reconcile then. */
  private scheduleGraceEnd(): void {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer)
    this.graceTimer = null
    const next = this.leases.nextExpiry(this.graceMs)
    if (next === null) return
    this.graceTimer = setTimeout(() => this.scheduleReconcile(), Math.max(0, next - this.now()) + 1)
  }

  private publishState(): void {
    if (this.closed) return
    const next = foldSyncState(
      this.pool.loadedRooms().map((room) => room.getState()),
      { online: this.online, refusal: this.refusal, digests: this.digests.alarm() },
    )
    if (sameSyncState(next, this.state)) return
    const cameOnline = next.status === ConnectionStatus.Online && this.state.status !== ConnectionStatus.Online
    this.state = next
    if (cameOnline) void this.attachmentSync?.drain()
    for (const listener of this.listeners) listener()
  }

  private notifyRooms(): void {
    if (this.closed) return
    for (const listener of this.roomListeners) listener()
  }

  /** Resolves once `check` holds (re-checked after every reconcile), or the practice closes. */
  private until(check: () => boolean): Promise<void> {
    if (this.closed || check()) return Promise.resolve()
    return new Promise((resolve) => {
      const waiter = () => {
        if (!this.closed && !check()) return
        this.untilWaiters.delete(waiter)
        resolve()
      }
      this.untilWaiters.add(waiter)
    })
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.untilWaiters]) waiter()
  }

  // --- rooms ---

  private onLocalWrite(room: Room): void {
    this.unacknowledged.add(room.name)
    this.digests.wroteInto(room.name)
    if (room.name !== MAIN_ROOM) this.listRoom(room.name)
    this.scheduleReconcile()
  }

  // --- attachments ---

  /** Attachments have their own database: if it cannot open, the practice still opens, and they say why. */
  private async startAttachments(config: AttachmentSettings): Promise<void> {
    try {
      this.attachmentSync = await AttachmentSync.open({
        ...config,
        spaceId: this.spaceId,
        relay: this.relay,
        now: this.now,
        isOnline: () => this.state.status === ConnectionStatus.Online,
      })
    } catch (error) {
      this.attachmentError = error
    }
  }

  /**
   * Work nobody awaits: a failure after destroy() is expected (rooms close under it); any other
   * is reported without data (names and errors only).
   */
  private inBackground(work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      if (!this.closed) console.warn('Background practice work failed', error instanceof Error ? `${error.name}: ${error.message}` : 'error')
    })
  }
}

function settled(phase: RoomPhase | null): boolean {
  return phase !== null && isSettled(phase)
}
