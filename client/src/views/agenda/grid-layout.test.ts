import { describe, expect, it } from 'vitest'
import { blockBox, DEFAULT_FRAME, firstFreeTime, initialScrollTime, layoutLanes, minuteOfDay, timeOfMinute } from './grid-layout'

const at = (time: string) => `2026-11-23T${time}`

describe('grid layout', () => {
  it('places a block by its wall-clock start and length', () => {
    expect(blockBox(at('09:00'), 30, DEFAULT_FRAME)).toEqual({ top: 120 * DEFAULT_FRAME.pxPerMinute, height: 30 * DEFAULT_FRAME.pxPerMinute })
    // Before the frame: pinned to the top, still visible.
    expect(blockBox(at('06:00'), 30, DEFAULT_FRAME).top).toBe(0)
    expect(blockBox(at('06:00'), 30, DEFAULT_FRAME).height).toBeGreaterThanOrEqual(12)
    expect(minuteOfDay('14:30')).toBe(870)
    expect(timeOfMinute(870)).toBe('14:30')
  })

  it('gives overlapping blocks side-by-side lanes, and a lone block the whole column', () => {
    const lanes = layoutLanes([
      { id: 'a', start: at('09:00'), end: at('10:00') },
      { id: 'b', start: at('09:30'), end: at('10:00') },
      { id: 'c', start: at('09:45'), end: at('10:15') },
      { id: 'd', start: at('10:15'), end: at('10:45') },
      { id: 'e', start: at('11:00'), end: at('11:30') },
    ])
    expect(lanes.get('a')).toEqual({ lane: 0, lanes: 3 })
    expect(lanes.get('b')).toEqual({ lane: 1, lanes: 3 })
    expect(lanes.get('c')).toEqual({ lane: 2, lanes: 3 })
    // Touching 10:15 is not overlapping: d starts a new cluster.
    expect(lanes.get('d')).toEqual({ lane: 0, lanes: 1 })
    expect(lanes.get('e')).toEqual({ lane: 0, lanes: 1 })
  })

  it('reuses a lane freed within a cluster', () => {
    const lanes = layoutLanes([
      { id: 'long', start: at('09:00'), end: at('11:00') },
      { id: 'first', start: at('09:00'), end: at('09:30') },
      { id: 'second', start: at('10:00'), end: at('10:30') },
    ])
    expect(lanes.get('long')).toEqual({ lane: 0, lanes: 2 })
    expect(lanes.get('first')).toEqual({ lane: 1, lanes: 2 })
    expect(lanes.get('second')).toEqual({ lane: 1, lanes: 2 })
  })

  it('is the same whatever order the blocks come in (two devices render alike)', () => {
    const spans = [
      { id: 'x', start: at('09:00'), end: at('09:30') },
      { id: 'y', start: at('09:00'), end: at('09:30') },
    ]
    const one = layoutLanes(spans)
    const other = layoutLanes([...spans].reverse())
    expect([...one.entries()].sort()).toEqual([...other.entries()].sort())
  })
})

describe('initial scroll', () => {
  const days = ['2026-11-23', '2026-11-24']
  it('opens an hour before now on today, else at the earliest working start', () => {
    expect(initialScrollTime(DEFAULT_FRAME, '2026-11-24T15:20', days, ['08:00'])).toBe('14:20')
    expect(initialScrollTime(DEFAULT_FRAME, '2026-11-25T15:20', days, ['09:00', '07:30'])).toBe('07:30')
    expect(initialScrollTime(DEFAULT_FRAME, '2026-11-25T15:20', days, [])).toBe('08:00')
    expect(initialScrollTime(DEFAULT_FRAME, '2026-11-24T06:10', days, [])).toBe('07:00')
    expect(initialScrollTime(DEFAULT_FRAME, '2026-11-24T23:10', days, [])).toBe('20:00')
  })

  it('opens a column chosen from the keyboard on its first free half hour of working hours', () => {
    const morning = [{ start: '08:00', end: '12:00' }, { start: '14:00', end: '19:00' }]
    expect(firstFreeTime([], morning, DEFAULT_FRAME)).toBe('08:00')
    // 8:00-9:10 taken: 9:00 overlaps the end, so 9:30 is the first free half hour.
    const busy = [{ start: at('08:00'), durationMin: 30 }, { start: at('08:30'), durationMin: 40 }]
    expect(firstFreeTime(busy, morning, DEFAULT_FRAME)).toBe('09:30')
    // A full morning: the afternoon's first half hour.
    const full = Array.from({ length: 8 }, (_, i) => ({ start: at(timeOfMinute(480 + 30 * i)), durationMin: 30 }))
    expect(firstFreeTime(full, morning, DEFAULT_FRAME)).toBe('14:00')
    // Working hours that start off the half hour: the next half hour inside them.
    expect(firstFreeTime([], [{ start: '08:15', end: '12:00' }], DEFAULT_FRAME)).toBe('08:30')
    // Fully booked, or a day off: the start of the working hours, or of the frame.
    expect(firstFreeTime([{ start: at('08:00'), durationMin: 660 }], morning, DEFAULT_FRAME)).toBe('08:00')
    expect(firstFreeTime([], [], DEFAULT_FRAME)).toBe(DEFAULT_FRAME.from)
    // Working hours past the frame's end never give a start the grid cannot show.
    expect(firstFreeTime([], [{ start: '21:00', end: '23:00' }], DEFAULT_FRAME)).toBe('20:30')
  })
})
