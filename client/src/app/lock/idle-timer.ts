/**
 * When the app locks by itself: after `idleMs` without input (pointer, keys, touch, wheel), and
 * at once when the page comes back after being hidden for that long (a tablet put away with the
 * app open: the browser may have slowed or stopped the page's timers meanwhile).
 *
 * Input only records the time (a pointer moving fires many events: none re-arms a timer); the
 * one timer, when it fires, locks if the idle time has passed and otherwise waits for what is left.
 * The clock and the timers are injected: unit tests run it without waiting.
 */

export interface IdleTimerOptions {
  readonly idleMs: number
  readonly onIdle: () => void
  readonly now?: () => number
  readonly setTimer?: (run: () => void, ms: number) => unknown
  readonly clearTimer?: (handle: unknown) => void
}

export class IdleTimer {
  private idleMs: number
  private lastInput: number
  private hiddenAt: number | null = null
  private timer: unknown = null
  private stopped = false
  private readonly now: () => number
  private readonly setTimer: (run: () => void, ms: number) => unknown
  private readonly clearTimer: (handle: unknown) => void

  constructor(private readonly options: IdleTimerOptions) {
    this.idleMs = options.idleMs
    this.now = options.now ?? Date.now
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms))
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>))
    this.lastInput = this.now()
    this.arm(this.idleMs)
  }

  /** The person used the app: the idle time starts again. */
  input(): void {
    if (this.stopped) return
    this.lastInput = this.now()
  }

  /** The page was hidden (another app, the screen off). */
  hidden(): void {
    if (this.stopped) return
    this.hiddenAt = this.now()
  }

  /** The page is shown again: locks at once if it was hidden, or unused, for the idle time. */
  shown(): void {
    if (this.stopped) return
    const hiddenAt = this.hiddenAt
    this.hiddenAt = null
    const now = this.now()
    if ((hiddenAt !== null && now - hiddenAt >= this.idleMs) || now - this.lastInput >= this.idleMs) this.fire()
  }

  /** Another idle time (the practice's setting changed): counted from the last input. */
  setIdleMs(idleMs: number): void {
    if (this.stopped || idleMs === this.idleMs) return
    this.idleMs = idleMs
    this.check()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
  }

  private arm(ms: number): void {
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = this.setTimer(() => {
      this.timer = null
      this.check()
    }, ms)
  }

  private check(): void {
    if (this.stopped) return
    const left = this.lastInput + this.idleMs - this.now()
    if (left <= 0) this.fire()
    else this.arm(left)
  }

  private fire(): void {
    this.stop()
    this.options.onIdle()
  }
}

/** The inputs that count as use of the app. */
export const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'touchmove', 'wheel'] as const

/**
 * Feeds a timer from the page: input events on `target` (captured, passive), visibility from
 * `doc`. The function returned stops listening (and the timer).
 */
export function watchPage(timer: IdleTimer, target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>, doc: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>): () => void {
  const onInput = () => timer.input()
  const onVisibility = () => (doc.visibilityState === 'hidden' ? timer.hidden() : timer.shown())
  const options: AddEventListenerOptions = { capture: true, passive: true }
  for (const type of INPUT_EVENTS) target.addEventListener(type, onInput, options)
  doc.addEventListener('visibilitychange', onVisibility)
  if (doc.visibilityState === 'hidden') timer.hidden()
  return () => {
    for (const type of INPUT_EVENTS) target.removeEventListener(type, onInput, options)
    doc.removeEventListener('visibilitychange', onVisibility)
    timer.stop()
  }
}
