/**
 * A practice on this device: one credential and one set of keys, its docs spread over relay
 * rooms (shared/src/space/rooms.ts), each room a `Space` (space.ts) with its own envelope,
 * IndexedDB database and socket. The UI sees only `openDoc` and one aggregated SyncState.
 *
 *   - at start: the start-up rooms (`startupRooms`: `main`, and this month, plus the
 *     other month of a week that straddles two) open and connect, so the
 *     directory and today's agenda are usable as soon as those small rooms are synced;
 *   - on demand: `openDoc('agenda/2019-03')` opens that doc's room, which loads from IndexedDB and
 *     connects; views wait only for that room. `prefetchDoc` (the agenda's neighbour months) does
 *     the same once the start-up rooms have settled, so it never competes with them;
 *   - in the background, for full offline use: after the first sync of `main` (and after each
 *     reconnection of `main`, and whenever the list grows), once the start-up rooms have settled,
 *     the rooms the practice has written to — listed in the directory's `rooms` map, which every
 *     device keeps up to date when it first writes into a room — are opened most useful first
 *     (background-order.ts) with at most `backgroundConcurrency` (default 3) in flight. A room
 *     the pass caught up is not opened again until `main` reconnects;
 *   - memory: a room no view uses (none of its docs was opened here) is released — its Space
 *     destroyed, its data kept in IndexedDB — as soon as the background pass has it synced with
 *     nothing pending, and when its idle countdown ends. A tablet thus holds the start-up rooms,
 *     the rooms its views opened, and at most `backgroundConcurrency` others. A room refused by
 *     the relay, or with unsent entries, is kept (the refusal shows; the entries still leave). If
 *     a room of the pass cannot reach the relay, the pass stops; main's next connection restarts it;
 *   - idle policy: a room in use but outside the start-up set closes its socket after
 *     `idleCloseMs` (default 2 min) without a doc being opened in it, once nothing is pending.
 *     Its Space stays open, so its docs and local copy are kept and still readable and writable;
 *     a write or an `openDoc` in it reconnects it, and the next background pass catches it up.
 *
 * Today's week is made ready before anyone asks: once the room holding one of its month docs has
 * synced (or could not), that doc is opened — decrypted and integrated — at the next idle moment.
 * A new device thus spends the seconds a person takes to pick their name on "Qui êtes-vous ?"
 * integrating this month (the largest task of its start after the directory), and the agenda shows
 * at the tap instead of after it. A new device that found a week digest (week-digest.ts) shows the
 * week from it instead, and in the app (`holdMainForFirstScreen`) integrates the month only once
 * that first screen has rendered: a tap at once on « Qui êtes-vous ? » then waits for nothing but
 * the week's render. The digest is shown until this week's month docs have synced and been opened.
 *
 * Sync state: the rooms that want a connection are aggregated (the worst status wins: refused,
 * offline, connecting, syncing, online; counts are summed; the last exchange is the latest). An
 * idle-closed room does not make the practice look offline, and a released room is not counted at
 * all (it had nothing pending). A refusal of any room is a refusal of the practice.
 */
import * as Y from 'yjs'
import type { Envelope } from '../../../shared/src/envelope/envelope'
import type { SpaceKeys } from '../../../shared/src/crypto/space-keys'
import { agendaDocId, DIRECTORY_DOC_ID } from '../../../shared/src/model/doc-ids'
import { addDays, startOfWeek, todayIn } from '../../../shared/src/model/dates'
import type { DirectoryDigest } from '../../../shared/src/digest/directory-digest'
import { weekDigestCovers, weekDigestWindow, type WeekDigest } from '../../../shared/src/digest/week-digest'
import { blindRoomName } from '../../../shared/src/space/room-keys'
import { backgroundOrder } from '../../../shared/src/space/background-order'
import { isRoomName, MAIN_ROOM, roomOf, startupRooms, weekMonths, type RoomName } from '../../../shared/src/space/rooms'
import type { AttachmentSync } from './attachment-sync'
import { runBounded, type QueueVerdict } from './bounded-queue'
import { DirectoryDigestHolder, WeekDigestHolder } from './digest-source'
import {
  DigestSync,
  directoryDigestKind,
  weekDigestKind,
  type DigestSyncOptions,
  type Publication,
  type StartFetch,
  type WeekSource,
} from './digest-sync'
import { Space, type SpaceOptions } from './space'
import { ConnectionStatus, initialSyncState, type SyncState } from './sync-state'

/** Options every room of the practice shares (batching, backoff, sockets, clock). */
export type RoomOptions = Omit<
  SpaceOptions,
  'spaceId' | 'relayUrl' | 'credential' | 'keys' | 'idbName' | 'room' | 'roomId' | 'previouslySynced' | 'connect' | 'onLocalWrite'
