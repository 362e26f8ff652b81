import { describe, expect, it } from 'vitest'
import { DEFAULT_FRAME } from './grid-layout'
import { movedStart, resizedDuration, snap, snapStep, timeAtOffset } from './drag-time'

const px = (minutes: number) => minutes * DEFAULT_FRAME.pxPerMinute

describe('drag to time', () => {
  it('snaps to 15 minutes, or 5 with the fine modifier', () => {
    expect(snapStep(false)).toBe(15)
    expect(snapStep(true)).toBe(5)
    expect(snap(7, 15)).toBe(0)
    expect(snap(8, 15)).toBe(15)
    expect(snap(22, 5)).toBe(20)
    expect(snap(-8, 15)).toBe(-15)
  })

  it('turns a tap at y pixels into the slot it fell in', () => {
    expect(timeAtOffset(0, DEFAULT_FRAME, 15)).toBe('07:00')
    expect(timeAtOffset(px(120) + 1, DEFAULT_FRAME, 15)).toBe('09:00')
    expect(timeAtOffset(px(134), DEFAULT_FRAME, 15)).toBe('09:00')
    expect(timeAtOffset(px(136), DEFAULT_FRAME, 15)).toBe('09:15')
    expect(timeAtOffset(-40, DEFAULT_FRAME, 15)).toBe('07:00')
    expect(timeAtOffset(px(2000), DEFAULT_FRAME, 15)).toBe('20:45')
  })

  it('moves a block by the snapped drag, to the day of the column it is dropped on', () => {
    expect(movedStart('2026-11-23T09:00', px(92), '2026-11-23', DEFAULT_FRAME, 15)).toBe('2026-11-23T10:30')
    expect(movedStart('2026-11-23T09:00', px(-50), '2026-11-25', DEFAULT_FRAME, 15)).toBe('2026-11-25T08:15')
    // An off-grid start lands on a quarter hour.
    expect(movedStart('2026-11-23T09:07', 0, '2026-11-23', DEFAULT_FRAME, 15)).toBe('2026-11-23T09:00')
    expect(movedStart('2026-11-23T09:07', px(4), '2026-11-23', DEFAULT_FRAME, 5)).toBe('2026-11-23T09:10')
    // Kept within the frame.
    expect(movedStart('2026-11-23T08:00', px(-300), '2026-11-23', DEFAULT_FRAME, 15)).toBe('2026-11-23T07:00')
  })

  it('keeps the wall-clock time when dropped on the day clocks change', () => {
    expect(movedStart('2026-10-23T09:00', 0, '2026-10-25', DEFAULT_FRAME, 15)).toBe('2026-10-25T09:00')
    expect(movedStart('2026-03-27T09:00', 0, '2026-03-29', DEFAULT_FRAME, 15)).toBe('2026-03-29T09:00')
  })

  it('resizes by the snapped drag of the bottom edge, within 5 min .. 12 h', () => {
    expect(resizedDuration(30, px(16), DEFAULT_FRAME, 15)).toBe(45)
    expect(resizedDuration(30, px(-100), DEFAULT_FRAME, 15)).toBe(15)
    expect(resizedDuration(30, px(-100), DEFAULT_FRAME, 5)).toBe(5)
    expect(resizedDuration(700, px(100), DEFAULT_FRAME, 15)).toBe(720)
  })
})
