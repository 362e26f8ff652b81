/**
 * Geometry of the time grid: where a block sits in its column and which lane it takes when blocks
 * of one column overlap (an offline double booking shows both, side by side, never one under the
 * other). Pure functions of minutes and pixels, so they are tested without a browser.
 */
export type GridFrame = {
  /** First and last hour shown ('07:00', '21:00'). */
  readonly from: string
  readonly to: string
  readonly pxPerMinute: number
}

/** 7:00 to 21:00, 90 px an hour: a half-hour slot is a 45-pixel touch target. */
export const DEFAULT_FRAME: GridFrame = { from: '07:00', to: '21:00', pxPerMinute: 1.5 }

/** '14:30' → 870. */
export function minuteOfDay(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))
}

/** 870 → '14:30' (clamped to the day). */
export function timeOfMinute(minute: number): string {
  const m = Math.min(Math.max(Math.round(minute), 0), 23 * 60 + 59)
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

export function frameHeight(frame: GridFrame): number {
  return (minuteOfDay(frame.to) - minuteOfDay(frame.from)) * frame.pxPerMinute
}

/** Pixel offset of a time within the column (may fall outside the frame). */
export function offsetOf(time: string, frame: GridFrame): number {
  return (minuteOfDay(time) - minuteOfDay(frame.from)) * frame.pxPerMinute
}

/**
 * The block of an appointment starting at `start` (a local date-time on the column's day), clamped
 * to the frame so an appointment at 6:30 still shows at the top; wall-clock minutes, so a 2:00
 * appointment on the night of a DST change has its booked length on screen.
 */
export function blockBox(start: string, durationMin: number, frame: GridFrame): { top: number; height: number } {
  const top = offsetOf(start.slice(11), frame)
  const bottom = top + durationMin * frame.pxPerMinute
  const max = frameHeight(frame)
  const clampedTop = Math.min(Math.max(top, 0), max - 12)
  const clampedBottom = Math.max(Math.min(bottom, max), clampedTop + 12)
  return { top: clampedTop, height: clampedBottom - clampedTop }
}

export type Span = { readonly id: string; readonly start: string; readonly end: string }
export type Lane = { readonly lane: number; readonly lanes: number }

/**
 * Side-by-side lanes for overlapping spans of one column: spans are taken in start order, each in
 * the first lane free at its start; a cluster (spans linked by overlaps) shares its lane count.
 * Touching ends do not overlap, as in findOverlaps.
 */
export function layoutLanes(spans: readonly Span[]): Map<string, Lane> {
  const sorted = [...spans].sort((a, b) => a.start.localeCompare(b.start) || b.end.localeCompare(a.end) || a.id.localeCompare(b.id))
  const result = new Map<string, Lane>()
  let cluster: { id: string; lane: number }[] = []
  let laneEnds: string[] = []
  let clusterEnd = ''
  const close = () => {
    for (const { id, lane } of cluster) result.set(id, { lane, lanes: laneEnds.length })
    cluster = []
    laneEnds = []
  }
  for (const span of sorted) {
    if (cluster.length > 0 && span.start >= clusterEnd) close()
    let lane = laneEnds.findIndex((end) => end <= span.start)
    if (lane === -1) {
      lane = laneEnds.length
      laneEnds.push(span.end)
    } else {
      laneEnds[lane] = span.end
    }
    cluster.push({ id: span.id, lane })
    clusterEnd = cluster.length === 1 || span.end > clusterEnd ? span.end : clusterEnd
  }
  close()
  return result
}

/**
 * Where the grid scrolls when it opens: an hour before now on today's agenda, else the earliest
 * working start of the shown columns (8:00 by default), never outside the frame.
 */
export function initialScrollTime(frame: GridFrame, now: string, days: readonly string[], workingStarts: readonly string[]): string {
  const first = minuteOfDay(frame.from)
  const last = minuteOfDay(frame.to) - 60
  const target = days.includes(now.slice(0, 10))
    ? minuteOfDay(now.slice(11)) - 60
    : minuteOfDay(workingStarts.length > 0 ? [...workingStarts].sort()[0]! : '08:00')
  return timeOfMinute(Math.min(Math.max(target, first), last))
}

/**
 * Where a new appointment starts when a column is chosen with no position (the keyboard, a
 * screen reader): the first `step` of the practitioner's working hours that no appointment in
 * `busy` overlaps, else the start of those hours (the frame's start on a day off), always inside
 * the frame. The editor opens there and the person adjusts it.
 */
export function firstFreeTime(
  busy: readonly { readonly start: string; readonly durationMin: number }[],
  working: readonly { readonly start: string; readonly end: string }[],
  frame: GridFrame,
  step = 30,
): string {
  const first = minuteOfDay(frame.from)
  const last = minuteOfDay(frame.to) - step
  const taken = busy.map((a) => {
    const start = minuteOfDay(a.start.slice(11))
    return [start, start + a.durationMin] as const
  })
  for (const interval of working) {
    const end = Math.min(minuteOfDay(interval.end), last + step)
    for (let m = Math.max(Math.ceil(minuteOfDay(interval.start) / step) * step, first); m + step <= end; m += step) {
      if (!taken.some(([s, e]) => s < m + step && e > m)) return timeOfMinute(m)
    }
  }
  const fallback = working.length > 0 ? minuteOfDay(working[0]!.start) : first
  return timeOfMinute(Math.min(Math.max(fallback, first), last))
}
