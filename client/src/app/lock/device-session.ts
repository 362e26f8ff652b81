/**
 * What the device shows, and the lock's moves between them:
 *
 *   first-run   no practice (or it was forgotten: the practice's name and why)
 *   open        the practice open: its Practice, docs and screens in memory
 *   locked      only the lock screen; the practice closed (nothing of a patient in memory)
 *   reopening   the registry changed this device's role: the practice closed and opened again as
 *               the new role — made secretary, its clinical tier dropped first
 *               (sync/device/role-downgrade.ts); made praticien, with the clinical keys its grant
 *               gave (sync/device/role-change.ts) — a moment's wait, no reload
 *
 * Locking closes the practice: the screens of the practice unmount first (React drops the docs,
 * indexes and caches they held, and the note being typed stamps itself into its doc), then the
 * Practice is destroyed — which pushes every queued local change into IndexedDB before it lets
 * go of the rooms (practice.ts destroy → envelope destroy flushes, room store saves) — and the
 * page-wide caches are emptied (state/page-caches.ts), and last the keys a passkey unwrapped leave
 * the memory (lock/at-rest.ts: sync pauses with them). Nothing is lost: changes not yet on the
 * relay go out after the unlock, as after a restart. Unlocking reopens it (device.ts
 * loadPractice) once the close has finished.
 *
 * A plain store (subscribe / getSnapshot for React's useSyncExternalStore), so that its moves are
 * tested without a browser; the device calls go through `SessionApi`.
 */
import type { OpenPractice, PracticeRecord } from '../../sync/device/device'
import type { DeviceStart, ForgetResult, LockSummary, PinAttempt } from '../../sync/device/lock/device-lock'
import { dropPageCaches } from '../../state/page-caches'
import { RefusalReason } from '../../sync/errors'
import type { ForgetReason, Forgotten, ForgottenMarker } from './forgotten-marker'
import type { LockChannel, LockMessage } from './lock-channel'

export interface SessionApi {
  loadPractice(): Promise<OpenPractice | null>
  readLock(spaceId: string): Promise<LockSummary | null>
  unlockWithPin(spaceId: string, pin: string): Promise<PinAttempt>
  unlockWithPasskey(spaceId: string): Promise<LockSummary | null>
  forgetPractice(spaceId: string): Promise<ForgetResult>
  /** The practice is closed: the keys its passkey unwrapped leave the memory (lock/at-rest.ts). */
  lockKeys(spaceId: string): Promise<void>
  /** The person read the notice of the role the registry narrowed (role-downgrade.ts). */
  dismissRoleNotice(spaceId: string): Promise<void>
}

export type SessionState =
  | { readonly kind: 'first-run'; readonly forgotten: Forgotten | null }
  | {
      readonly kind: 'open'
      readonly practice: OpenPractice
      /** This device's lock, or null: the app cannot lock (Réglages says so). */
      readonly lock: LockSummary | null
      /** Just created or joined: the lock is offered once (« Plus tard » dismisses it). */
      readonly offerLock: boolean
    }
  | { readonly kind: 'locked'; readonly record: PracticeRecord; readonly lock: LockSummary }
  | { readonly kind: 'reopening'; readonly record: PracticeRecord; readonly lock: LockSummary | null }

/** What an unlock attempt came to: a PIN's answer, or the practice forgotten after the last one. */
export type UnlockOutcome = PinAttempt | { readonly kind: 'forgotten' }

export interface SessionOptions {
  readonly marker: ForgottenMarker
  readonly channel?: LockChannel | null
  /** How long after locking the practice is closed if the lock screen has not said it is up. */
  readonly closeAfterMs?: number
  /** The device's clock (default Date.now): a locum's end of access is compared with it offline too. */
  readonly now?: () => number
}

/**
 * How often an open locum's device compares its end of access with its own clock: the relay's word
 * ends it online (4411, 401 `ended`); this ends it on a device kept offline past that date.
 */
export const LOCUM_END_CHECK_MS = 60_000

type Closable = OpenPractice['space']

export class DeviceSession {
  private state: SessionState
  private readonly listeners = new Set<() => void>()
  /** The practice to close once the screens are gone (lockScreenShown, or the fallback timer). */
  private toClose: Closable | null = null
  private closing: Promise<void> = Promise.resolve()
  private lockFocus = false
  /** Stops watching the open practice's sync state for a revocation (watchRevocation). */
  private unwatch: (() => void) | null = null
  /** Stops watching the open practice's registry for a changed role (watchRole). */
  private unwatchRole: (() => void) | null = null
  /** A reopening did not change the role (its storage failed): not tried again in this page, lest it loop. */
  private reopeningFailed = false