>

export interface PracticeSpaceOptions {
  spaceId: string
  relayUrl: string
  credential: string
  keys: SpaceKeys
  /** Prefix of the rooms' IndexedDB databases: each room's is `<idbName>-<roomId>`. */
  idbName: string
  room?: RoomOptions
  /** The registry says this device synced before: an empty main room means it was erased. */
  previouslySynced?: boolean
  /** Connect at once (default true). */
  connect?: boolean
  /** Practice time zone, for which agenda month is "this month" at start (default Europe/Paris). */
  timeZone?: string
  now?: () => number
  /** Open the practice's other rooms in the background after the first sync (default true). */
  background?: boolean
  /** How long a room outside the start-up set stays connected without use (default 2 min). */
  idleCloseMs?: number
  /** Rooms the background pass opens and syncs at once (default 3). */
  backgroundConcurrency?: number
  /**
   * The practice's attachment key and the IndexedDB database of its attachments (none: no
   * attachments). Attachments belong to the practice, not to a room: the main room, always open
   * and connected, carries their upload queue.
   */
  attachments?: { key: CryptoKey; idbName: string }
  /**
   * The practice's digest key (deriveDigestKey): a device with nothing local fetches the
   * directory and week digests to show at once, and a synced device publishes them
   * (digest-sync.ts). None: no digest, the views wait for the docs.
   */
  digest?: {
    key: CryptoKey
    publishIntervalMs?: number
    checkEveryMs?: number
    holdMainMaxMs?: number
    /**
     * A new device's main room also waits for the views' first screen (firstScreenShown), so the
     * directory's long integration does not land on « Qui êtes-vous ? » while a person picks
     * their name; with a week digest shown, so does this week's month (the app; benchmarks and
     * tests that have no screen leave it off).
     */
    holdMainForFirstScreen?: boolean
  }
}

/** The directory's map of rooms the practice has written to (room name → true). */
export const ROOMS_INDEX_MAP = 'rooms'
const IDLE_CLOSE_MS = 2 * 60_000
/**
 * Three rooms in flight: enough to overlap the handshake round trips that dominate small rooms
 * (~140 rooms at ten years of months), few enough that a tablet decodes one room while two
 * download, and that the start-up rooms' bandwidth is not diluted when a view opens a room.
 */
export const BACKGROUND_CONCURRENCY = 3
/** The longest a new device holds its main room back for the digest and today's rooms. */
const MAIN_HOLD_MAX_MS = 5_000
const DEFAULT_TIME_ZONE = 'Europe/Paris'

const STATUS_RANK: Record<ConnectionStatus, number> = {
  [ConnectionStatus.Refused]: 4,
  [ConnectionStatus.Offline]: 3,
  [ConnectionStatus.Connecting]: 2,
  [ConnectionStatus.Syncing]: 1,
  [ConnectionStatus.Online]: 0,
}

interface OpenRoom {
  readonly name: RoomName
  readonly space: Space
  idleTimer: ReturnType<typeof setTimeout> | null
  /** Socket closed by the idle policy (not by the person or the network). */
  idle: boolean
  /** A doc of this room was opened here (a view holds it): the room stays in memory. */
  inUse: boolean
}

export class PracticeSpace {
  readonly spaceId: string
  /** What the directory's views read until the directory has synced (see digest-source.ts). */
  readonly directoryDigest = new DirectoryDigestHolder()
  /** What the agenda reads for this week and the next until this week's month docs have synced. */
  readonly weekDigest = new WeekDigestHolder()
  private readonly options: PracticeSpaceOptions
  private readonly now: () => number
  private readonly rooms = new Map<RoomName, Promise<OpenRoom>>()
  private readonly opened = new Map<RoomName, OpenRoom>()
  private readonly startupRooms: ReadonlySet<RoomName>
  /** The agenda docs of today's week, opened ahead of the views (prepareWeek). */
  private readonly weekDocs: readonly string[]
  /** The practice's local date when it opened: what "this month" means for start-up and order. */
  private readonly today: string
  /** Rooms being released (their Space closing): reopening one waits for that. */
  private readonly releasing = new Map<RoomName, Promise<void>>()
  /** Rooms the background pass synced since main last connected: not opened again until then. */
  private readonly caughtUp = new Set<RoomName>()
  private readonly listeners = new Set<() => void>()
  private state: SyncState = initialSyncState
  private wanted: boolean
  private destroyed = false
  private backgroundRun: Promise<void> | null = null
  /** The room list changed during a pass: run another once it ends. */
  private backgroundAgain = false
  private indexWatched = false
  private mainWasOnline = false
  /** Rooms this session has listed in the directory's room index already. */
  private readonly recordedRooms = new Set<RoomName>()
  private readonly digestSync: DigestSync<DirectoryDigest, Y.Doc> | null
  private readonly weekSync: DigestSync<WeekDigest, WeekSource> | null
  private mainWasSynced = false
  /** The start-up fetch of the digest (a device with nothing local in main), if any. */
  private digestFetch: Promise<StartFetch> | null = null
  /** The start-up fetch of the week digest, started with the directory's. */
  private weekFetch: Promise<StartFetch> | null = null
  /** This week's month docs opened here after their room synced (prepareWeek). */
  private readonly weekDocsSynced = new Set<string>()
  private markDirectorySynced: () => void = () => undefined
  private markFirstScreen: () => void = () => undefined
  private readonly firstScreen = new Promise<void>((resolve) => {
    this.markFirstScreen = resolve
  })
  private readonly directorySyncedHere = new Promise<void>((resolve) => {
    this.markDirectorySynced = resolve
  })

