/**
 * A device's start, choreographed so that what a person waits for comes first (docs/performance.md):
 *
 *   1. The start-up rooms load from IndexedDB; this week's months connect at once.
 *   2. A device with nothing in its main room (new, or erased) fetches the directory digest and
 *      the week digest (digests/), and the views show them; main waits (`holdMain`) until the
 *      directory digest is shown and this week's months have synced and been applied — and, in
 *      the app, until the first screen past « Qui êtes-vous ? » has rendered — since integrating
 *      the directory (1–2 s for 20,000 patients, on the one JS thread) would otherwise land on
 *      that screen while a person picks their name. At most `maxMs` in all; at once without a digest.
 *   3. Once a start-up month room has settled, this week's docs it holds are opened (decrypted,
 *      integrated) at the next idle moment (`prepareWeek`), so the agenda shows at the tap instead
 *      of after it; with a week digest shown in the app, only after the first screen has rendered.
 *      Once they have synced, the week digest gives way to them.
 *   4. A device with its data local (a cold start) connects main at once; in the app it also
 *      fetches the directory digest and the week digest as it opens — the app's practice opens
 *      without waiting for its rooms (PracticeOptions.awaitStartupRooms) — shown until the
 *      directory doc, and this week's month docs, have opened from IndexedDB: today's names and
 *      appointments do not wait the seconds a 20,000-patient directory takes to load and open.
 *      This week's docs open once that first screen has rendered.
 */
import type * as Y from 'yjs'
import { weekDigestWindow } from '../../../../shared/src/digest/week-digest'
import { todayIn } from '../../../../shared/src/model/dates'
import { agendaDocId, DIRECTORY_DOC_ID } from '../../../../shared/src/model/doc-ids'
import { MAIN_ROOM, monthRoom, roomOf, weekMonths, type RoomName } from '../../../../shared/src/space/rooms'
import type { StartFetch, WeekSource } from '../digests/digest-sync'
import type { PracticeDigests } from '../digests/practice-digests'
import type { DocLease } from '../practice/practice-handle'
import { isSettled, type RoomPhase } from '../rooms/room-lifecycle'
import { afterNextPaint, whenIdle } from './idle'
import { startMark as mark } from './start-marks'

/** The longest a new device holds its main room back for the digest and this week's rooms. */
export const MAIN_HOLD_MAX_MS = 5_000

/** What the start-up needs of the practice. */
export interface StartupHost {
  readonly startup: readonly RoomName[]
  /** The practice's local date when it opened. */
  readonly today: string
  /** The phase of a room in memory, or null. */
  phaseOf(room: RoomName): RoomPhase | null
  /** A loaded room's envelope work (settle) and docs. */
  settleRoom(room: RoomName): Promise<void>
  openDoc(room: RoomName, docId: string): Promise<Y.Doc | null>
  /** Resolves once `check` holds, checked at every change of the practice. */
  until(check: () => boolean): Promise<void>
  readonly firstScreen: Promise<void>
  isClosed(): boolean
}

/** Where a start-up step waits now (tests, diagnostics: an absence is proven from a known stage). */
export type MainHoldStage = 'deciding' | 'digest' | 'rooms' | 'first-screen' | 'released'
export type WeekStage = 'settling' | 'first-screen' | 'opening' | 'syncing' | 'done' | 'given-up'

/** Resolves when a new device's main room may connect (header, step 2). */
export async function holdMain(
  host: StartupHost,
  fetched: Promise<StartFetch>,
  options: { forFirstScreen: boolean; maxMs?: number; onStage?: (stage: MainHoldStage) => void },
): Promise<void> {
  const stage = options.onStage ?? (() => undefined)
  let timer: ReturnType<typeof setTimeout> | null = null
  const cap = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.maxMs ?? MAIN_HOLD_MAX_MS)
  })
  try {
    await Promise.race([
      cap,
      (async () => {
        stage('digest')
        if ((await fetched) !== 'shown') return
        const months = host.startup.filter((room) => room !== MAIN_ROOM)
        stage('rooms')
        await host.until(() => months.every((room) => settled(host.phaseOf(room))))
        // Settled, then applied: a room is live before its entries are decrypted.
        await Promise.all(months.map((room) => host.settleRoom(room)))
        if (options.forFirstScreen) {
          stage('first-screen')
          // Past the render of that screen too: the directory comes after what it shows.
          await host.firstScreen
          await whenIdle()
        }
      })(),
    ])
  } finally {
    if (timer !== null) clearTimeout(timer)
  }
}

/**
 * Opens this week's docs that `room` holds once it has settled, at idle moments, then resolves
 * with them once the room is live and they are applied; null when the practice closed or the
 * room never went live meanwhile (header, step 3).
 */