  constructor(
    start: DeviceStart,
    private readonly api: SessionApi,
    private readonly options: SessionOptions,
  ) {
    switch (start.kind) {
      case 'first-run':
        this.state = { kind: 'first-run', forgotten: options.marker.read() }
        break
      case 'locked':
        this.state = { kind: 'locked', record: start.record, lock: start.lock }
        break
      case 'open':
        this.state = { kind: 'open', practice: start.practice, lock: null, offerLock: false }
        this.watchRevocation(start.practice)
        this.watchRole(start.practice)
        break
    }
  }

  /** Follows the other tabs' locks (BroadcastChannel); the function returned stops. */
  listen(): () => void {
    return this.options.channel?.listen((message) => this.onMessage(message)) ?? (() => undefined)
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly getSnapshot = (): SessionState => this.state

  // --- open ---

  /** A practice created or joined on the first-run screen: open, and the lock offered once. */
  opened(practice: OpenPractice): void {
    this.options.marker.clear()
    this.set({ kind: 'open', practice, lock: null, offerLock: true })
  }

  recordChanged(record: PracticeRecord): void {
    if (this.state.kind !== 'open') return
    this.set({ ...this.state, practice: { ...this.state.practice, record } })
  }

  /** The notice of a narrowed role was read: it is not shown again. */
  async dismissRoleNotice(): Promise<void> {
    if (this.state.kind !== 'open' || this.state.practice.record.roleNotice === null) return
    const { record } = this.state.practice
    await this.api.dismissRoleNotice(record.spaceId)
    this.recordChanged({ ...record, roleNotice: null })
  }

  /** The method was chosen, changed or removed in Réglages. */
  lockChanged(lock: LockSummary | null): void {
    if (this.state.kind !== 'open') return
    this.set({ ...this.state, lock, offerLock: lock === null ? this.state.offerLock : false })
    this.options.channel?.post({ type: 'changed' })
  }

  dismissOffer(): void {
    if (this.state.kind !== 'open' || !this.state.offerLock) return
    this.set({ ...this.state, offerLock: false })
  }

  /** Réglages should bring its « Verrouillage » section into view once (the offer's « Choisir »). */
  requestLockSettings(): void {
    this.lockFocus = true
    this.dismissOffer()
  }

  /** Whether Réglages should bring « Verrouillage » into view; asked once. */
  takeLockFocus(): boolean {
    const focus = this.lockFocus
    this.lockFocus = false
    return focus
  }

  // --- lock ---

  /** Locks now, if a method is set (idle time, « Verrouiller », another tab). */
  lock(): void {
    if (this.state.kind !== 'open' || this.state.lock === null) return
    this.lockOpen(this.state.practice, this.state.lock)
    this.options.channel?.post({ type: 'lock' })
  }

  /** The lock screen is up: the practice's screens are gone, the practice can close. */
  lockScreenShown(): void {
    this.closeNow()
  }

  /** Resolves once the practice closed by the last lock has finished closing. */
  whenClosed(): Promise<void> {
    return this.closing
  }

  // --- unlock ---

  /** Checks a PIN; `onOpening` runs once it unlocked, while the practice opens again. */
  async unlockWithPin(pin: string, onOpening?: () => void): Promise<UnlockOutcome> {
    const locked = this.lockedState()
    const attempt = await this.api.unlockWithPin(locked.record.spaceId, pin)
    if (attempt.kind === 'unlocked') {
      onOpening?.()
      await this.reopen(locked)
    } else if (attempt.kind === 'exhausted') {
      await this.forget()
      return { kind: 'forgotten' }
    } else if (this.state.kind === 'locked') {
      // The lock screen shows the count and the wait from the state (also after a reload).
      const current = this.state
      const failures = attempt.kind === 'wrong' ? attempt.failures : current.lock.failures
      const retryAt = attempt.kind === 'wrong' || attempt.kind === 'wait' ? attempt.retryAt : current.lock.retryAt
      this.set({ ...current, lock: { ...current.lock, failures, retryAt } })
    }
    return attempt
  }

  /** Asks for the passkey; rejects (PasskeyError) when it does not unlock. */
  async unlockWithPasskey(onOpening?: () => void): Promise<void> {
    const locked = this.lockedState()
    await this.api.unlockWithPasskey(locked.record.spaceId)
    onOpening?.()
    await this.reopen(locked)
  }

  /**
   * The device forgets the practice (its last wrong PIN, a passkey lost for good, or an
   * administrator revoked it): closed, every database of it deleted, the first-run screen says why.
   */
  async forget(reason: ForgetReason = 'lock'): Promise<void> {
    const state = this.state
    if (state.kind === 'first-run') return
    const record = state.kind === 'open' ? state.practice.record : state.record
    if (state.kind === 'open') this.toClose = state.practice.space
    this.closeNow()
    // The screens go at once: nothing of the practice shows while its databases are deleted.
    this.showForgotten({ name: record.practiceName, reason })
    await this.closing
    await this.api.forgetPractice(record.spaceId)
    this.options.channel?.post({ type: 'forgotten', practiceName: record.practiceName, reason })
  }

  // --- inside ---

  private lockedState(): Extract<SessionState, { kind: 'locked' }> {
    if (this.state.kind !== 'locked') throw new Error('The device is not locked')
    return this.state
  }

  private lockOpen(practice: OpenPractice, lock: LockSummary): void {
    this.toClose = practice.space
    this.set({ kind: 'locked', record: practice.record, lock })
    // Should the lock screen never say it is up, the practice closes anyway.
    setTimeout(() => this.closeNow(), this.options.closeAfterMs ?? 1_000)
  }

  private closeNow(): void {
    const space = this.toClose
    if (space === null) return
    this.toClose = null
    const spaceId = this.state.kind === 'first-run' ? null : this.state.kind === 'open' ? this.state.practice.record.spaceId : this.state.record.spaceId
    this.closing = this.closing
      .then(() => space.destroy())
      .catch((error: unknown) => console.warn('The practice did not close cleanly', error instanceof Error ? error.name : 'error'))
      .then(async () => {
        // After the destroy: its last queued changes were encrypted with these keys.
        if (spaceId !== null) await this.api.lockKeys(spaceId).catch((error: unknown) => console.warn('The keys were let go, the held state not settled', error instanceof Error ? error.name : 'error'))
        // Once more, the same screen: React keeps the previous render of the device's root (its
        // props, its hooks' state) until the next one, and that render held the open practice.
        if (this.state.kind !== 'open') this.set({ ...this.state })
      })
    dropPageCaches()
  }

  private async reopen(locked: Extract<SessionState, { kind: 'locked' }>): Promise<void> {
    this.closeNow()
    await this.closing
    const [practice, lock] = await Promise.all([this.api.loadPractice(), this.api.readLock(locked.record.spaceId)])
    // Another tab forgot the practice meanwhile: nothing to show.
    if (this.state.kind !== 'locked' || this.state.record.spaceId !== locked.record.spaceId) {
      await practice?.space.destroy()
      return
    }
    if (practice === null) this.set({ kind: 'first-run', forgotten: null })
    else this.set({ kind: 'open', practice, lock, offerLock: false })
  }

  private showForgotten(forgotten: Forgotten): void {
    this.options.marker.write(forgotten)
    this.set({ kind: 'first-run', forgotten })
  }

  /**
   * A revoked device erases its copy of the practice and says why (issue 19): as soon as the relay
   * refuses it as revoked (close code 4410, or a 401 naming `revoked`), whatever screen it shows.
   * What was not on the relay is lost with it: a revoked device's changes could not be sent anyway.
   * A locum's device past its end date (4411, or a 401 naming `ended`) does the same, and says so:
   * erased rather than locked, because the end date is the practice's word that this device holds
   * its patients no longer (a locum's own phone, often), its changes could not reach the relay any
   * more, and a locked copy nobody may open would be a copy to lose. An administrator who extends
   * the replacement adds the device again. Offline, the device's own clock ends it (checked at
   * opening and every LOCUM_END_CHECK_MS): a device kept offline does not keep the files past the
   * date; a clock set back delays it on that device only, never at the relay.
   */
  private watchRevocation(practice: OpenPractice): void {
    this.unwatch?.()
    const { space } = practice
    const { until } = practice.record
    const now = this.options.now ?? Date.now
    const check = () => {
      const refusal = space.getSyncState().refusal
      const reason: ForgetReason | null =
        refusal === RefusalReason.Revoked ? 'revoked' : refusal === RefusalReason.Ended || (until !== null && now() >= until) ? 'ended' : null
      if (reason === null) return
      if (this.state.kind !== 'open' || this.state.practice.space !== space) return
      this.unwatch?.()
      this.unwatch = null
      void this.forget(reason)
    }
    const unsubscribe = space.subscribe(check)
    const timer = until === null ? null : setInterval(check, LOCUM_END_CHECK_MS)
    this.unwatch = () => {
      unsubscribe()
      if (timer !== null) clearInterval(timer)
    }
    check()
  }

  /**
   * The registry changed this device's role (sync/device/role-watch.ts): the screens go, the
   * practice closes (its queued changes flushed: Practice.destroy), and it opens again as the new
   * role — made secretary, opening drops the clinical tier first (device.ts loadPractice →
   * role-downgrade.ts settleRoleAtStart); made praticien, the grant's keys are already kept
   * (role-change.ts), and the clinical rooms open with them. The notice the record carries says
   * which, once. The keys a passkey unwrapped stay in memory: this is no lock.
   */
  private watchRole(practice: OpenPractice): void {
    this.unwatchRole?.()
    const role = practice.role
    if (role === undefined || this.reopeningFailed) {
      this.unwatchRole = null
      return
    }
    const check = () => {
      // The same practice, whose record may have changed since (a member chosen): compared by its space.
      if (role.get() === null || this.state.kind !== 'open' || this.state.practice.space !== practice.space) return
      this.unwatchRole?.()
      this.unwatchRole = null
      void this.reopenForRole(this.state.practice, this.state.lock)
    }
    this.unwatchRole = role.subscribe(check)
    check()
  }

  private async reopenForRole(practice: OpenPractice, lock: LockSummary | null): Promise<void> {
    this.set({ kind: 'reopening', record: practice.record, lock })
    this.closing = this.closing
      .then(() => practice.space.destroy())
      .catch((error: unknown) => console.warn('The practice did not close cleanly', error instanceof Error ? error.name : 'error'))
    dropPageCaches()
    await this.closing
    const reopened = await this.api.loadPractice().catch((error: unknown) => {
      console.warn('The practice did not open again after its role changed', error instanceof Error ? error.name : 'error')
      return null
    })
    // Locked or forgotten from another tab meanwhile: nothing to show.
    if (this.state.kind !== 'reopening' || this.state.record.spaceId !== practice.record.spaceId) {
      await reopened?.space.destroy()
      return
    }
    if (reopened === null) {
      this.set({ kind: 'first-run', forgotten: null })
      return
    }
    this.reopeningFailed = reopened.record.role === practice.record.role
    this.set({ kind: 'open', practice: reopened, lock, offerLock: false })
  }

  private onMessage(message: LockMessage): void {
    const state = this.state
    switch (message.type) {
      case 'lock':
        if (state.kind === 'open' && state.lock !== null) this.lockOpen(state.practice, state.lock)
        return
      case 'forgotten':
        if (state.kind === 'first-run') return
        if (state.kind === 'open') this.toClose = state.practice.space
        this.closeNow()
        this.showForgotten({ name: message.practiceName, reason: message.reason ?? 'lock' })
        return
      case 'changed':
        if (state.kind !== 'open') return
        void this.api.readLock(state.practice.record.spaceId).then(
          (lock) => {
            if (this.state.kind !== 'open' || this.state.practice !== state.practice) return
            // Another tab had the keys wrapped by its passkey: this tab holds none of them in memory
            // (they were in the clear when it opened), so it locks, and its unlock opens them.
            if (lock !== null && lock.wrapped && !(this.state.lock?.wrapped ?? false)) this.lockOpen(this.state.practice, lock)
            else this.set({ ...this.state, lock })
          },
          (error: unknown) => console.warn('The lock could not be read again', error instanceof Error ? error.name : 'error'),
        )
        return
    }
  }

  private set(state: SessionState): void {
    const before = this.state
    this.state = state
    if (state.kind === 'open' && (before.kind !== 'open' || before.practice.space !== state.practice.space)) {
      this.watchRevocation(state.practice)
      this.watchRole(state.practice)
    }
    if (state.kind !== 'open') {
      this.unwatch?.()
      this.unwatch = null
      this.unwatchRole?.()
      this.unwatchRole = null
    }
    for (const listener of [...this.listeners]) listener()
  }
}
