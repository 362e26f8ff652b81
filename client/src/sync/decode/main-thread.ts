/**
 * Giving the page's main thread back between slices of work, so that a frame is drawn and input
 * is handled in between (a long task is anything over 50 ms; a tablet freezes visibly past 100).
 *
 * `yieldToMain`: `scheduler.yield()` where the browser has it (the continuation keeps its
 * priority), else a MessageChannel message (a task, without setTimeout's clamping), else (Node)
 * a zero timer.
 *
 * `InputPause`: the same, but while a person is interacting (pointer, key, wheel, touch within
 * the last `quietMs`) it waits until they have paused, `maxWaitMs` at most: what they do comes
 * before a background integration, which must still end while they keep typing.
 */

interface SchedulerLike {
  yield?: () => Promise<void>
}

export function yieldToMain(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: SchedulerLike }).scheduler
  if (typeof scheduler?.yield === 'function') return scheduler.yield()
  if (typeof MessageChannel === 'function' && typeof window !== 'undefined') {
    return new Promise((resolve) => {
      const channel = new MessageChannel()
      channel.port1.onmessage = () => {
        channel.port1.close()
        resolve()
      }
      channel.port2.postMessage(null)
    })
  }
  return new Promise((resolve) => setTimeout(resolve, 0))
}

export const INPUT_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'input'] as const

export interface InputPauseOptions {
  /** Where input is listened to (the window). */
  readonly target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  readonly now: () => number
  readonly quietMs?: number
  readonly maxWaitMs?: number
  readonly yieldNow?: () => Promise<void>
  readonly sleep?: (ms: number) => Promise<void>
}

export class InputPause {
  private lastInputAt = Number.NEGATIVE_INFINITY
  private readonly quietMs: number
  private readonly maxWaitMs: number
  private readonly yieldNow: () => Promise<void>
  private readonly sleep: (ms: number) => Promise<void>
  private readonly onInput = () => {
    this.lastInputAt = this.options.now()
  }

  constructor(private readonly options: InputPauseOptions) {
    this.quietMs = options.quietMs ?? 250
    this.maxWaitMs = options.maxWaitMs ?? 1_000
    this.yieldNow = options.yieldNow ?? yieldToMain
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    for (const type of INPUT_EVENTS) options.target.addEventListener(type, this.onInput, { capture: true, passive: true })
  }

  /** Resolves once the thread was given back, and the person has paused (or maxWaitMs passed). */
  async next(): Promise<void> {
    await this.yieldNow()
    const started = this.options.now()
    for (;;) {
      const now = this.options.now()
      const quietFor = now - this.lastInputAt
      if (quietFor >= this.quietMs || now - started >= this.maxWaitMs) return
      await this.sleep(Math.min(this.quietMs - quietFor, this.maxWaitMs - (now - started)))
    }
  }

  dispose(): void {
    for (const type of INPUT_EVENTS) this.options.target.removeEventListener(type, this.onInput, { capture: true })
  }
}
