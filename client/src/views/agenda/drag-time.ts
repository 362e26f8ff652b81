/**
 * What a drag on the grid means in time. A pointer that moved `dy` pixels moves the block by the
 * nearest multiple of the snap step (15 minutes; 5 with Shift held — a finger has no modifier, so
 * precise times go through the editor). Across columns the block takes the column's day and
 * practitioner. Starts are local date-times: the result keeps the wall clock, whatever DST does.
 */
import { joinDateTime } from '../../../../shared/src/model'
import type { GridFrame } from './grid-layout'
import { minuteOfDay, timeOfMinute } from './grid-layout'

export const SNAP_MINUTES = 15
export const FINE_SNAP_MINUTES = 5
export const MIN_DURATION = 5
export const MAX_DURATION = 720

export function snapStep(fine: boolean): number {
  return fine ? FINE_SNAP_MINUTES : SNAP_MINUTES
}

/** The nearest multiple of `step` (halves go up). */
export function snap(minutes: number, step: number): number {
  return Math.round(minutes / step) * step
}

/** The time (snapped down to the slot) at `y` pixels from the top of a column. */
export function timeAtOffset(y: number, frame: GridFrame, step: number): string {
  const first = minuteOfDay(frame.from)
  const last = minuteOfDay(frame.to) - step
  const minute = first + Math.floor(y / frame.pxPerMinute / step) * step
  return timeOfMinute(Math.min(Math.max(minute, first), last))
}

/**
 * The new start of a block dragged by `dy` pixels, dropped on the column of `day`. The start is
 * snapped on the wall clock (a block at 9:07 dragged lands on a quarter hour), kept within the
 * frame's hours.
 */
export function movedStart(start: string, dy: number, day: string, frame: GridFrame, step: number): string {
  const minute = minuteOfDay(start.slice(11)) + dy / frame.pxPerMinute
  const first = minuteOfDay(frame.from)
  const last = minuteOfDay(frame.to) - step
  const snapped = Math.min(Math.max(snap(minute, step), first), last)
  return joinDateTime(day, timeOfMinute(snapped))
}

/** The new duration of a block whose bottom edge was dragged by `dy` pixels. */
export function resizedDuration(durationMin: number, dy: number, frame: GridFrame, step: number): number {
  const snapped = snap(durationMin + dy / frame.pxPerMinute, step)
  return Math.min(Math.max(snapped, Math.max(step, MIN_DURATION)), MAX_DURATION)
}