  static async open(options: PracticeSpaceOptions): Promise<PracticeSpace> {
    const practice = new PracticeSpace(options)
    await Promise.all([...practice.startupRooms].map((name) => practice.room(name)))
    return practice
  }

  private constructor(options: PracticeSpaceOptions) {
    this.options = options
    this.spaceId = options.spaceId
    this.now = options.now ?? options.room?.now ?? Date.now
    this.wanted = options.connect ?? true
    this.today = todayIn(options.timeZone ?? DEFAULT_TIME_ZONE, this.now)
    this.startupRooms = new Set(startupRooms(this.today))
    this.weekDocs = weekMonths(this.today).map(agendaDocId)
    const digest = options.digest
    const shared: Omit<DigestSyncOptions<unknown>, 'holder'> | null = digest
      ? {
          target: {
            relayUrl: options.relayUrl,
            spaceId: options.spaceId,
            credential: options.credential,
            ...(options.room?.fetchImpl ? { fetchImpl: options.room.fetchImpl } : {}),
          },
          key: digest.key,
          now: this.now,
          ...(digest.publishIntervalMs === undefined ? {} : { publishIntervalMs: digest.publishIntervalMs }),
          ...(digest.checkEveryMs === undefined ? {} : { checkEveryMs: digest.checkEveryMs }),
        }
      : null
    this.digestSync = shared ? new DigestSync(directoryDigestKind, { ...shared, holder: this.directoryDigest }) : null
    const monday = startOfWeek(this.today)
    this.weekSync = shared
      ? new DigestSync(weekDigestKind, {
          ...shared,
          holder: this.weekDigest,
          // Last week's digest (no device online yet this week) is of no use to this week's view.
          shows: (week) => weekDigestCovers(week, monday, addDays(monday, 6)),
        })
      : null
  }

  // --- the UI's surface (the same as a Space's) ---

  async openDoc(docId: string): Promise<Y.Doc> {
    const name = await this.roomOfDoc(docId)
    for (;;) {
      const room = await this.room(name)
      // Released by the background pass between its opening and now: open it again.
      if (this.opened.get(name) !== room) continue
      room.inUse = true
      this.touch(room)
      return room.space.openDoc(docId)
    }
  }

  /**
   * Opens a doc a view will probably show next (the agenda's neighbour months), once the
   * start-up rooms have settled: fetching it must not slow down what the screen shows now.
   */
  async prefetchDoc(docId: string): Promise<Y.Doc> {
    await this.startupSettled()
    return this.openDoc(docId)
  }

  /** The room of a doc (shared/src/space/rooms.ts). */
  roomOfDoc(docId: string): Promise<RoomName> {
    return roomOf(docId)
  }

  getSyncState(): SyncState {
    return this.state
  }

