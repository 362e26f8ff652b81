/**
 * The idle timer on an injected clock and injected timers: input resets it, it locks once the
 * idle time has passed without input, a page hidden for that long locks when shown again, and a
 * new idle time counts from the last input.
 */
import { describe, expect, it } from 'vitest'
import { IdleTimer, INPUT_EVENTS, watchPage } from './idle-timer'

const MINUTE = 60_000

/** A clock and timers that move only when told. */
function fakeTime() {
  let now = 1_000_000
  let next = 1
  const timers = new Map<number, { at: number; run: () => void }>()
  return {
    now: () => now,
    setTimer: (run: () => void, ms: number) => {
      const id = next++
      timers.set(id, { at: now + ms, run })
      return id
    },
    clearTimer: (handle: unknown) => {
      timers.delete(handle as number)
    },
    /** Moves the clock, firing each timer due on the way (in order). */
    advance(ms: number) {
      const end = now + ms
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
        if (!due) break
        timers.delete(due[0])
        now = Math.max(now, due[1].at)
        due[1].run()
      }
      now = end
    },
    /** Moves the clock without firing anything (a page whose timers the browser stopped). */
    jump(ms: number) {
      now += ms
    },
    pending: () => timers.size,
  }
}

function timerOn(time: ReturnType<typeof fakeTime>, idleMs = 5 * MINUTE) {
  const fired: number[] = []
  const timer = new IdleTimer({ idleMs, onIdle: () => fired.push(time.now()), now: time.now, setTimer: time.setTimer, clearTimer: time.clearTimer })
  return { timer, fired }
}

describe('IdleTimer', () => {
  it('locks once the idle time has passed without input, and only once', () => {
    const time = fakeTime()
    const start = time.now()
    const { fired } = timerOn(time)
    time.advance(5 * MINUTE - 1)
    expect(fired).toEqual([])
    time.advance(1)
    expect(fired).toEqual([start + 5 * MINUTE])
    time.advance(60 * MINUTE)
    expect(fired, 'fired once: the app is locked').toHaveLength(1)
    expect(time.pending()).toBe(0)
  })

  it('starts the idle time again at each input, without a timer per input', () => {
    const time = fakeTime()
    const { timer, fired } = timerOn(time)
    for (let i = 0; i < 10; i++) {
      time.advance(4 * MINUTE)
      timer.input()
      expect(time.pending(), 'input only records the time').toBe(1)
    }
    expect(fired).toEqual([])
    const lastInput = time.now()
    time.advance(5 * MINUTE)
    expect(fired).toEqual([lastInput + 5 * MINUTE])
  })

  it('locks when shown again after being hidden for the idle time, even if its timers never ran', () => {
    const time = fakeTime()
    const { timer, fired } = timerOn(time)
    time.advance(MINUTE)
    timer.input()
    timer.hidden()
    time.jump(5 * MINUTE)
    expect(fired, 'the browser stopped the timers while hidden').toEqual([])
    timer.shown()
    expect(fired).toHaveLength(1)
  })

  it('does not lock when shown again after a short absence', () => {
    const time = fakeTime()
    const { timer, fired } = timerOn(time)
    timer.input()
    timer.hidden()
    time.jump(2 * MINUTE)
    timer.shown()
    expect(fired).toEqual([])
    timer.input()
    time.advance(5 * MINUTE - 1)
    expect(fired).toEqual([])
  })

  it('counts a new idle time from the last input: shorter locks at once if already passed', () => {
    const time = fakeTime()
    const { timer, fired } = timerOn(time, 15 * MINUTE)
    time.advance(3 * MINUTE)
    timer.setIdleMs(10 * MINUTE)
    expect(fired).toEqual([])
    time.advance(7 * MINUTE)
    expect(fired).toHaveLength(1)

    const again = timerOn(time, 15 * MINUTE)
    time.advance(6 * MINUTE)
    again.timer.setIdleMs(5 * MINUTE)
    expect(again.fired, 'six minutes without input: past the new five').toHaveLength(1)
  })

  it('stops for good', () => {
    const time = fakeTime()
    const { timer, fired } = timerOn(time)
    timer.stop()
    time.advance(60 * MINUTE)
    timer.shown()
    expect(fired).toEqual([])
  })
})

describe('watchPage', () => {
  it('feeds the timer from pointer, key, touch and wheel input, and from visibility', () => {
    const time = fakeTime()
    const { timer, fired } = timerOn(time)
    const target = new EventTarget()
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState })
    const stop = watchPage(timer, target, doc)
    for (const type of INPUT_EVENTS) {
      time.advance(4 * MINUTE)
      target.dispatchEvent(new Event(type))
    }
    expect(fired, 'each kind of input kept the app open').toEqual([])
    expect(INPUT_EVENTS).toEqual(expect.arrayContaining(['pointerdown', 'keydown', 'touchstart', 'wheel']))

    doc.visibilityState = 'hidden'
    doc.dispatchEvent(new Event('visibilitychange'))
    time.jump(6 * MINUTE)
    doc.visibilityState = 'visible'
    doc.dispatchEvent(new Event('visibilitychange'))
    expect(fired).toHaveLength(1)
    stop()
  })

  it('stops listening and stops the timer', () => {
    const time = fakeTime()
    const { timer, fired } = timerOn(time)
    const target = new EventTarget()
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState })
    watchPage(timer, target, doc)()
    time.advance(60 * MINUTE)
    expect(fired).toEqual([])
    expect(time.pending()).toBe(0)
  })
})
