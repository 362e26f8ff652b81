/**
 * A practice's two digests (digest-sync.ts): the directory's and the week's, with the holders the
 * views read (digest-source.ts). A sibling of the practice's rooms: it reads the docs they hold
 * and is told when they have synced; the rooms know nothing of it.
 *
 *   directory  shown until the directory doc has synced here; published from it afterwards
 *   week       shown until this week's month docs have synced here (the week digest covers this
 *              week and the next); published from the window's month docs, each checked synced
 */
import type * as Y from 'yjs'
import type { GrowingEpochKeyring } from '../../../../shared/src/crypto/key-epochs'
import type { DirectoryDigest } from '../../../../shared/src/digest/directory-digest'
import { weekDigestCovers, weekDigestWindow, type WeekDigest } from '../../../../shared/src/digest/week-digest'
import { addDays, monthOf, startOfWeek } from '../../../../shared/src/model/dates'
import { monthRoom, type RoomName } from '../../../../shared/src/space/rooms'
import type { RelayClient } from '../relay/relay-client'
import { DirectoryDigestHolder, WeekDigestHolder } from './digest-source'
import {
  DigestSync,
  directoryDigestKind,
  type DigestAlarm,
  weekDigestKind,
  type Publication,
  type StartFetch,
  type WeekSource,
} from './digest-sync'

export interface DigestSettings {
  /** The practice's digest key of epoch 0 (deriveDigestKey), in memory only. */
  readonly key: CryptoKey
  /** The digest keys of the later key epochs this device holds (DigestSyncOptions.epochs). */
  readonly epochs?: GrowingEpochKeyring
  /** Fetches this device's sealed epoch keys (DigestSyncOptions.fetchEpochs). */
  readonly fetchEpochs?: () => Promise<boolean>
  readonly publishIntervalMs?: number
  readonly checkEveryMs?: number
  readonly holdMainMaxMs?: number
  /**
   * A new device's main room also waits for the views' first screen, so the directory's long
   * integration does not land on « Qui êtes-vous ? » while a person picks their name; with a week
   * digest shown, so does this week's month (the app; benchmarks and tests without a screen leave
   * it off).
   */
  readonly holdMainForFirstScreen?: boolean
  /**
   * A device that opens with its data already local also fetches the directory digest, and the
   * views show it until the directory doc has been opened from IndexedDB here: at 20,000 patients
   * that opening takes seconds (decrypting, merging and applying megabytes of entries), the
   * digest well under one (the app; tests and benchmarks without a screen leave it off).
   */
  readonly showOnColdStart?: boolean
  /**
   * Decodes a decrypted directory digest otherwise (the app: its rows read in slices, the thread
   * given back between them); by default in one go.
   */
  readonly decodeDirectory?: (plain: Uint8Array) => Promise<DirectoryDigest>
}

export class PracticeDigests {
  readonly directoryHolder = new DirectoryDigestHolder()
  readonly weekHolder = new WeekDigestHolder()
  private readonly directory: DigestSync<DirectoryDigest, Y.Doc> | null
  private readonly week: DigestSync<WeekDigest, WeekSource> | null
  private directoryFetch: Promise<StartFetch> | null = null
  private coldStartFetch: Promise<StartFetch> | null = null
  private coldStartWeekFetch: Promise<StartFetch> | null = null
  private readonly showOnColdStart: boolean
  private weekFetch: Promise<StartFetch> | null = null

  constructor(
    settings: DigestSettings | null,
    context: { relay: RelayClient; spaceId: string; today: string; now: () => number; onAlarm?: () => void },
  ) {
    const shared = settings
      ? {
          relay: context.relay,
          spaceId: context.spaceId,
          key: settings.key,
          ...(settings.epochs === undefined ? {} : { epochs: settings.epochs }),
          ...(settings.fetchEpochs === undefined ? {} : { fetchEpochs: settings.fetchEpochs }),
          now: context.now,
          ...(context.onAlarm === undefined ? {} : { onAlarm: context.onAlarm }),
          ...(settings.publishIntervalMs === undefined ? {} : { publishIntervalMs: settings.publishIntervalMs }),
          ...(settings.checkEveryMs === undefined ? {} : { checkEveryMs: settings.checkEveryMs }),
        }
      : null
    this.showOnColdStart = settings?.showOnColdStart ?? false
    const decodeDirectory = settings?.decodeDirectory
    const directoryKind = decodeDirectory ? { ...directoryDigestKind, decode: decodeDirectory } : directoryDigestKind
    this.directory = shared ? new DigestSync(directoryKind, { ...shared, holder: this.directoryHolder }) : null
    const monday = startOfWeek(context.today)
    this.week = shared
      ? new DigestSync(weekDigestKind, {
          ...shared,
          holder: this.weekHolder,
          // Last week's digest (no device online yet this week) is of no use to this week's view.
          shows: (week) => weekDigestCovers(week, monday, addDays(monday, 6)),
        })
      : null
  }