  /** Compacts a doc now in the envelope of its room (tests; the envelope compacts by itself). */
  async compact(docId: string): Promise<void> {
    await this.openDoc(docId)
    await (await this.room(await this.roomOfDoc(docId))).space.envelope.compact(docId)
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** "Synchroniser maintenant": every open room pushes and reconnects, idle ones included. */
  syncNow(): void {
    this.wanted = true
    for (const room of this.opened.values()) {
      room.idle = false
      room.space.syncNow()
      this.touch(room)
    }
    this.recompute()
  }

  connect(): void {
    if (this.destroyed) return
    this.wanted = true
    for (const room of this.opened.values()) if (!room.idle) room.space.connect()
    this.recompute()
  }

  disconnect(): void {
    this.wanted = false
    for (const room of this.opened.values()) room.space.disconnect()
    this.recompute()
  }

  async flush(): Promise<void> {
    await Promise.all([...this.opened.values()].map((room) => room.space.flush()))
  }

  /** Resolves once the relay has acknowledged every local entry of every open room. */
  async whenAcknowledged(timeoutMs = 30_000): Promise<void> {
    await Promise.all([...this.opened.values()].map((room) => room.space.whenAcknowledged(timeoutMs)))
  }

  /**
   * Resolves once main's first exchange with the relay is applied here: from then on the views
   * read the directory doc, not the digest (tests, benchmarks).
   */
  whenDirectorySynced(): Promise<void> {
    return this.directorySyncedHere
  }

  /**
   * What became of the start-up fetch of the digest: shown, none on the relay (or unreadable),
   * arrived after the directory synced; 'not-needed' when main had local data or without a key.
   */
  whenDigestFetched(): Promise<StartFetch | 'not-needed'> {
    return this.digestFetch ?? Promise.resolve('not-needed')
  }

  /** As `whenDigestFetched`, for the week digest. */
  whenWeekDigestFetched(): Promise<StartFetch | 'not-needed'> {
    return this.weekFetch ?? Promise.resolve('not-needed')
  }

  /**
   * The views show what the person came for (a screen of the app, past « Qui êtes-vous ? »): a new
   * device's main room, held back for the digest, may now bring the directory (see
   * `holdMainForFirstScreen`). Harmless when main is not held.
   */
  firstScreenShown(): void {
    this.markFirstScreen()
  }

  /**
   * Publishes the directory digest now unless the relay's is as recent (the periodic check does
   * it by itself; benchmarks and tests call this). Needs the digest key.
   */
  async publishDirectoryDigest(): Promise<Publication> {
    if (this.digestSync === null) throw new Error('This practice was opened without a digest key')
    const main = await this.room(MAIN_ROOM)
    return this.digestSync.publish(await main.space.openDoc(DIRECTORY_DOC_ID))
  }

  /**
   * Publishes the week digest now, as `publishDirectoryDigest` (benchmarks, tests): opens the
   * window's month docs and waits for their rooms to sync; refuses if one cannot.
   */
  async publishWeekDigest(): Promise<Publication> {
    if (this.weekSync === null) throw new Error('This practice was opened without a digest key')
    const source = await this.weekSource()
    if (source === null) throw new Error("The week digest's month rooms are not synced on this device")
    return this.weekSync.publish(source)
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    this.digestSync?.destroy()
    this.weekSync?.destroy()
    await Promise.allSettled([...this.releasing.values()])
    const rooms = await Promise.allSettled([...this.rooms.values()])
    for (const result of rooms) {
      if (result.status !== 'fulfilled') continue
      if (result.value.idleTimer !== null) clearTimeout(result.value.idleTimer)
      await result.value.space.destroy()
    }
    this.listeners.clear()
  }

  /** The practice's attachments on this device (carried by the main room); null without a key. */
  get attachments(): AttachmentSync | null {
    return this.mainSpace().attachments
  }

  /** Why attachments could not start on this device (their database would not open), or null. */
  get attachmentFailure(): unknown {
    return this.mainSpace().attachmentFailure
  }

  private mainSpace(): Space {
    const main = this.opened.get(MAIN_ROOM)
    if (!main) throw new Error('The main room opens with the practice')
    return main.space
  }

  // --- rooms (tests, benchmarks, diagnostics) ---

  /** The main room's envelope (tests). */
  get envelope(): Envelope {
    return this.mainSpace().envelope
  }

  /** Waits for every open room's envelope to finish its queued writes and compactions. */
  async settle(): Promise<void> {
    await Promise.all([...this.opened.values()].map((room) => room.space.envelope.settle()))
  }

  /** Size of what this device holds, over every open room (benchmarks, diagnostics). */
  envelopeStats(): { rooms: number; entries: number; bytes: number } {
    let entries = 0
    let bytes = 0
    for (const room of this.opened.values()) {
      entries += room.space.envelope.entries.length
      bytes += Y.encodeStateAsUpdate(room.space.envelope.doc).byteLength
    }
    return { rooms: this.opened.size, entries, bytes }
  }

  /** Names of the rooms open on this device, connected or not. */
  openRoomNames(): RoomName[] {
    return [...this.opened.keys()]
  }

  /** Names of the rooms whose socket is open right now. */
  connectedRoomNames(): RoomName[] {
    return [...this.opened.values()]
      .filter((room) => {
        const status = room.space.getSyncState().status
        return status === ConnectionStatus.Online || status === ConnectionStatus.Syncing
      })
      .map((room) => room.name)
  }

  /** A room of the practice, opened (from IndexedDB, then connecting) on first use; kept in memory. */
  async roomSpace(name: RoomName): Promise<Space> {
    for (;;) {
      const room = await this.room(name)
      if (this.opened.get(name) !== room) continue
      room.inUse = true
      return room.space
    }
  }

  /** Rooms the background pass has synced since main last connected (tests, diagnostics). */
  caughtUpRoomNames(): RoomName[] {
    return [...this.caughtUp]
  }

  /**
   * Opens and syncs, a few at a time and most useful first, every room the practice has written
   * to that is neither open and connected nor caught up already, releasing each once synced.
   */
  openRemainingRooms(): Promise<void> {
    if (this.backgroundRun !== null) {
      this.backgroundAgain = true
      return this.backgroundRun
    }
    const run = this.runBackground().finally(() => {
      this.backgroundRun = null
      if (this.backgroundAgain && !this.destroyed) {
        this.backgroundAgain = false
        this.inBackground(this.openRemainingRooms())
      }
    })
    this.backgroundRun = run
    return run
  }

  // --- internals ---

  private room(name: RoomName): Promise<OpenRoom> {
    let opening = this.rooms.get(name)
    if (!opening) {
      // Its IndexedDB database must be closed by the Space being released before another opens it.
      const released = this.releasing.get(name)
      // (A failed close is reported by the release itself; the room opens all the same.)
      opening = released ? released.catch(() => undefined).then(() => this.openRoom(name)) : this.openRoom(name)
      this.rooms.set(name, opening)
      // A room that failed to open (storage) may be asked for again.
      opening.catch(() => this.rooms.delete(name))
    }
    return opening
  }

  private async openRoom(name: RoomName): Promise<OpenRoom> {
    const { options } = this
    const roomId = await blindRoomName(options.keys, name)
    // A new device's main room waits for the digest (digest-sync.ts); released at once
    // when main has local data.
    let releaseMain: () => void = () => undefined
    const mainHeld = name === MAIN_ROOM && this.digestSync !== null
    const connectAfter = mainHeld
      ? new Promise<void>((resolve) => {
          releaseMain = resolve
        })
      : undefined
    const space = await Space.open({
      ...options.room,
      ...(connectAfter ? { connectAfter } : {}),
      spaceId: options.spaceId,
      relayUrl: options.relayUrl,
      credential: options.credential,
      keys: options.keys,
      room: name,
      idbName: `${options.idbName}-${roomId}`,
      roomId,
      // Only the main room can tell an erased device: other rooms may simply be new here.
      previouslySynced: name === MAIN_ROOM && (options.previouslySynced ?? false),
      ...(name === MAIN_ROOM && options.attachments ? { attachments: options.attachments } : {}),
      connect: this.wanted && !this.destroyed,
      onLocalWrite: () => this.onLocalWrite(name),
    })
    if (this.destroyed) {
      await space.destroy()
      throw new Error('The practice was closed while a room opened')
    }
    const room: OpenRoom = { name, space, idleTimer: null, idle: false, inUse: false }
    this.opened.set(name, room)
    // Nothing local in main (a new device, or an erased one): the digest shows the directory
    // while it syncs. Started before the socket's first exchange so both travel at once.
    if (mainHeld && this.digestSync !== null && space.envelope.entries.length === 0) {
      this.digestFetch = this.digestSync.fetchForStart()
      // Decoded once « Qui êtes-vous ? » (the directory digest's practitioners) has been drawn:
      // the week is only needed after a tap on it, and its ≈50 ms would otherwise delay the list.
      this.weekFetch = this.weekSync?.fetchForStart(this.digestFetch.then(afterNextPaint)) ?? null
      this.inBackground(this.connectMainAfterDigest(this.digestFetch, releaseMain))
    } else {
      releaseMain()
    }
    space.subscribe(() => this.onRoomChange(room))
    if (this.startupRooms.has(name)) this.inBackground(this.prepareWeek(room))
    this.touch(room)
    // The room may have connected while it opened (the main room first opens its attachments):
    // read its state now, or main's first "online" would never start the background pass.
    this.onRoomChange(room)
    return room
  }

  private onRoomChange(room: OpenRoom): void {
    const status = room.space.getSyncState().status
    if (room.idle && (status === ConnectionStatus.Syncing || status === ConnectionStatus.Online)) {
      // Reconnected by the browser's `online` event (every room listens to it): in use again,
      // under the idle countdown again.
      room.idle = false
      this.touch(room)
    }
    if (room.name === MAIN_ROOM && !this.destroyed && !this.mainWasSynced && room.space.getSyncState().status === ConnectionStatus.Online) {
      this.mainWasSynced = true
      this.inBackground(this.directorySynced(room))
    }
    if (room.name === MAIN_ROOM && !this.destroyed) {
      const online = room.space.getSyncState().status === ConnectionStatus.Online
      // Each time main (re)connects and is caught up, bring the other rooms up to date too: they
      // may have missed what colleagues wrote meanwhile.
      if (online && !this.mainWasOnline && (this.options.background ?? true)) {
        this.caughtUp.clear()
        this.inBackground(this.openRemainingRooms())
      }
      this.mainWasOnline = online
    }
    this.recompute()
  }

  private onLocalWrite(name: RoomName): void {
    if (this.weekDigest.current() !== null) this.inBackground(this.showWrittenWeek(name))
    const room = this.opened.get(name)
    if (room) {
      // A write in an idle room must reach the relay: reconnect it.
      if (room.idle && this.wanted) {
        room.idle = false
        room.space.connect()
      }
      this.touch(room)
    }
    if (name !== MAIN_ROOM) this.inBackground(this.recordRoom(name))
  }

  /**
   * Work nobody awaits: a failure after destroy() is expected (rooms close under it); any other
   * is reported without data (room names and errors only) and retried by the next pass.
   */
  private inBackground(work: Promise<void>): void {
    work.catch((error: unknown) => {
      if (!this.destroyed) console.warn('Background room work failed', error)
    })
  }

  /**
   * Integrating the directory doc is the one long task of a new device's start (1–2 s for
   * 20,000 patients, on the one JS thread), and the digest already gives the views what they read
   * of it: main connects once the digest is shown and today's rooms have synced (or failed),
   * so those come first — and, in the app, once the first screen past « Qui êtes-vous ? » has
   * rendered, so that a person's tap on their name does not wait behind it; at once when there is
   * no digest; after MAIN_HOLD_MAX_MS whatever happens.
   */
  private async connectMainAfterDigest(fetched: Promise<StartFetch>, release: () => void): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | null = null
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.digest?.holdMainMaxMs ?? MAIN_HOLD_MAX_MS)
    })
    try {
      await Promise.race([
        cap,
        (async () => {
          if ((await fetched) !== 'shown') return
          const others = [...this.startupRooms].filter((name) => name !== MAIN_ROOM)
          const rooms = await Promise.all(others.map((name) => this.room(name)))
          // Settled, then applied: a room is online before its entries are decrypted.
          await Promise.all(rooms.map(async (room) => settled(room.space).then(() => room.space.envelope.settle())))
          if (this.options.digest?.holdMainForFirstScreen) {
            // Past the render of that screen too: the directory comes after what it shows.
            await this.firstScreen
            await whenIdle()
          }
        })(),
      ])
    } finally {
      if (timer !== null) clearTimeout(timer)
      release()
    }
  }

  /**
   * Main's first exchange is done: once its entries are decrypted and applied, the views switch
   * from the digest to the directory doc, and this device may publish digests.
   */
  private async directorySynced(main: OpenRoom): Promise<void> {
    await main.space.envelope.settle()
    const directory = await main.space.openDoc(DIRECTORY_DOC_ID)
    if (this.destroyed) return
    this.digestSync?.docsSynced(() => Promise.resolve(directory))
    this.markDirectorySynced()
  }

  /**
   * Opens the docs of today's week this start-up room holds, once it has synced (or failed to) and
   * the thread is idle: the views find them integrated. A view that opens one first does the work
   * itself; the envelope opens a doc once either way.
   */
  private async prepareWeek(room: OpenRoom): Promise<void> {
    const docs: string[] = []
    for (const docId of this.weekDocs) if ((await this.roomOfDoc(docId)) === room.name) docs.push(docId)
    if (docs.length === 0) return
    await settled(room.space)
    // Main's opening starts the week digest's fetch (a new device): this month may sync before it.
    await this.room(MAIN_ROOM)
    if (this.weekFetch !== null && this.options.digest?.holdMainForFirstScreen && (await this.weekFetch) === 'shown') {
      // The week shows from the digest: integrating the month now would hold a tap on
      // « Qui êtes-vous ? » behind it. After that screen's render instead.
      await this.firstScreen
    }
    for (const docId of docs) {
      await whenIdle()
      if (this.destroyed || this.opened.get(room.name) !== room) return
      await room.space.openDoc(docId)
    }
    await online(room.space)
    await room.space.envelope.settle()
    if (this.destroyed || this.opened.get(room.name) !== room) return
    for (const docId of docs) this.weekDocsSynced.add(docId)
    if (this.weekDocs.every((docId) => this.weekDocsSynced.has(docId))) this.weekSync?.docsSynced(() => this.weekSource())
  }

  /**
   * The week digest's month docs for today, once their rooms have synced here (opening them if a
   * view has not: next week's month, at a month's end, may be a room no view opened yet); null
   * if one cannot sync now (offline, refused).
   */
  private async weekSource(): Promise<WeekSource | null> {
    const today = todayIn(this.options.timeZone ?? DEFAULT_TIME_ZONE, this.now)
    const { docIds } = weekDigestWindow(today)
    const docs = await Promise.all(docIds.map((docId) => this.openDoc(docId)))
    for (const docId of docIds) {
      const room = this.opened.get(await this.roomOfDoc(docId))
      if (!room) return null
      if (room.idle && this.wanted) {
        // Next week's month, opened here a check ago and idle-closed since: up to date first.
        room.idle = false
        room.space.connect()
        this.touch(room)
      }
      await settled(room.space)
      if (room.space.getSyncState().status !== ConnectionStatus.Online) return null
      await room.space.envelope.settle()
    }
    return { today, docs }
  }

  /**
   * A write into the digest's weeks while the agenda shows them from it (a person booking before
   * the month has synced): the digest cannot show it, so the views read the docs from now on.
   * Not for main: every patient write is main's too, and main syncs within the hold's cap anyway.
   */
  private async showWrittenWeek(name: RoomName): Promise<void> {
    const shown = this.weekDigest.current()
    if (shown === null || name === MAIN_ROOM) return
    for (const docId of weekDigestWindow(shown.from).docIds) {
      if ((await this.roomOfDoc(docId)) === name) {
        this.weekDigest.clear()
        return
      }
    }
  }

  /** Lists the room in the directory, so other devices open it in their background pass. */
  private async recordRoom(name: RoomName): Promise<void> {
    // Once per room and session: every keystroke in a note is a local write of its room.
    if (this.destroyed || this.recordedRooms.has(name)) return
    this.recordedRooms.add(name)
    try {
      const main = await this.room(MAIN_ROOM)
      const directory = await main.space.openDoc(DIRECTORY_DOC_ID)
      const index = directory.getMap<boolean>(ROOMS_INDEX_MAP)
      if (!index.has(name)) index.set(name, true)
    } catch (error) {
      // Not listed: the next write of that room tries again.
      this.recordedRooms.delete(name)
      throw error
    }
  }

  private async runBackground(): Promise<void> {
    const main = await this.room(MAIN_ROOM)
    const directory = await main.space.openDoc(DIRECTORY_DOC_ID)
    const index = directory.getMap<boolean>(ROOMS_INDEX_MAP)
    if (!this.indexWatched) {
      // The list may still be arriving (entries are decrypted after the socket says synced), and
      // colleagues open new rooms (a new month): every addition starts a pass.
      this.indexWatched = true
      index.observe(() => {
        if (!this.destroyed && this.wanted) this.inBackground(this.openRemainingRooms())
      })
    }
    // What the screen shows now comes first; the pass would only dilute its bandwidth.
    await this.startupSettled()
    const names = backgroundOrder(
      [...index.keys()].filter(isRoomName),
      this.today,
    ).filter((name) => !this.startupRooms.has(name) && !this.caughtUp.has(name))
    await runBounded(names, this.options.backgroundConcurrency ?? BACKGROUND_CONCURRENCY, (name) => this.catchUp(name))
  }

  /** Brings one room up to date for the background pass, then releases it if no view uses it. */
  private async catchUp(name: RoomName): Promise<QueueVerdict> {
    if (this.destroyed || !this.wanted) return 'stop'
    const already = this.opened.get(name)
    // Open and connected (a view uses it, or it still sends its entries): it syncs by itself.
    if (already && !already.idle) return 'next'
    const room = await this.room(name)
    if (room.idle) {
      room.idle = false
      room.space.connect()
      this.touch(room)
    }
    await settled(room.space)
    const state = room.space.getSyncState()
    if (state.status === ConnectionStatus.Online) this.caughtUp.add(name)
    this.releaseIfUnused(room)
    // Offline or refused: the next rooms would fail alike; main's next connection restarts the pass.
    return state.status === ConnectionStatus.Online ? 'next' : 'stop'
  }

  /**
   * Closes a room's Space when no view uses it and it holds nothing the relay lacks: its data is
   * in IndexedDB, and `openDoc` reopens it from there. A refused room is kept so the refusal shows.
   */
  private releaseIfUnused(room: OpenRoom): void {
    if (room.inUse || this.startupRooms.has(room.name) || this.destroyed || this.opened.get(room.name) !== room) return
    const state = room.space.getSyncState()
    if (state.pendingChanges > 0 || state.storageError !== null || state.status === ConnectionStatus.Refused) return
    if (room.idleTimer !== null) clearTimeout(room.idleTimer)
    room.idleTimer = null
    this.opened.delete(room.name)
    this.rooms.delete(room.name)
    const closing = room.space.destroy().finally(() => {
      if (this.releasing.get(room.name) === closing) this.releasing.delete(room.name)
    })
    this.releasing.set(room.name, closing)
    this.inBackground(closing)
    this.recompute()
  }

  /** Resolves once every start-up room is online, offline or refused. */
  private async startupSettled(): Promise<void> {
    const rooms = await Promise.all([...this.startupRooms].map((name) => this.room(name)))
    await Promise.all(rooms.map((room) => settled(room.space)))
  }

  /** Restarts the idle countdown of a room outside the start-up set. */
  private touch(room: OpenRoom): void {
    if (this.startupRooms.has(room.name) || this.destroyed) return
    if (room.idleTimer !== null) clearTimeout(room.idleTimer)
    room.idleTimer = setTimeout(() => {
      room.idleTimer = null
      const state = room.space.getSyncState()
      if (state.pendingChanges > 0 || state.status !== ConnectionStatus.Online) return this.touch(room)
      if (!room.inUse) return this.releaseIfUnused(room)
      room.idle = true
      room.space.disconnect()
      this.recompute()
    }, this.options.idleCloseMs ?? IDLE_CLOSE_MS)
  }

  private recompute(): void {
    const states = [...this.opened.values()].map((room) => ({ room, state: room.space.getSyncState() }))
    // Rooms the idle policy closed do not count for the connection status (they would make the
    // practice look offline); their counts still do.
    const active = states.filter(({ room }) => !room.idle)
    const ranked = active.length > 0 ? active : states
    let status: ConnectionStatus = this.wanted ? ConnectionStatus.Online : ConnectionStatus.Offline
    let refusal: SyncState['refusal'] = null
    for (const { state } of ranked) {
      if (STATUS_RANK[state.status] > STATUS_RANK[status]) status = state.status
      if (state.refusal !== null && refusal === null) refusal = state.refusal
    }
    if (refusal !== null) status = ConnectionStatus.Refused
    if (states.length === 0) status = initialSyncState.status
    const sum = (pick: (state: SyncState) => number) => states.reduce((total, { state }) => total + pick(state), 0)
    const exchanges = states.map(({ state }) => state.lastExchangeAt).filter((at): at is number => at !== null)
    const next: SyncState = {
      status,
      refusal,
      pendingChanges: sum((s) => s.pendingChanges),
      lastExchangeAt: exchanges.length > 0 ? Math.max(...exchanges) : null,
      storageError: states.find(({ state }) => state.storageError !== null)?.state.storageError ?? null,
      undecryptableEntries: sum((s) => s.undecryptableEntries),
      restoring: states.some(({ state }) => state.restoring),
      incoming: sum((s) => s.incoming),
      outgoing: sum((s) => s.outgoing),
    }
    const keys = Object.keys(next) as Array<keyof SyncState>
    if (keys.every((key) => next[key] === this.state[key])) return
    this.state = next
    for (const listener of this.listeners) listener()
  }
}