export async function prepareWeek(
  host: StartupHost,
  room: RoomName,
  docIds: readonly string[],
  waitForFirstScreen: () => Promise<boolean>,
  onStage: (stage: WeekStage) => void = () => undefined,
): Promise<readonly string[] | null> {
  if (docIds.length === 0) return null
  onStage('settling')
  await host.until(() => settled(host.phaseOf(room)))
  // The week shows from its digest: integrating the month now would hold a tap on
  // « Qui êtes-vous ? » behind it. After that screen's render instead.
  if (await waitForFirstScreen()) {
    onStage('first-screen')
    await host.firstScreen
  }
  onStage('opening')
  for (const docId of docIds) {
    await whenIdle()
    if (host.isClosed() || (await host.openDoc(room, docId)) === null) return given(onStage)
  }
  mark('week-docs-opened')
  onStage('syncing')
  await host.until(() => host.isClosed() || host.phaseOf(room)?.kind === 'live')
  if (host.isClosed()) return given(onStage)
  await host.settleRoom(room)
  onStage('done')
  return docIds
}

function given(onStage: (stage: WeekStage) => void): null {
  onStage('given-up')
  return null
}

function settled(phase: RoomPhase | null): boolean {
  return phase !== null && isSettled(phase)
}

export interface PracticeStartupOptions {
  readonly digests: PracticeDigests
  readonly timeZone: string
  readonly now: () => number
  readonly holdMainForFirstScreen: boolean
  readonly holdMainMaxMs?: number
  /** Whether main had entries in IndexedDB when it loaded (a device that has synced before). */
  readonly mainHasLocalData: () => boolean
  /** Main may connect now. */
  readonly releaseMain: () => void
  readonly acquireDoc: (docId: string, priority: 'view') => Promise<DocLease>
  /** Work nobody awaits, reported if it fails. */
  readonly inBackground: (work: Promise<unknown>) => void
  /** Whether the practice may reach the relay now (offline: no cold-start fetch, nothing to warn of). */
  readonly online: () => boolean
}

/** A practice's start (header): main's hold, this week prepared ahead, the week digest's source. */
export class PracticeStartup {
  private markFirstScreen: () => void = () => undefined
  readonly firstScreen = new Promise<void>((resolve) => (this.markFirstScreen = resolve))
  private markMainDecided: () => void = () => undefined
  /** Resolves once main's hold is decided (and the digests' fetches started, if any). */
  readonly mainDecided = new Promise<void>((resolve) => (this.markMainDecided = resolve))
  private readonly weekPrepared = new Set<RoomName>()
  private markWeekSynced: () => void = () => undefined
  /** Resolves once this week's docs of every start-up month room have synced and been applied here. */
  readonly weekSynced = new Promise<void>((resolve) => (this.markWeekSynced = resolve))
  /** Start-up month rooms whose docs of this week have opened here (a cold start's week digest gives way). */
  private readonly weekOpenedIn = new Set<RoomName>()
  /** Main had entries in IndexedDB at begin: a cold start (step 4), not a new device. */
  private coldStart = false
  /** Where main's hold and each start-up month's preparation stand (tests, diagnostics). */
  private mainStage: MainHoldStage = 'deciding'
  private readonly weekStages = new Map<RoomName, WeekStage>()

  constructor(
    private readonly host: Omit<StartupHost, 'firstScreen'>,
    private readonly options: PracticeStartupOptions,
  ) {}

  firstScreenShown(): void {
    this.markFirstScreen()
  }

  stages(): { main: MainHoldStage; week: ReadonlyMap<RoomName, WeekStage> } {
    return { main: this.mainStage, week: this.weekStages }
  }

  /**
   * A device that synced here before opens with its data local: its cold start's directory digest
   * (step 4) travels while the start-up rooms load from IndexedDB (31 MB of rows for main at
   * 20,000 patients), not after — after the first screen's render when this device's record
   * (first-screen-record.ts) was shown. A device whose data turns out erased fetches as a new one.
   */
  prefetchForColdStart(recordShown: boolean): void {
    const { digests } = this.options
    if (!digests.showsOnColdStart || !this.options.online()) return
    if (!recordShown) {
      void digests.fetchForColdStart()
      return
    }
    // This device's first-screen record shows today already: the relay's digest (decoded on this
    // thread in slices, 20,000 patients) comes after that screen's render, which its slices would
    // otherwise share the thread with. begin() fetches it in any case once the rooms have loaded.
    void this.firstScreen.then(() => {
      if (!this.host.isClosed() && this.options.online()) void digests.fetchForColdStart()
    })
  }