  /** Whether a cold start fetches and shows the directory digest (DigestSettings.showOnColdStart). */
  get showsOnColdStart(): boolean {
    return this.directory !== null && this.showOnColdStart
  }

  get enabled(): boolean {
    return this.directory !== null
  }

  /**
   * Fetches both digests for a device with nothing local (a new device, or an erased one). The
   * week is decoded only once `decodeWeekAfter` resolves (the directory's screen drawn first).
   */
  fetchForStart(decodeWeekAfter: (directory: Promise<StartFetch>) => Promise<unknown>): Promise<StartFetch> {
    if (this.directory === null || this.week === null) return Promise.resolve('none')
    this.directoryFetch = this.directory.fetchForStart()
    this.weekFetch = this.week.fetchForStart(decodeWeekAfter(this.directoryFetch))
    return this.directoryFetch
  }

  /**
   * A device with its data local (showOnColdStart): fetches the directory digest, shown until
   * `directoryOpened`, and the week digest, shown until `weekOpened` — the local docs then hold
   * at least as much as this device had shown before. Resolves with the directory's outcome;
   * 'none' without the setting.
   */
  fetchForColdStart(): Promise<StartFetch> {
    if (this.directory === null || this.week === null || !this.showsOnColdStart) return Promise.resolve('none')
    // Once: started early (Practice.open, a device that synced before), then awaited at begin.
    this.coldStartFetch ??= this.directory.fetchForStart()
    this.coldStartWeekFetch ??= this.week.fetchForStart()
    return this.coldStartFetch
  }

  /** What became of the cold start's week fetch; 'not-needed' when there was none. */
  coldStartWeekFetched(): Promise<StartFetch | 'not-needed'> {
    return this.coldStartWeekFetch ?? Promise.resolve('not-needed')
  }

  /**
   * This week's month docs have opened from this device's IndexedDB (cold start): the agenda
   * reads them from now on (it keeps the digest's appointments until they have opened in the
   * view), even before they sync — offline, they may hold more than the relay's digest.
   */
  weekOpened(): void {
    this.weekHolder.clear()
  }

  /** What became of the cold start's fetch; 'not-needed' when there was none. */
  coldStartFetched(): Promise<StartFetch | 'not-needed'> {
    return this.coldStartFetch ?? Promise.resolve('not-needed')
  }

  /**
   * The directory doc has opened from this device's IndexedDB (cold start): the views read it
   * from now on (they keep the digest's names until its index is built, see DigestHolder), even
   * before it syncs — offline, it may hold more than the relay's digest.
   */
  directoryOpened(): void {
    this.directoryHolder.clear()
  }

  /** What became of the start-up fetches; 'not-needed' when there was none. */
  directoryFetched(): Promise<StartFetch | 'not-needed'> {
    return this.directoryFetch ?? Promise.resolve('not-needed')
  }

  weekFetched(): Promise<StartFetch | 'not-needed'> {
    return this.weekFetch ?? Promise.resolve('not-needed')
  }

  /** The directory doc has synced: views read it from now on, and this device may publish. */
  directorySynced(directory: Y.Doc): void {
    this.directory?.docsSynced(() => Promise.resolve(directory))
  }

  /** This week's month docs have synced: the agenda reads them; `source` gives them to publish. */
  weekSynced(source: () => Promise<WeekSource | null>): void {
    this.week?.docsSynced(source)
  }

  /**
   * This device wrote into a month room of the shown week's window (a booking before the month
   * synced): the digest cannot show it, so the views read the docs from now on.
   */
  wroteInto(room: RoomName): void {
    const shown = this.weekHolder.current()
    if (shown === null) return
    const { from, to } = weekDigestWindow(shown.from)
    if ([monthOf(from), monthOf(to)].map(monthRoom).includes(room)) this.weekHolder.clear()
  }

  publishDirectory(directory: Y.Doc): Promise<Publication> {
    if (this.directory === null) throw new Error('This practice was opened without a digest key')
    return this.directory.publish(directory)
  }

  publishWeek(source: WeekSource): Promise<Publication> {
    if (this.week === null) throw new Error('This practice was opened without a digest key')
    return this.week.publish(source)
  }

  /** Both digests' DigestAlarm, summed: what the sync indicator says of the relay's digests. */
  alarm(): DigestAlarm {
    const alarms = [this.directory, this.week].map((sync) => sync?.alarm() ?? { unreadable: 0, replaced: 0 })
    return {
      unreadable: alarms.reduce((sum, alarm) => sum + alarm.unreadable, 0),
      replaced: alarms.reduce((sum, alarm) => sum + alarm.replaced, 0),
    }
  }

  destroy(): void {
    this.directory?.destroy()
    this.week?.destroy()
  }
}