/**
 * Resolves when the thread is idle (requestIdleCallback: after the frame the browser is drawing and
 * the input it is handling, at most 1 s later), or at the next turn where there is no such thing
 * (Node).
 */
function whenIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 1000 })
    else setTimeout(resolve, 0)
  })
}

/**
 * Resolves after the next frame the browser draws (a task queued from within it), at the latest
 * after 100 ms (a hidden page draws none), or at the next turn where there are no frames (Node).
 */
function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame !== 'function') return void setTimeout(resolve, 0)
    const latest = setTimeout(resolve, 100)
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(latest)
        resolve()
      }, 0),
    )
  })
}

/** Resolves once a room is online, offline or refused (not while connecting or syncing). */
function settled(space: Space): Promise<void> {
  return when(space, (status) => status !== ConnectionStatus.Connecting && status !== ConnectionStatus.Syncing)
}

/** Resolves once a room has synced with the relay (at once if it has; never while it cannot). */
function online(space: Space): Promise<void> {
  return when(space, (status) => status === ConnectionStatus.Online)
}

function when(space: Space, done: (status: ConnectionStatus) => boolean): Promise<void> {
  if (done(space.getSyncState().status)) return Promise.resolve()
  return new Promise((resolve) => {
    const unsubscribe = space.subscribe(() => {
      if (!done(space.getSyncState().status)) return
      unsubscribe()
      resolve()
    })
  })
}