  /** The start-up rooms have loaded: decide main's hold, and prepare this week in each month room. */
  begin(): void {
    mark('startup-rooms-loaded')
    this.coldStart = this.options.mainHasLocalData()
    this.decideMainHold()
    for (const room of this.host.startup) if (room !== MAIN_ROOM) this.options.inBackground(this.prepareWeekIn(room))
  }

  /**
   * The week digest's month docs for today, once their rooms have synced here (opening them if no
   * view has: next week's month, at a month's end, may not be open); null if one cannot sync now.
   */
  async weekSource(): Promise<WeekSource | null> {
    const today = todayIn(this.options.timeZone, this.options.now)
    const { docIds } = weekDigestWindow(today)
    const leases = await Promise.all(docIds.map((docId) => this.options.acquireDoc(docId, 'view')))
    try {
      for (const docId of docIds) {
        const name = await roomOf(docId)
        await this.host.until(() => settled(this.host.phaseOf(name)))
        if (this.host.phaseOf(name)?.kind !== 'live') return null
        await this.host.settleRoom(name)
      }
      return { today, docs: leases.map((lease) => lease.doc) }
    } finally {
      // The practice's grace period keeps the rooms for the build that follows.
      for (const lease of leases) lease.release()
    }
  }

  private get fullHost(): StartupHost {
    return { ...this.host, firstScreen: this.firstScreen }
  }

  /** With nothing local and a digest key, main fetches the digests and waits its turn; else it connects at once. */
  private decideMainHold(): void {
    const { digests } = this.options
    if (digests.enabled && !this.options.mainHasLocalData()) {
      // Started before main's socket: both travel at once. The week is decoded once « Qui êtes-vous ? »
      // (the directory digest's practitioners) has been drawn.
      const fetched = digests.fetchForStart((directory) => directory.then(afterNextPaint))
      const hold = holdMain(this.fullHost, fetched, {
        forFirstScreen: this.options.holdMainForFirstScreen,
        ...(this.options.holdMainMaxMs === undefined ? {} : { maxMs: this.options.holdMainMaxMs }),
        onStage: (stage) => (this.mainStage = stage),
      })
      this.options.inBackground(hold.finally(() => this.release()))
    } else {
      this.release()
      if (digests.enabled) this.options.inBackground(this.showDirectoryWhileItOpens())
    }
    this.markMainDecided()
  }

  /**
   * Step 4: the directory digest while the local directory doc opens (without the setting,
   * nothing). Offline, no fetch (nothing to warn of); a digest fetched before going offline still
   * gives way to the doc.
   */
  private async showDirectoryWhileItOpens(): Promise<void> {
    const { digests } = this.options
    if (!digests.showsOnColdStart) return
    // Not awaited: the doc may open first, and then the digest is never shown ('late').
    if (this.options.online()) void digests.fetchForColdStart()
    void digests.coldStartFetched().then((outcome) => mark(`cold-start-digest-${outcome}`))
    if ((await this.host.openDoc(MAIN_ROOM, DIRECTORY_DOC_ID)) === null) return
    mark('directory-opened')
    digests.directoryOpened()
  }

  /** A cold start's week digest gives way once this week's docs of every start-up month room have opened. */
  private weekDocsOpened(room: RoomName): void {
    this.weekOpenedIn.add(room)
    if (!this.coldStart) return
    if (this.host.startup.every((name) => name === MAIN_ROOM || this.weekOpenedIn.has(name))) {
      mark('week-docs-opened-local')
      this.options.digests.weekOpened()
    }
  }

  private release(): void {
    this.mainStage = 'released'
    this.options.releaseMain()
  }

  /** This week's docs of a start-up month room, opened ahead of the views. */
  private async prepareWeekIn(room: RoomName): Promise<void> {
    const docIds = weekMonths(this.host.today)
      .filter((month) => monthRoom(month) === room)
      .map(agendaDocId)
    const waitForScreen = async () => {
      await this.mainDecided
      if (!this.options.holdMainForFirstScreen) return false
      // A cold start shows the week's digest (if the relay gives one in time): its first screen
      // comes before the month's integration either way.
      if (this.coldStart) return this.options.digests.showsOnColdStart
      return (await this.options.digests.weekFetched()) === 'shown'
    }
    const onStage = (stage: WeekStage) => {
      this.weekStages.set(room, stage)
      // 'syncing': the docs are open (applied from IndexedDB); the room has yet to be live.
      if (stage === 'syncing') this.weekDocsOpened(room)
    }
    const prepared = await prepareWeek(this.fullHost, room, docIds, waitForScreen, onStage)
    if (prepared === null) return
    mark('week-docs-synced')
    this.weekPrepared.add(room)
    if (this.host.startup.every((name) => name === MAIN_ROOM || this.weekPrepared.has(name))) {
      this.options.digests.weekSynced(() => this.weekSource())
      this.markWeekSynced()
    }
  }
}
